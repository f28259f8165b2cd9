#!/usr/bin/env python3
"""Per-category statistics of --format csv against pycocotools 2.0.11.

Every category row of `maskeval coco --format csv` claims to hold what
pycocotools' summarize() prints after evaluating with params.catIds = [that
category]. This runs exactly that, per category, on generated datasets
(fixed seeds, segm and bbox) and compares the 12 numbers with == (the CSV
writes doubles at round-trip precision); the "all" row must equal the
unrestricted run's stats.

    report_parity.py --maskeval PATH --work DIR [--seeds 1,2,3]
"""
import argparse
import contextlib
import csv
import io
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_coco  # noqa: E402
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402


def reference_stats(gt_path, dt_path, iou, cat_ids=None):
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO(gt_path)
        dt = gt.loadRes(dt_path)
        ev = COCOeval(gt, dt, iou)
        if cat_ids is not None:
            ev.params.catIds = cat_ids
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return [float(v) for v in ev.stats]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seeds", default="1,2,3")
    args = ap.parse_args()
    problems, checked = [], 0
    for seed in [int(s) for s in args.seeds.split(",")]:
        d = os.path.join(args.work, "seed%d" % seed)
        gen_coco.write(seed, d)
        gt, dt = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
        for iou in ("segm", "bbox"):
            out = subprocess.run([args.maskeval, "coco", "--gt", gt, "--dt", dt, "--iou-type", iou,
                                  "--format", "csv", "--backend", "cpu"],
                                 capture_output=True, text=True, check=True).stdout
            rows = list(csv.reader(io.StringIO(out, newline="")))
            got = {r[0]: [float(v) for v in r[2:]] for r in rows[1:]}
            want = reference_stats(gt, dt, iou)
            if got[""] != want:
                problems.append("seed %d %s: the 'all' row %s != stats %s" % (seed, iou, got[""],
                                                                             want))
            for cid in sorted(k for k in got if k != ""):
                ref = reference_stats(gt, dt, iou, [int(cid)])
                checked += 1
                if got[cid] != ref:
                    problems.append("seed %d %s category %s: %s != pycocotools %s"
                                    % (seed, iou, cid, got[cid], ref))
    for p in problems:
        print("FAIL " + p)
    print("%d category rows compared with pycocotools, %d differ" % (checked, len(problems)))
    return 1 if problems or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
