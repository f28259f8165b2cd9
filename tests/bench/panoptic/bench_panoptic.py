#!/usr/bin/env python3
"""Panoptic quality benchmark: maskeval against panopticapi, vernier and hotcoco.

    bench_panoptic.py --data DIR --maskeval PATH --panopticapi CHECKOUT
                      [--runs 3] [--slow-runs 1] [--slow-tools panopticapi]
                      [--tools LIST] [--processes N] [--threads N]
                      [--markdown OUT.md] [--json OUT.json] [--keep-logs DIR]

DIR is what gen_panoptic_val.py wrote (gt.json, gt/, pred.json, pred/).
CHECKOUT is a checkout of cocodataset/panopticapi (not installable in CI); it
is put on sys.path of its child process. Pillow must be importable.

Tools (--tools, comma-separated):
    maskeval          maskeval panoptic --gt-json --pred-json --gt-dir --pred-dir
                      --chunks P --json OUT --quiet  (P = --processes: the IoU sums
                      in panopticapi's order on P processes)
    maskeval-chunks1  the same with --chunks 1 (one process' summation order);
                      shows how much the order moves the last bits
    panopticapi       panopticapi.evaluation.pq_compute(gt_json, pred_json, gt_dir,
                      pred_dir); its Pool size is multiprocessing.cpu_count(),
                      which the child sets to --processes (default: os.cpu_count())
    vernier           vernier.panoptic.Evaluator(parity_mode="strict").background(
                      categories, num_threads=--threads).submit_png(...) per image
                      (the PNG bytes are decoded by vernier; its from_arrays path
                      would need all label maps in memory at once, ~12 GB here)
    hotcoco           hotcoco.panoptic.pq_compute(gt_json, pred_json, gt_dir, pred_dir)

Measurement as in tests/bench/coco/bench_coco.py (whose helpers this imports):
own process per run, runs interleaved round by round, whole-process wall
time, peak RSS of the child from wait4() (for panopticapi that is the largest
single process: the parent or one Pool worker, whichever is larger; RUSAGE of
the children is the max over them, not the sum). The 9 numbers PQ/SQ/RQ of
All/Things/Stuff are compared with == against maskeval's and panopticapi's,
with the largest absolute difference; the segment-class counts N must match.
"""

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "coco"))
from bench_coco import (dist_version, eq_cell, machine_info, private_maskeval,  # noqa: E402
                        rewrite_markdown, run_process, tail, tool_list, write_report)

ALL_TOOLS = ("maskeval", "maskeval-chunks1", "panopticapi", "vernier", "hotcoco")
KEYS = [(g, m) for g in ("All", "Things", "Stuff") for m in ("pq", "sq", "rq")]

# argv: 1 gt json, 2 pred json, 3 gt dir, 4 pred dir, 5 out, 6 processes/threads, 7 checkout
_SAVE = ("import json\n"
         "with open(sys.argv[5], 'w') as f:\n"
         "    json.dump({g: {k: float(res[g][k]) for k in ('pq', 'sq', 'rq')} | {'n': int(res[g]['n'])}\n"
         "               for g in ('All', 'Things', 'Stuff')}, f)\n")
PROGRAMS = {
    "panopticapi": (
        "import sys, multiprocessing\n"
        "n = int(sys.argv[6]); multiprocessing.cpu_count = lambda: n\n"
        "sys.path.insert(0, sys.argv[7])\n"
        "from panopticapi.evaluation import pq_compute\n"
        "res = pq_compute(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4])\n" + _SAVE),
    "hotcoco": (
        "import sys\n"
        "from hotcoco.panoptic import pq_compute\n"
        "res = pq_compute(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4])\n" + _SAVE),
    "vernier": (
        "import sys, json, os\n"
        "from vernier.panoptic import Evaluator\n"
        "with open(sys.argv[1]) as f: gt = json.load(f)\n"
        "with open(sys.argv[2]) as f: pr = json.load(f)\n"
        "pa = {a['image_id']: a for a in pr['annotations']}\n"
        "ev = Evaluator(parity_mode='strict')\n"
        "def rd(p):\n"
        "    with open(p, 'rb') as f: return f.read()\n"
        "with ev.background(json.dumps(gt['categories']).encode(), num_threads=int(sys.argv[6])) as bg:\n"
        "    for a in gt['annotations']:\n"
        "        p = pa[a['image_id']]\n"
        "        bg.submit_png(a['image_id'], rd(os.path.join(sys.argv[3], a['file_name'])),\n"
        "                      json.dumps(a['segments_info']).encode(),\n"
        "                      rd(os.path.join(sys.argv[4], p['file_name'])),\n"
        "                      json.dumps(p['segments_info']).encode())\n"
        "    s = bg.finalize()\n"
        "res = {'All': {'pq': s.pq, 'sq': s.sq, 'rq': s.rq, 'n': s.n},\n"
        "       'Things': {'pq': s.pq_things, 'sq': s.sq_things, 'rq': s.rq_things, 'n': s.n_things},\n"
        "       'Stuff': {'pq': s.pq_stuff, 'sq': s.sq_stuff, 'rq': s.rq_stuff, 'n': s.n_stuff}}\n"
        "print(json.dumps(res))\n" + _SAVE),
}




def version_of(python, tool):
    if tool == 'panopticapi':
        return "git checkout"
    return dist_version(python, tool)


def read_result(path):
    with open(path) as f:
        obj = json.load(f)
    vals = [float(obj[g][m]) for g, m in KEYS]
    ns = [int(obj[g]["n"]) for g in ("All", "Things", "Stuff")]
    return vals, ns


def compare(a, b):
    if a is None or b is None:
        return None, None
    return all(x == y for x, y in zip(a, b)), max(abs(x - y) for x, y in zip(a, b))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data")
    ap.add_argument("--maskeval")
    ap.add_argument("--panopticapi", help="checkout of cocodataset/panopticapi")
    ap.add_argument("--from-json", metavar="REPORT.json", help="only re-render an earlier report")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--slow-runs", type=int, default=1)
    ap.add_argument("--slow-tools", default="panopticapi")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS))
    ap.add_argument("--processes", type=int, default=os.cpu_count(),
                    help="panopticapi's Pool size and maskeval's --chunks (default: os.cpu_count(), "
                         "panopticapi's own default)")
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="maskeval --threads and vernier num_threads (default: os.cpu_count())")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--timeout", type=float, default=7200.0)
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--keep-logs")
    ap.add_argument("--note", help="a line for the report (e.g. the load on the machine)")
    args = ap.parse_args(argv)
    if args.from_json:
        return rewrite_markdown(args.from_json, markdown, args.markdown)
    if not args.data or not args.maskeval:
        ap.error("--data and --maskeval are required")
    tools = tool_list(ap, args.tools, ALL_TOOLS)
    if "panopticapi" in tools and not args.panopticapi:
        ap.error("panopticapi needs --panopticapi CHECKOUT")
    args.maskeval = os.path.abspath(args.maskeval)
    slow = {t for t in args.slow_tools.split(",") if t}
    runs_of = lambda t: args.slow_runs if t in slow else args.runs  # noqa: E731
    D = os.path.abspath(args.data)
    gtj, prj, gtd, prd = (os.path.join(D, x) for x in ("gt.json", "pred.json", "gt", "pred"))
    logdir = args.keep_logs or tempfile.mkdtemp(prefix="bench_panoptic_")
    os.makedirs(logdir, exist_ok=True)
    env = dict(os.environ)

    args.maskeval, v = private_maskeval(args.maskeval, logdir)
    versions = {"maskeval": v}
    versions["maskeval-chunks1"] = versions["maskeval"]
    for t in tools:
        if t not in versions:
            versions[t] = version_of(args.python, t)
    p = subprocess.run([args.python, "-c", "import numpy, PIL; print(numpy.__version__, PIL.__version__)"],
                       capture_output=True, text=True)
    versions["numpy, Pillow"] = p.stdout.strip() or "?"
    # Counted in a child: a tool forked from a parent holding the parsed JSON would
    # inherit its RSS in wait4()'s ru_maxrss.
    n_images, n_segments = json.loads(subprocess.run(
        [args.python, "-c", "import json, sys; g = json.load(open(sys.argv[1])); print(json.dumps("
         "[len(g['images']), sum(len(a['segments_info']) for a in g['annotations'])]))", gtj],
        capture_output=True, text=True, check=True).stdout)
    # Warm the page cache (PNGs and JSON) once for everyone.
    for d in (gtd, prd):
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                f.read()
    print("bench_panoptic: %d images, logs in %s" % (n_images, logdir), flush=True)

    rows = {t: {"tool": t, "runs": [], "vals": None, "ns": None, "stats_same_every_run": True,
                "failed": None} for t in tools}
    for r in range(max(runs_of(t) for t in tools)):
        for t in tools:
            row = rows[t]
            if r >= runs_of(t) or row["failed"]:
                continue
            stem = os.path.join(logdir, "%s-%d" % (t, r))
            out = stem + ".result.json"
            if os.path.exists(out):
                os.unlink(out)
            if t.startswith("maskeval"):
                argv = [args.maskeval, "panoptic", "--gt-json", gtj, "--pred-json", prj, "--gt-dir", gtd,
                        "--pred-dir", prd, "--chunks", "1" if t == "maskeval-chunks1" else str(args.processes),
                        "--threads", str(args.threads), "--json", out, "--quiet"]
            else:
                argv = [args.python, "-c", PROGRAMS[t], gtj, prj, gtd, prd, out,
                        str(args.processes if t == "panopticapi" else args.threads), args.panopticapi or ""]
            res = run_process(argv, env, args.timeout, stem)
            try:
                vals, ns = read_result(out) if res["rc"] == 0 else (None, None)
            except (OSError, ValueError, KeyError, TypeError):
                vals, ns = None, None
            if vals is None:
                why = ("timed out after %.0f s" % args.timeout if res["timed_out"] else
                       "exit %d: %s" % (res["rc"], tail(res["stderr"]) or tail(res["stdout"])))
                row["failed"] = why
                print("  %-18s run %d FAILED: %s" % (t, r + 1, why), flush=True)
                continue
            if row["vals"] is None:
                row["vals"], row["ns"] = vals, ns
            elif vals != row["vals"]:
                row["stats_same_every_run"] = False
            row["runs"].append({k: res[k] for k in ("wall_s", "peak_rss_mb", "user_s", "sys_s")})
            print("  %-18s run %d: %8.3f s  %7.1f MB" % (t, r + 1, res["wall_s"], res["peak_rss_mb"]),
                  flush=True)

    base, ref = rows.get("maskeval"), rows.get("panopticapi")
    base_med = statistics.median(x["wall_s"] for x in base["runs"]) if base and base["runs"] else None
    out_rows = []
    for t in tools:
        row = rows[t]
        if row["runs"]:
            row["wall_median_s"] = statistics.median(x["wall_s"] for x in row["runs"])
            row["cpu_s_median"] = statistics.median(x["user_s"] + x["sys_s"] for x in row["runs"])
            row["peak_rss_mb_max"] = max(x["peak_rss_mb"] for x in row["runs"])
            row["ratio_vs_maskeval"] = row["wall_median_s"] / base_med if base_med else None
        row["equal_maskeval"], row["diff_maskeval"] = compare(row["vals"], base["vals"] if base else None)
        row["equal_ref"], row["diff_ref"] = compare(row["vals"], ref["vals"] if ref else None)
        row["ns_equal_ref"] = (row["ns"] == ref["ns"]) if ref and ref["ns"] and row["ns"] else None
        out_rows.append(row)
    rep = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(),
           "versions": versions, "data": D, "images": n_images, "gt_segments": n_segments,
           "runs": args.runs, "slow_runs": args.slow_runs, "slow_tools": sorted(slow),
           "processes": args.processes, "threads": args.threads, "note": args.note, "rows": out_rows}
    try:
        with open(os.path.join(D, "summary.json")) as f:
            rep["data_summary"] = json.load(f)
    except (OSError, ValueError):
        pass
    write_report(rep, markdown(rep), args.markdown, args.json)
    return 0




def markdown(rep):
    m = rep["machine"]
    out = ["## Panoptic quality, %d images (%d GT segments), %s" % (rep["images"], rep["gt_segments"], rep["date"]), ""]
    out.append("Machine: %s, %s cores, %s GiB, %s, Python %s. Data: %s." % (
        m["cpu"], m["cores"], m["mem_gib"], m["os"], m["python"], rep["data"]))
    out.append("")
    out.append("Versions: " + "; ".join("%s %s" % kv for kv in sorted(rep["versions"].items())) + ".")
    out.append("")
    if rep.get("note"):
        out += ["Note: " + rep["note"] + ".", ""]
    out.append("Whole-process wall time (start-up, JSON, PNG decoding, evaluation), median of %d runs "
               "(%d for %s), runs interleaved tool by tool; peak RSS = ru_maxrss of the child (largest "
               "single process). Ratio = tool median / maskeval median (> 1: slower than maskeval). "
               "panopticapi on %d processes, maskeval --chunks %d (its summation order) --threads %d, "
               "vernier num_threads %d. 'equal' = all 9 of PQ/SQ/RQ x All/Things/Stuff == "
               "(bit-identical)." % (rep["runs"], rep["slow_runs"], ", ".join(rep["slow_tools"]),
                                     rep["processes"], rep["processes"], rep["threads"], rep["threads"]))
    out.append("")
    out.append("| tool | version | runs | wall s median | ratio to maskeval | CPU s median | peak RSS MB | "
               "PQ/SQ/RQ vs panopticapi | vs maskeval | N equal? |")
    out.append("|---|---|---:|---:|---:|---:|---:|---|---|---|")
    for r in rep["rows"]:
        ver = rep["versions"].get(r["tool"]) or "?"
        if not r["runs"]:
            out.append("| %s | %s | 0 | - | - | - | - | failed: %s | - | - |" % (r["tool"], ver, r["failed"]))
            continue
        vs_ref = "(reference)" if r["tool"] == "panopticapi" else eq_cell(r["equal_ref"], r["diff_ref"])
        vs_me = "(itself)" if r["tool"] == "maskeval" else eq_cell(r["equal_maskeval"], r["diff_maskeval"])
        if not r["stats_same_every_run"]:
            vs_me += " (results vary between runs!)"
        ns = "-" if r["ns_equal_ref"] is None else ("yes" if r["ns_equal_ref"] else "**no**")
        out.append("| %s | %s | %d | %.3f | %.2f | %.2f | %.0f | %s | %s | %s |" % (
            r["tool"], ver, len(r["runs"]), r["wall_median_s"], r["ratio_vs_maskeval"] or float("nan"),
            r["cpu_s_median"], r["peak_rss_mb_max"], vs_ref, vs_me, ns))
    out.append("")
    ref = next((r for r in rep["rows"] if r["tool"] == "panopticapi" and r["vals"]), None)
    me = next((r for r in rep["rows"] if r["tool"] == "maskeval" and r["vals"]), None)
    base = ref or me
    if base:
        out.append("%s: %s" % (base["tool"], ", ".join(
            "%s %s %.4f" % (g, k.upper(), v) for (g, k), v in zip(KEYS, base["vals"]))) +
            " (N %s)" % "/".join(map(str, base["ns"])))
        out.append("")
        for r in rep["rows"]:
            if r is base or not r["vals"] or r["vals"] == base["vals"]:
                continue
            idx = [i for i in range(9) if r["vals"][i] != base["vals"][i]]
            out.append("- %s differs from %s in %s" % (r["tool"], base["tool"], "; ".join(
                "%s %s: %r vs %r" % (KEYS[i][0], KEYS[i][1].upper(), r["vals"][i], base["vals"][i]) for i in idx)))
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
