#!/usr/bin/env python3
"""TIDE benchmark: maskeval tide against tidecv 1.0.1 on the same files.

    bench_tide.py --maskeval BIN --data DIR [--python VENV_PYTHON] [--iou-type segm|bbox|both]
                  [--runs 3] [--tidecv-runs 1] [--backends cpu[,opencl]] [--out REPORT.md]

DIR holds gt.json, dt_segm.json and dt_bbox.json as tests/bench/coco/gen_coco_val.py
writes them (the COCO-val-scale set). Each tool runs as its own process, the
way a user runs it: tidecv's COCO / COCOResult loaders, evaluate_range over
COCO_THRESHOLDS, get_main_errors and get_special_errors; maskeval tide with
--json. Wall time (median over runs), user+sys CPU and peak RSS (getrusage of
the child) are reported, with the ratio to tidecv, and every number of the
two outputs (AP, the six dAP, FalsePos / FalseNeg, the error counts, the ten
range APs) is compared with ==: a benchmark of a wrong answer is no benchmark.

The Python interpreter must have tidecv installed (.venv from .ci/deps.sh --venv).
Timings on a shared 2-core machine are noisy: quote the medians and ratios from
one run of this script, side by side.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "coco"))
from bench_coco import git_commit, machine_info, maskeval_version, run_process  # noqa: E402

TIDECV = r"""
import json, sys, time
from tidecv import TIDE, datasets
gt_path, dt_path, mode, out = sys.argv[1:5]
t0 = time.perf_counter()
gt = datasets.COCO(gt_path)
pr = datasets.COCOResult(dt_path)
t1 = time.perf_counter()
t = TIDE(mode=TIDE.MASK if mode == "segm" else TIDE.BOX)
t.evaluate_range(gt, pr)
name = pr.name
run = t.runs[name]
main = t.get_main_errors()[name]
special = t.get_special_errors()[name]
t2 = time.perf_counter()
aps = [r.ap for r in t.run_thresholds[name]]
res = {"AP": run.ap, "main_errors": main, "special_errors": special,
       "error_counts": {e.short_name: n for e, n in run.count_errors().items()},
       "range": {"AP": aps, "mean": sum(aps) / len(aps)},
       "load_s": t1 - t0, "analysis_s": t2 - t1}
with open(out, "w") as f:
    json.dump(res, f)
"""

KEYS = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")


def differences(mine, ref):
    bad = []
    if mine["AP"] != ref["AP"]:
        bad.append("AP %r != %r" % (mine["AP"], ref["AP"]))
    for k in KEYS:
        if mine["main_errors"][k] != ref["main_errors"][k]:
            bad.append("dAP %s %r != %r" % (k, mine["main_errors"][k], ref["main_errors"][k]))
        if mine["error_counts"][k] != ref["error_counts"][k]:
            bad.append("count %s %r != %r" % (k, mine["error_counts"][k], ref["error_counts"][k]))
    for k in ("FalsePos", "FalseNeg"):
        if mine["special_errors"][k] != ref["special_errors"][k]:
            bad.append("%s %r != %r" % (k, mine["special_errors"][k], ref["special_errors"][k]))
    if mine["range"]["AP"] != ref["range"]["AP"] or mine["range"]["mean"] != ref["range"]["mean"]:
        bad.append("range APs differ")
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--python", default=sys.executable, help="interpreter with tidecv")
    ap.add_argument("--iou-type", default="both", choices=("segm", "bbox", "both"))
    ap.add_argument("--runs", type=int, default=3, help="maskeval runs (median)")
    ap.add_argument("--tidecv-runs", type=int, default=1, help="tidecv runs (median)")
    ap.add_argument("--backends", default="cpu")
    ap.add_argument("--timeout", type=float, default=7200)
    ap.add_argument("--out", help="write the Markdown report here too")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench_tide_")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    gt = os.path.join(args.data, "gt.json")
    rows, failures = [], []
    for iou in (("segm", "bbox") if args.iou_type == "both" else (args.iou_type,)):
        dt = os.path.join(args.data, "dt_%s.json" % iou)
        ref, ref_runs = None, []
        for i in range(args.tidecv_runs):
            out = os.path.join(work, "tidecv_%s.json" % iou)
            r = run_process([args.python, "-c", TIDECV, gt, dt, iou, out], env, args.timeout,
                            os.path.join(work, "tidecv_%s_%d" % (iou, i)))
            if r["rc"] != 0:
                sys.exit("tidecv failed (%d): see %s" % (r["rc"], r["stderr"]))
            with open(out) as f:
                ref = json.load(f)
            ref_runs.append(r)
        t_ref = statistics.median(r["wall_s"] for r in ref_runs)
        rows.append((iou, "tidecv 1.0.1", t_ref, ref_runs, None,
                     "load %.1f s, analysis %.1f s" % (ref["load_s"], ref["analysis_s"])))
        for backend in args.backends.split(","):
            runs = []
            for i in range(args.runs):
                out = os.path.join(work, "maskeval_%s_%s.json" % (iou, backend))
                r = run_process([args.maskeval, "tide", "--gt", gt, "--dt", dt, "--iou-type", iou,
                                 "--backend", backend, "--json", out, "--quiet", "--timing"],
                                env, args.timeout,
                                os.path.join(work, "maskeval_%s_%s_%d" % (iou, backend, i)))
                if r["rc"] != 0:
                    sys.exit("maskeval failed (%d): see %s" % (r["rc"], r["stderr"]))
                runs.append(r)
                with open(out) as f:
                    mine = json.load(f)
                bad = differences(mine, ref)
                if bad:
                    failures.append("%s %s: %s" % (iou, backend, "; ".join(bad)))
            with open(runs[-1]["stderr"]) as f:
                timing = f.read().strip().replace("maskeval: timing: ", "")
            rows.append((iou, "maskeval tide (%s)" % backend,
                         statistics.median(r["wall_s"] for r in runs), runs, t_ref, timing))
    m = machine_info()
    lines = ["# TIDE: maskeval tide vs tidecv 1.0.1", "",
             "Machine: %s, %s CPUs, %s GiB; Python %s. maskeval %s (%s). Data: %s." % (
                 m["cpu"], m["affinity_cpus"], m["mem_gib"], m["python"],
                 maskeval_version(args.maskeval), git_commit(args.maskeval), args.data), "",
             "| iou | tool | wall s (median) | runs | user+sys s | peak RSS MB | speed-up vs tidecv | notes |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for iou, tool, wall, runs, t_ref, notes in rows:
        cpu = statistics.median(r["user_s"] + r["sys_s"] for r in runs)
        rss = max(r["peak_rss_mb"] for r in runs)
        lines.append("| %s | %s | %.2f | %d | %.2f | %.0f | %s | %s |" % (
            iou, tool, wall, len(runs), cpu, rss, "%.0fx" % (t_ref / wall) if t_ref else "1x", notes))
    lines.append("")
    lines.append("Outputs equal to tidecv's (AP, 6 dAP, FalsePos/FalseNeg, counts, 10 range APs): %s"
                 % ("yes, every run" if not failures else "NO"))
    for f in failures:
        lines.append("- " + f)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
