#!/usr/bin/env python3
"""Cityscapes instance-level AP benchmark: maskeval against cityscapesScripts.

    bench_cityscapes.py --data DIR --maskeval PATH [--python VENV_PYTHON]
                        [--runs 3] [--slow-runs 1] [--slow-tools cityscapesScripts]
                        [--tools LIST] [--threads N] [--ddot-kernel K]
                        [--markdown OUT.md] [--json OUT.json] [--keep-logs DIR]
    bench_cityscapes.py --from-json REPORT.json [--markdown OUT.md]

DIR is what tests/cityscapes/gen_cityscapes.py wrote (gt/, pred/); for a
realistic set use --mask-png pillow-l --size 1024x2048 (see README.md).
--python is the interpreter with cityscapesScripts 2.3.0, numpy and Pillow
(default: this one).

Tools (--tools, comma-separated):
    maskeval            maskeval cityscapes-instances --gt-dir --pred-dir --json OUT
                        --quiet --threads T --ddot-kernel K
    maskeval-threads1   the same with --threads 1
    cityscapesScripts   evalInstanceLevelSemanticLabeling.evaluateImgLists in its own
                        child process, through run_reference() of
                        tests/cityscapes/run_parity.py (its numpy 2.4 shims; the
                        ground-truth instances are recomputed every run, and it
                        writes gtInstances.json and matches.json as it always does)

K (--ddot-kernel) defaults to the one matching the OpenBLAS core of --python's
numpy (run_parity.DDOT_KERNELS): the reference's AP ends in np.dot, whose
summation order depends on that core. On a core maskeval does not reproduce,
the last bits of an AP can differ; the report says so.

Measurement as in tests/bench/coco/bench_coco.py (whose helpers this imports):
own process per run, runs interleaved round by round, whole-process wall time,
CPU s (user + sys) and peak RSS of the child from wait4(). The whole result
(allAp, allAp50%, every class's AP and AP50, the 8 x 10 AP matrix) is compared
with == (NaN equals NaN) against cityscapesScripts' and maskeval's.
"""

import argparse
import datetime
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CS_TESTS = os.path.normpath(os.path.join(HERE, "..", "..", "cityscapes"))
sys.path.insert(0, os.path.join(HERE, "..", "coco"))
from bench_coco import (dist_version, machine_info, private_maskeval,  # noqa: E402
                        rewrite_markdown, run_process, tail, tool_list, write_report)

ALL_TOOLS = ("maskeval", "maskeval-threads1", "cityscapesScripts")
REFERENCE = "cityscapesScripts"

# argv: 1 gt dir, 2 pred dir, 3 result json, 4 tests/cityscapes, 5 work dir.
# The result is written in the layout of maskeval's --json (NaN as null).
REF_PROGRAM = (
    "import json, math, os, sys, warnings\n"
    "sys.path.insert(0, sys.argv[4])\n"
    "warnings.filterwarnings('ignore', message='Palette images with Transparency')\n"
    "from run_parity import run_reference\n"
    "res = run_reference(sys.argv[1], sys.argv[2], sys.argv[5])\n"
    "def num(v):\n"
    "    v = float(v)\n"
    "    return None if math.isnan(v) else v\n"
    "av = res['averages']\n"
    "out = {'averages': {'allAp': num(av['allAp']), 'allAp50%': num(av['allAp50%']),\n"
    "                    'classes': {c: {'ap': num(av['classes'][c]['ap']),\n"
    "                                    'ap50%': num(av['classes'][c]['ap50%'])}\n"
    "                                for c in res['instLabels']}},\n"
    "       'instLabels': list(res['instLabels']),\n"
    "       'overlaps': [float(x) for x in res['overlaps']],\n"
    "       'resultApMatrix': [[num(v) for v in row] for row in res['resultApMatrix'][0]]}\n"
    "with open(sys.argv[3], 'w') as f:\n"
    "    json.dump(out, f)\n")

# numpy's OpenBLAS core, by run_parity.openblas_core() under --python
CORE_PROGRAM = ("import sys\n"
                "sys.path.insert(0, sys.argv[1])\n"
                "from run_parity import openblas_core\n"
                "print(openblas_core())\n")


def num(v):
    return float("nan") if v is None else float(v)


def read_result(path):
    """(keys, values, counts, overlaps) of a result in maskeval's --json
    layout: allAp, allAp50%, each class's AP and AP50, then the AP matrix class
    by class (keys 'person @0.55'); NaN for null."""
    with open(path) as f:
        obj = json.load(f)
    labels, overlaps, av = obj["instLabels"], obj["overlaps"], obj["averages"]
    matrix = obj["resultApMatrix"]
    keys, vals = ["allAp", "allAp50%"], [num(av["allAp"]), num(av["allAp50%"])]
    for c in labels:
        keys += ["%s AP" % c, "%s AP50" % c]
        vals += [num(av["classes"][c]["ap"]), num(av["classes"][c]["ap50%"])]
    if len(matrix) != len(labels) or any(len(row) != len(overlaps) for row in matrix):
        raise ValueError("AP matrix is not %d x %d" % (len(labels), len(overlaps)))
    for c, row in zip(labels, matrix):
        for t, v in zip(overlaps, row):
            keys.append("%s @%.2f" % (c, t))
            vals.append(num(v))
    counts = {k: obj[k] for k in ("images", "gtInstances", "predictions") if k in obj}
    return keys, vals, counts, [float(t) for t in overlaps]


def same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def compare(a, b):
    """a, b: (keys, values, overlaps). (equal, max abs diff over the numbers
    both have, differing indices); None, None, None when either is missing.
    Other classes or thresholds (exact floats): not equal."""
    if a is None or b is None:
        return None, None, None
    (ka, va, oa), (kb, vb, ob) = a, b
    if ka != kb or oa != ob:
        return False, None, None
    bad = [i for i, (x, y) in enumerate(zip(va, vb)) if not same(x, y)]
    diffs = [abs(x - y) for x, y in zip(va, vb) if not (math.isnan(x) or math.isnan(y))]
    return not bad, max(diffs) if diffs else 0.0, bad


def to_json_vals(vals):
    return [None if math.isnan(v) else v for v in vals]


def from_json_vals(vals):
    return [num(v) for v in vals]


def eq_cell(equal, diff):
    if equal is None:
        return "-"
    if equal:
        return "equal"
    return "**differs**" + ("" if diff is None else " (max abs diff %.3g)" % diff)


def data_summary(gt_dir, pred_dir):
    """Files and sizes (no decoding: the parent stays small, wait4()'s
    ru_maxrss of a child counts the parent's pages it was forked with)."""
    n_gt = gt_bytes = n_txt = lines = n_png = png_bytes = 0
    for root, _, files in os.walk(gt_dir):
        for name in files:
            if name.endswith("_gtFine_instanceIds.png"):
                n_gt += 1
                gt_bytes += os.path.getsize(os.path.join(root, name))
    for root, _, files in os.walk(pred_dir):
        for name in files:
            p = os.path.join(root, name)
            if name.endswith(".txt"):
                n_txt += 1
                with open(p, "rb") as f:
                    lines += sum(1 for l in f if l.strip())
            elif name.endswith(".png"):
                n_png += 1
                png_bytes += os.path.getsize(p)
    return {"images": n_gt, "gt_png_mb": round(gt_bytes / 1e6, 1), "prediction_files": n_txt,
            "prediction_lines": lines, "mask_pngs": n_png, "mask_png_mb": round(png_bytes / 1e6, 1)}


def warm_cache(*dirs):
    for d in dirs:
        for root, _, files in os.walk(d):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    while f.read(1 << 20):
                        pass


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="what gen_cityscapes.py wrote (gt/, pred/)")
    ap.add_argument("--maskeval", help="the maskeval binary (a copy of it is run)")
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter with cityscapesScripts, numpy and Pillow (default: this one)")
    ap.add_argument("--from-json", metavar="REPORT.json", help="only re-render an earlier report")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--slow-runs", type=int, default=1)
    ap.add_argument("--slow-tools", default=REFERENCE)
    ap.add_argument("--tools", default=",".join(ALL_TOOLS))
    ap.add_argument("--threads", type=int, default=os.cpu_count(),
                    help="maskeval --threads (default: os.cpu_count())")
    ap.add_argument("--ddot-kernel", choices=("skylakex", "haswell"),
                    help="maskeval --ddot-kernel (default: the one of --python's numpy's OpenBLAS core)")
    ap.add_argument("--timeout", type=float, default=7200.0)
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    ap.add_argument("--keep-logs", metavar="DIR")
    ap.add_argument("--note", help="a line for the report (e.g. the load on the machine)")
    args = ap.parse_args(argv)
    if args.from_json:
        return rewrite_markdown(args.from_json, markdown, args.markdown)
    if not args.data or not args.maskeval:
        ap.error("--data and --maskeval are required")
    tools = tool_list(ap, args.tools, ALL_TOOLS)
    slow = {t for t in args.slow_tools.split(",") if t}
    runs_of = lambda t: args.slow_runs if t in slow else args.runs  # noqa: E731
    D = os.path.abspath(args.data)
    gtd, prd = os.path.join(D, "gt"), os.path.join(D, "pred")
    for d in (gtd, prd):
        if not os.path.isdir(d):
            ap.error("%s is not a folder (--data: what gen_cityscapes.py wrote)" % d)
    args.maskeval = os.path.abspath(args.maskeval)
    logdir = os.path.abspath(args.keep_logs or tempfile.mkdtemp(prefix="bench_cityscapes_"))
    os.makedirs(logdir, exist_ok=True)
    env = dict(os.environ)

    args.maskeval, v = private_maskeval(args.maskeval, logdir)
    versions = {"maskeval": v}
    versions["maskeval-threads1"] = versions["maskeval"]
    versions[REFERENCE] = dist_version(args.python, "cityscapesScripts") or "?"
    p = subprocess.run([args.python, "-c", "import numpy, PIL; print(numpy.__version__, PIL.__version__)"],
                       capture_output=True, text=True)
    versions["numpy, Pillow"] = p.stdout.strip() or "?"
    p = subprocess.run([args.python, "-c", CORE_PROGRAM, CS_TESTS], capture_output=True, text=True)
    core = p.stdout.strip() or "unknown"
    sys.path.insert(0, CS_TESTS)
    from run_parity import DDOT_KERNELS  # standard library only at import
    kernel_note = None
    if args.ddot_kernel:
        kernel = args.ddot_kernel
        if DDOT_KERNELS.get(core.lower()) not in (None, kernel):
            kernel_note = ("--ddot-kernel %s given, numpy's OpenBLAS core is %s (%s): the last bits "
                           "of an AP can differ" % (kernel, core, DDOT_KERNELS[core.lower()]))
    else:
        kernel = DDOT_KERNELS.get(core.lower())
        if kernel is None:
            kernel = "skylakex"
            kernel_note = ("numpy's OpenBLAS core %s is not one whose ddot maskeval reproduces; "
                           "maskeval ran with --ddot-kernel skylakex and the last bits of an AP can "
                           "differ" % core)
    if kernel_note:
        print("bench_cityscapes: " + kernel_note, flush=True)

    summary = data_summary(gtd, prd)
    warm_cache(gtd, prd)  # the page cache warm for every tool
    print("bench_cityscapes: %d images, %d mask PNGs (%.1f MB), logs in %s" % (
        summary["images"], summary["mask_pngs"], summary["mask_png_mb"], logdir), flush=True)

    rows = {t: {"tool": t, "runs": [], "keys": None, "vals": None, "counts": None, "overlaps": None,
                "stats_same_every_run": True, "failed": None} for t in tools}
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
                argv = [args.maskeval, "cityscapes-instances", "--gt-dir", gtd, "--pred-dir", prd,
                        "--json", out, "--quiet", "--threads", "1" if t == "maskeval-threads1" else
                        str(args.threads), "--ddot-kernel", kernel]
            else:
                work = stem + ".work"
                shutil.rmtree(work, ignore_errors=True)
                os.makedirs(work)
                argv = [args.python, "-c", REF_PROGRAM, gtd, prd, out, CS_TESTS, work]
            res = run_process(argv, env, args.timeout, stem)
            try:
                keys, vals, counts, ov = read_result(out) if res["rc"] == 0 else (None,) * 4
            except (OSError, ValueError, KeyError, TypeError):
                keys, vals, counts, ov = (None,) * 4
            if vals is None:
                why = ("timed out after %.0f s" % args.timeout if res["timed_out"] else
                       "exit %d: %s" % (res["rc"], tail(res["stderr"]) or tail(res["stdout"])))
                row["failed"] = why
                print("  %-18s run %d FAILED: %s" % (t, r + 1, why), flush=True)
                continue
            if row["vals"] is None:
                row["keys"], row["vals"], row["counts"], row["overlaps"] = keys, vals, counts, ov
            elif not compare((keys, vals, ov), (row["keys"], row["vals"], row["overlaps"]))[0]:
                row["stats_same_every_run"] = False
            row["runs"].append({k: res[k] for k in ("wall_s", "peak_rss_mb", "user_s", "sys_s")})
            print("  %-18s run %d: %8.3f s  %7.1f MB" % (t, r + 1, res["wall_s"], res["peak_rss_mb"]),
                  flush=True)

    base, ref = rows.get("maskeval"), rows.get(REFERENCE)
    base_med = statistics.median(x["wall_s"] for x in base["runs"]) if base and base["runs"] else None
    kv = lambda row: ((row["keys"], row["vals"], row["overlaps"])  # noqa: E731
                      if row and row["vals"] is not None else None)
    out_rows = []
    for t in tools:
        row = rows[t]
        if row["runs"]:
            row["wall_median_s"] = statistics.median(x["wall_s"] for x in row["runs"])
            row["wall_min_s"] = min(x["wall_s"] for x in row["runs"])
            row["cpu_s_median"] = statistics.median(x["user_s"] + x["sys_s"] for x in row["runs"])
            row["peak_rss_mb_max"] = max(x["peak_rss_mb"] for x in row["runs"])
            row["ratio_vs_maskeval"] = row["wall_median_s"] / base_med if base_med else None
        row["equal_maskeval"], row["diff_maskeval"], _ = compare(kv(row), kv(base))
        row["equal_ref"], row["diff_ref"], bad = compare(kv(row), kv(ref))
        row["differs_from_ref"] = ([{"key": row["keys"][i], "value": row["vals"][i], "reference": ref["vals"][i]}
                                    for i in bad] if bad else [])
        for d in row["differs_from_ref"]:
            d["value"], d["reference"] = to_json_vals([d["value"], d["reference"]])
        out_rows.append(row)
    for row in out_rows:  # after every comparison: NaN as null in the report
        if row["vals"] is not None:
            row["vals"] = to_json_vals(row["vals"])
    maskeval_counts = next((r["counts"] for r in out_rows if r["tool"].startswith("maskeval") and r["counts"]),
                           None)
    rep = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine_info(),
           "versions": versions, "openblas_core": core, "ddot_kernel": kernel, "kernel_note": kernel_note,
           "data": D, "data_summary": summary, "maskeval_counts": maskeval_counts,
           "runs": args.runs, "slow_runs": args.slow_runs, "slow_tools": sorted(slow),
           "threads": args.threads, "note": args.note, "rows": out_rows}
    write_report(rep, markdown(rep), args.markdown, args.json)
    return 0


def markdown(rep):
    m, s = rep["machine"], rep["data_summary"]
    mc = rep.get("maskeval_counts") or {}
    out = ["## Cityscapes instance-level AP, %d images, %s" % (s["images"], rep["date"]), ""]
    out.append("Machine: %s, %s cores, %s GiB, %s, Python %s." % (
        m["cpu"], m["cores"], m["mem_gib"], m["os"], m["python"]))
    out.append("")
    out.append("Data: %s: %d ground-truth PNGs (%.1f MB), %d prediction lists with %d lines, %d mask PNGs "
               "(%.1f MB)%s." % (
                   rep["data"], s["images"], s["gt_png_mb"], s["prediction_files"], s["prediction_lines"],
                   s["mask_pngs"], s["mask_png_mb"],
                   "; maskeval counts %s GT instances of the 8 classes and %s non-empty predicted masks of "
                   "them" % (mc["gtInstances"], mc["predictions"]) if "gtInstances" in mc else ""))
    out.append("")
    out.append("Versions: " + "; ".join("%s %s" % kv for kv in sorted(rep["versions"].items())) +
               "; numpy's OpenBLAS core %s, maskeval --ddot-kernel %s." % (rep["openblas_core"], rep["ddot_kernel"]))
    out.append("")
    if rep.get("kernel_note"):
        out += ["Note: " + rep["kernel_note"] + ".", ""]
    if rep.get("note"):
        out += ["Note: " + rep["note"] + ".", ""]
    out.append("Whole-process wall time (start-up, reading the lists, PNG decoding, matching, AP), median "
               "and minimum of %d runs (%d for %s), runs interleaved tool by tool, page cache warm; CPU s = "
               "user + sys of the child; peak RSS = ru_maxrss of the child. Ratio = tool median / maskeval "
               "median (> 1: slower than maskeval). maskeval --threads %d. cityscapesScripts: "
               "evaluateImgLists in its own process (ground-truth instances recomputed, gtInstances.json "
               "and matches.json written, as the reference always does). 'equal' = allAp, allAp50%%, every "
               "class's AP and AP50 and the 8 x 10 AP matrix == (NaN == NaN)." % (
                   rep["runs"], rep["slow_runs"], ", ".join(rep["slow_tools"]) or "-", rep["threads"]))
    out.append("")
    out.append("| tool | version | runs | wall s median | wall s min | ratio to maskeval | CPU s median | "
               "peak RSS MB | result vs cityscapesScripts | vs maskeval |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rep["rows"]:
        ver = rep["versions"].get(r["tool"]) or "?"
        if not r["runs"]:
            out.append("| %s | %s | 0 | - | - | - | - | - | failed: %s | - |" % (
                r["tool"], ver, r["failed"].replace("|", "\\|")))
            continue
        vs_ref = "(reference)" if r["tool"] == REFERENCE else eq_cell(r["equal_ref"], r["diff_ref"])
        vs_me = "(itself)" if r["tool"] == "maskeval" else eq_cell(r["equal_maskeval"], r["diff_maskeval"])
        if not r["stats_same_every_run"]:
            vs_me += " (results vary between runs!)"
        ratio = "-" if r["ratio_vs_maskeval"] is None else "%.2f" % r["ratio_vs_maskeval"]
        out.append("| %s | %s | %d | %.3f | %.3f | %s | %.2f | %.0f | %s | %s |" % (
            r["tool"], ver, len(r["runs"]), r["wall_median_s"], r["wall_min_s"], ratio,
            r["cpu_s_median"], r["peak_rss_mb_max"], vs_ref, vs_me))
    out.append("")
    base = next((r for r in rep["rows"] if r["tool"] == REFERENCE and r["vals"]), None) or \
        next((r for r in rep["rows"] if r["vals"]), None)
    if base:
        vals = dict(zip(base["keys"], from_json_vals(base["vals"])))
        f = lambda v: "NaN" if math.isnan(v) else "%.4f" % v  # noqa: E731
        classes = [k[:-3] for k in base["keys"] if k.endswith(" AP")]
        out.append("%s: allAp %s, allAp50%% %s; AP / AP50 per class: %s." % (
            base["tool"], f(vals["allAp"]), f(vals["allAp50%"]),
            ", ".join("%s %s / %s" % (c, f(vals[c + " AP"]), f(vals[c + " AP50"])) for c in classes)))
        out.append("")
        for r in rep["rows"]:
            if r is base or not r["vals"]:
                continue
            if r["keys"] != base["keys"] or r.get("overlaps") != base.get("overlaps"):
                out.append("- %s: other classes or thresholds than %s" % (r["tool"], base["tool"]))
                continue
            idx = [i for i, (x, y) in enumerate(zip(from_json_vals(r["vals"]), from_json_vals(base["vals"])))
                   if not same(x, y)]
            if idx:
                out.append("- %s differs from %s in %d of %d numbers: %s%s" % (
                    r["tool"], base["tool"], len(idx), len(base["keys"]), "; ".join(
                        "%s: %r vs %r" % (base["keys"][i], num(r["vals"][i]), num(base["vals"][i]))
                        for i in idx[:20]), "; ..." if len(idx) > 20 else ""))
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
