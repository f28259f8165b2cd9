#!/usr/bin/env python3
"""Boundary AP benchmark: maskeval against boundary-iou-api and the fast evaluators.

    bench_boundary.py --data DIR --maskeval PATH --biou BIOU_CHECKOUT
                      [--subset 500] [--runs 3] [--slow-runs 1] [--tools LIST]
                      [--full-tools LIST] [--dilation-ratio 0.02] [--threads N]
                      [--markdown OUT.md] [--json OUT.json] [--keep-logs DIR]

DIR is what tests/bench/coco/gen_coco_val.py wrote (gt.json, dt_segm.json).
BIOU_CHECKOUT is a checkout of bowenc0221/boundary-iou-api (not on PyPI); it is
put on sys.path of its child process, with three shims for today's stack:
``np.float = float`` and ``np.int = int`` (removed from numpy 1.24+, used by its
accumulate()), and stub ``matplotlib`` modules (its coco.py imports pyplot for
showAnns only). Its multiprocessing (boundary bands on cpu_count() processes)
is left as it is. cv2 (opencv-python-headless) must be importable.

Two tables:

* full set: the tools fast enough to evaluate every image (--full-tools,
  default maskeval and vernier), --runs runs each (faster-coco-eval and
  ultrafast-pycocotools need ~0.2 and ~0.5 s per image here, i.e. 15-40 min
  for the 5000 images, so they are only in the subset table by default);
* subset: the first --subset images of gt.json (in file order) with their GT
  and results, written to DIR/subset-N/{gt,dt_segm}.json; every tool (--tools)
  evaluates these same files, --slow-tools (default boundary-iou-api,
  faster-coco-eval, ultrafast-pycocotools) --slow-runs times, the others
  --runs times. boundary-iou-api computes its bands for every annotation in the
  files it loads, so a subset must be real files, not a --img-ids filter.

Measurement as in tests/bench/coco/bench_coco.py (whose helpers this imports):
each run is its own process, runs are interleaved round by round, whole-process
wall time from Popen to wait4(), peak RSS = ru_maxrss of the child. Every
tool's 12 stats are compared with maskeval's in the same table (== on all 12
floats, and the largest absolute difference); in the subset table also with
boundary-iou-api's (the reference implementation).

Boundary support in the peers (checked in their installed sources):
faster-coco-eval 1.8.0 COCOeval_faster(iouType="boundary", boundary_dilation_ratio=);
vernier 0.5.4 vernier.instance.Evaluator(iou=Boundary(dilation_ratio=));
ultrafast-pycocotools 0.1.14 COCOeval(iouType="boundary", boundary_dilation_ratio=);
hotcoco 1.3.0 has none (COCOeval raises "Unknown iou_type: 'boundary'"), so it is
listed as unsupported and not run.
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

PY_TOOLS = ("boundary-iou-api", "faster-coco-eval", "vernier", "ultrafast-pycocotools")
ALL_TOOLS = ("maskeval",) + PY_TOOLS
UNSUPPORTED = {"hotcoco": "hotcoco 1.3.0: COCOeval(iou_type='boundary') raises ValueError "
                          "\"Unknown iou_type: 'boundary'. Expected 'bbox', 'segm', 'keypoints', or 'obb'\""}
DIST = {"boundary-iou-api": None, "faster-coco-eval": "faster-coco-eval", "vernier": "vernier",
        "ultrafast-pycocotools": "ultrafast-pycocotools"}

# argv: 1 gt, 2 dt, 3 stats out, 4 threads ("" = default), 5 dilation ratio, 6 biou checkout
_SAVE = ("import json\n"
         "with open(sys.argv[3], 'w') as f:\n"
         "    json.dump([float(x) for x in list(stats)[:12]], f)\n")
PROGRAMS = {
    "boundary-iou-api": (
        "import sys, types\n"
        "import numpy as np\n"
        "np.float = float; np.int = int\n"
        "for m in ('matplotlib', 'matplotlib.pyplot', 'matplotlib.collections', 'matplotlib.patches'):\n"
        "    mod = types.ModuleType(m); mod.PatchCollection = mod.Polygon = None; sys.modules[m] = mod\n"
        "sys.path.insert(0, sys.argv[6])\n"
        "from boundary_iou.coco_instance_api.coco import COCO\n"
        "from boundary_iou.coco_instance_api.cocoeval import COCOeval\n"
        "r = float(sys.argv[5])\n"
        "gt = COCO(sys.argv[1], get_boundary=True, dilation_ratio=r)\n"
        "dt = gt.loadRes(sys.argv[2])\n"
        "E = COCOeval(gt, dt, iouType='boundary', dilation_ratio=r)\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "stats = E.stats\n" + _SAVE),
    "faster-coco-eval": (
        "import sys\n"
        "from faster_coco_eval import COCO, COCOeval_faster\n"
        "gt = COCO(sys.argv[1])\n"
        "dt = gt.loadRes(sys.argv[2])\n"
        "E = COCOeval_faster(gt, dt, iouType='boundary', print_function=print,\n"
        "                    boundary_dilation_ratio=float(sys.argv[5]))\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "stats = E.stats\n" + _SAVE),
    "vernier": (
        "import sys\n"
        "from vernier.instance import Boundary, CocoDataset, Evaluator\n"
        "with open(sys.argv[1], 'rb') as f: gt = CocoDataset.from_json(f.read())\n"
        "with open(sys.argv[2], 'rb') as f: dt = f.read()\n"
        "ev = Evaluator(iou=Boundary(dilation_ratio=float(sys.argv[5])), parity_mode='strict')\n"
        "s = ev.evaluate(gt, dt, num_threads=int(sys.argv[4]) if sys.argv[4] else None)\n"
        "print('\\n'.join(s.pretty_lines()))\n"
        "stats = s.stats\n" + _SAVE),
    "ultrafast-pycocotools": (
        "import sys\n"
        "from ultrafast_pycocotools import COCO, COCOeval\n"
        "gt = COCO(sys.argv[1])\n"
        "dt = gt.loadRes(sys.argv[2])\n"
        "E = COCOeval(gt, dt, 'boundary', boundary_dilation_ratio=float(sys.argv[5]))\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "stats = E.stats\n" + _SAVE),
}




def version_of(python, tool):
    if tool == 'boundary-iou-api':
        return "git checkout"
    return dist_version(python, DIST[tool])


def make_subset(data, n, out):
    """First n images of gt.json (file order), their GT and results.

    Done in a child process (see _in_child): a child forked from a parent that
    holds the parsed 190 MB results would inherit its RSS, and wait4()'s
    ru_maxrss of every later tool would be at least that."""
    gt_out, dt_out = os.path.join(out, "gt.json"), os.path.join(out, "dt_segm.json")
    stamp = os.path.join(out, "source.json")
    key = {"n": n, "gt": [os.path.getsize(os.path.join(data, "gt.json")),
                          int(os.path.getmtime(os.path.join(data, "gt.json")))],
           "dt": [os.path.getsize(os.path.join(data, "dt_segm.json")),
                  int(os.path.getmtime(os.path.join(data, "dt_segm.json")))]}
    try:
        with open(stamp) as f:
            if json.load(f) == key and os.path.exists(gt_out) and os.path.exists(dt_out):
                return gt_out, dt_out
    except (OSError, ValueError):
        pass
    os.makedirs(out, exist_ok=True)
    _in_child("_write_subset", data, n, out)
    with open(stamp, "w") as f:
        json.dump(key, f)
    return gt_out, dt_out


def _in_child(func, *a):
    """Run func(*a) of this module in a fresh interpreter; return its printed JSON."""
    code = ("import sys, json; sys.path.insert(0, %r); import bench_boundary as b; "
            "print(json.dumps(getattr(b, sys.argv[1])(*json.loads(sys.argv[2]))))" % HERE)
    p = subprocess.run([sys.executable, "-c", code, func, json.dumps(a)], capture_output=True,
                       text=True, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def _count_images(path):
    with open(path) as f:
        return len(json.load(f)["images"])


def _write_subset(data, n, out):
    gt_out, dt_out = os.path.join(out, "gt.json"), os.path.join(out, "dt_segm.json")
    with open(os.path.join(data, "gt.json")) as f:
        gt = json.load(f)
    ims = gt["images"][:n]
    ids = {im["id"] for im in ims}
    gt["images"] = ims
    gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in ids]
    with open(gt_out, "w") as f:
        json.dump(gt, f, separators=(",", ":"))
    with open(os.path.join(data, "dt_segm.json")) as f:
        dt = json.load(f)
    with open(dt_out, "w") as f:
        json.dump([d for d in dt if d["image_id"] in ids], f, separators=(",", ":"))
    return len(ims)


def compare(stats, ref):
    if stats is None or ref is None:
        return None, None
    return (all(a == b for a, b in zip(stats, ref)) and len(stats) == len(ref),
            max(abs(a - b) for a, b in zip(stats, ref)))


def run_block(name, tools, gt, dt, args, env, logdir, runs_of):
    """Run every tool runs_of(tool) times, interleaved; return rows."""
    rows = {t: {"tool": t, "runs": [], "stats": None, "stats_same_every_run": True, "failed": None}
            for t in tools}
    for r in range(max(runs_of(t) for t in tools)):
        for t in tools:
            row = rows[t]
            if r >= runs_of(t) or row["failed"]:
                continue
            stem = os.path.join(logdir, "%s-%s-%d" % (name, t, r))
            sp = stem + ".stats.json"
            if os.path.exists(sp):
                os.unlink(sp)
            if t == "maskeval":
                argv = [args.maskeval, "coco", "--gt", gt, "--dt", dt, "--iou-type", "boundary",
                        "--dilation-ratio", repr(args.dilation_ratio), "--json", sp, "--quiet"]
                if args.threads:
                    argv += ["--threads", str(args.threads)]
            else:
                argv = [args.python, "-c", PROGRAMS[t], gt, dt, sp, str(args.threads or ""),
                        repr(args.dilation_ratio), args.biou or ""]
            res = run_process(argv, env, args.timeout, stem)
            stats = None
            if res["rc"] == 0:
                try:
                    with open(sp) as f:
                        obj = json.load(f)
                    stats = [float(x) for x in (obj["stats"] if isinstance(obj, dict) else obj)][:12]
                except (OSError, ValueError, KeyError):
                    pass
            if stats is None:
                why = ("timed out after %.0f s" % args.timeout if res["timed_out"] else
                       "exit %d: %s" % (res["rc"], tail(res["stderr"]) or tail(res["stdout"])))
                row["failed"] = why
                print("  %-8s %-24s run %d FAILED: %s" % (name, t, r + 1, why), flush=True)
                continue
            if row["stats"] is None:
                row["stats"] = stats
            elif stats != row["stats"]:
                row["stats_same_every_run"] = False
            row["runs"].append({k: res[k] for k in ("wall_s", "peak_rss_mb", "user_s", "sys_s")})
            print("  %-8s %-24s run %d: %8.3f s  %7.1f MB" % (name, t, r + 1, res["wall_s"],
                                                            res["peak_rss_mb"]), flush=True)
    out = []
    base = rows.get("maskeval")
    base_med = statistics.median(x["wall_s"] for x in base["runs"]) if base and base["runs"] else None
    ref = rows.get("boundary-iou-api")
    for t in tools:
        row = rows[t]
        if row["runs"]:
            row["wall_median_s"] = statistics.median(x["wall_s"] for x in row["runs"])
            row["cpu_s_median"] = statistics.median(x["user_s"] + x["sys_s"] for x in row["runs"])
            row["peak_rss_mb_max"] = max(x["peak_rss_mb"] for x in row["runs"])
            row["ratio_vs_maskeval"] = row["wall_median_s"] / base_med if base_med else None
        row["equal_maskeval"], row["diff_maskeval"] = compare(row["stats"], base["stats"] if base else None)
        if ref is not None:
            row["equal_ref"], row["diff_ref"] = compare(row["stats"], ref["stats"])
        out.append(row)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data")
    ap.add_argument("--maskeval")
    ap.add_argument("--biou", help="checkout of bowenc0221/boundary-iou-api")
    ap.add_argument("--from-json", metavar="REPORT.json", help="only re-render an earlier report")
    ap.add_argument("--subset", type=int, default=300,
                    help="images in the subset table (0 = no subset table)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--slow-runs", type=int, default=1)
    ap.add_argument("--slow-tools", default="boundary-iou-api,faster-coco-eval,ultrafast-pycocotools")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="tools of the subset table")
    ap.add_argument("--full-tools", default="maskeval,vernier",
                    help="tools of the full-set table ('' = no full-set table)")
    ap.add_argument("--dilation-ratio", type=float, default=0.02)
    ap.add_argument("--threads", type=int, default=None)
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
    args.maskeval = os.path.abspath(args.maskeval)
    sub_tools = tool_list(ap, args.tools, ALL_TOOLS, "; hotcoco has no boundary AP")
    full_tools = tool_list(ap, args.full_tools, ALL_TOOLS, "; hotcoco has no boundary AP")
    if not args.subset:
        sub_tools = []
    if "boundary-iou-api" in sub_tools + full_tools and not args.biou:
        ap.error("boundary-iou-api needs --biou CHECKOUT")
    slow = {t for t in args.slow_tools.split(",") if t}
    logdir = args.keep_logs or tempfile.mkdtemp(prefix="bench_boundary_")
    os.makedirs(logdir, exist_ok=True)
    env = dict(os.environ)
    if args.threads:
        env["RAYON_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(args.threads)

    args.maskeval, v = private_maskeval(args.maskeval, logdir)
    versions = {"maskeval": v}
    for t in set(sub_tools + full_tools) - {"maskeval"}:
        versions[t] = version_of(args.python, t)
    p = subprocess.run([args.python, "-c", "import numpy, cv2; print(numpy.__version__, cv2.__version__)"],
                       capture_output=True, text=True)
    versions["numpy, cv2"] = p.stdout.strip() or "?"
    rep = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(),
           "versions": versions, "data": os.path.abspath(args.data), "dilation_ratio": args.dilation_ratio,
           "runs": args.runs, "slow_runs": args.slow_runs, "slow_tools": sorted(slow),
           "threads": args.threads, "note": args.note, "unsupported": UNSUPPORTED, "blocks": []}
    runs_of = lambda t: args.slow_runs if t in slow else args.runs  # noqa: E731
    print("bench_boundary: logs in %s" % logdir, flush=True)

    gt, dt = os.path.join(args.data, "gt.json"), os.path.join(args.data, "dt_segm.json")
    if full_tools:
        n_img = _in_child("_count_images", gt)
        rows = run_block("full", full_tools, gt, dt, args, env, logdir, runs_of)
        rep["blocks"].append({"name": "full set (%d images)" % n_img, "images": n_img, "gt": gt, "dt": dt,
                              "rows": rows})
    if args.subset:
        sgt, sdt = make_subset(args.data, args.subset, os.path.join(args.data, "subset-%d" % args.subset))
        rows = run_block("subset", sub_tools, sgt, sdt, args, env, logdir, runs_of)
        rep["blocks"].append({"name": "subset: first %d images" % args.subset, "images": args.subset,
                              "gt": sgt, "dt": sdt, "rows": rows})
    write_report(rep, markdown(rep), args.markdown, args.json)
    return 0




def markdown(rep):
    m = rep["machine"]
    out = ["## Boundary AP (dilation ratio %g), %s" % (rep["dilation_ratio"], rep["date"]), ""]
    out.append("Machine: %s, %s cores, %s GiB, %s, Python %s. Data: %s." % (
        m["cpu"], m["cores"], m["mem_gib"], m["os"], m["python"], rep["data"]))
    out.append("")
    out.append("Versions: " + "; ".join("%s %s" % kv for kv in sorted(rep["versions"].items())) + ".")
    out.append("")
    if rep.get("note"):
        out += ["Note: " + rep["note"] + ".", ""]
    out.append("Whole-process wall time (start-up, imports, JSON parsing, bands, evaluation), median "
               "of %d runs (%d for %s), runs interleaved tool by tool; peak RSS = ru_maxrss of the "
               "child. Ratio = tool median / maskeval median in the same table (> 1: slower than "
               "maskeval). Threads: %s. 'equal' = all 12 stats == (bit-identical)." % (
                   rep["runs"], rep["slow_runs"], ", ".join(rep["slow_tools"]),
                   rep["threads"] or "each tool's default (all cores)"))
    out.append("")
    for b in rep["blocks"]:
        has_ref = any(r["tool"] == "boundary-iou-api" for r in b["rows"])
        out.append("### %s" % b["name"])
        out.append("")
        hdr = "| tool | version | runs | wall s median | ratio to maskeval | CPU s median | peak RSS MB | stats vs maskeval |"
        sep = "|---|---|---:|---:|---:|---:|---:|---|"
        if has_ref:
            hdr += " stats vs boundary-iou-api |"
            sep += "---|"
        out += [hdr, sep]
        for r in b["rows"]:
            ver = (rep["versions"].get(r["tool"]) or "?").replace("maskeval ", "")
            if not r["runs"]:
                out.append("| %s | %s | 0 | - | - | - | - | failed: %s |%s" % (
                    r["tool"], ver, r["failed"], " - |" if has_ref else ""))
                continue
            vs_me = "(itself)" if r["tool"] == "maskeval" else eq_cell(r["equal_maskeval"], r["diff_maskeval"])
            if not r["stats_same_every_run"]:
                vs_me += " (stats vary between runs!)"
            line = "| %s | %s | %d | %.3f | %.2f | %.2f | %.0f | %s |" % (
                r["tool"], ver, len(r["runs"]), r["wall_median_s"], r["ratio_vs_maskeval"] or float("nan"),
                r["cpu_s_median"], r["peak_rss_mb_max"], vs_me)
            if has_ref:
                line += " %s |" % ("(itself)" if r["tool"] == "boundary-iou-api" else
                                   eq_cell(r.get("equal_ref"), r.get("diff_ref")))
            out.append(line)
        out.append("")
        me = next((r for r in b["rows"] if r["tool"] == "maskeval" and r["stats"]), None)
        if me:
            out.append("maskeval stats: " + ", ".join("%.4f" % x for x in me["stats"]))
            out.append("")
        for r in b["rows"]:
            if me and r["stats"] and r["tool"] != "maskeval" and r["stats"] != me["stats"]:
                idx = [i for i in range(12) if r["stats"][i] != me["stats"][i]]
                out.append("- %s differs from maskeval in stats %s: %s" % (
                    r["tool"], idx, "; ".join("[%d] %r vs %r" % (i, r["stats"][i], me["stats"][i]) for i in idx)))
        out.append("")
    out.append("Not run: " + "; ".join("%s (%s)" % kv for kv in rep["unsupported"].items()) + ".")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
