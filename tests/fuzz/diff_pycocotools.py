#!/usr/bin/env python3
"""Replays a results_json corpus through `maskeval coco` and pycocotools and
compares the 12 statistics bit for bit (a differential check the in-process
harness cannot do).

    .venv/bin/python tests/fuzz/diff_pycocotools.py \\
        --maskeval build-fuzz/maskeval --harness build-fuzz/tests/fuzz/fuzz_results_json \\
        build-fuzz/fuzz-work/results_json/corpus [more dirs or files]

The ground truth is the one embedded in fuzz_results_json.c (the harness
writes it when MASKEVAL_FUZZ_DUMP_GT is set). For each input and IoU type:
  match          both evaluate, statistics identical
  MISMATCH       both evaluate, statistics differ            -> a finding
  maskeval-only  pycocotools raises (e.g. empty results), maskeval evaluates
  refused        maskeval refuses the file (pycocotools is not run: on the
                 invalid RLE strings maskeval refuses it can hang or crash)
  timeout        pycocotools ran longer than --timeout seconds
Exit status 1 if there is a MISMATCH.
"""

import argparse
import contextlib
import io
import json
import math
import multiprocessing
import os
import struct
import subprocess
import sys
import tempfile
from collections import Counter

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def bits(x):
    return struct.pack("<d", float(x))


_GT = None


def _init_worker(gt_path):
    global _GT
    np.seterr(all="ignore")
    with contextlib.redirect_stdout(io.StringIO()):
        _GT = COCO(gt_path)


def _worker(dt_path, iou):
    try:
        return pyco_stats(_GT, dt_path, iou), None
    except Exception as e:  # noqa: BLE001 - any pycocotools failure
        return None, "%s: %s" % (type(e).__name__, str(e)[:80])


def pyco_stats(coco_gt, dt_path, iou):
    with contextlib.redirect_stdout(io.StringIO()):
        dt = coco_gt.loadRes(dt_path)
        e = COCOeval(coco_gt, dt, iou)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return [float(x) for x in e.stats[:12]]


def maskeval_stats(exe, gt, dt, iou, out):
    p = subprocess.run([exe, "coco", "--gt", gt, "--dt", dt, "--iou-type", iou, "--backend",
                        "cpu", "--quiet", "--json", out], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        return None, (p.stderr.strip().splitlines() or ["exit %d" % p.returncode])[-1]
    with open(out) as f:
        doc = json.load(f)
    stats = [(-1.0 if v is None else float(v)) for v in doc["stats"]]
    return stats, None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--maskeval", required=True, help="the maskeval command-line tool")
    ap.add_argument("--harness", required=True, help="fuzz_results_json (writes the ground truth)")
    ap.add_argument("--max", type=int, default=0, help="stop after this many inputs")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per pycocotools run")
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args()

    files = []
    for p in args.inputs:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, f) for f in os.listdir(p))
        else:
            files.append(p)
    if args.max:
        files = files[:args.max]

    tmp = tempfile.mkdtemp(prefix="maskeval_diff_")
    gt_path = os.path.join(tmp, "gt.json")
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    subprocess.run([args.harness, "-runs=0", empty], env=dict(os.environ,
                   MASKEVAL_FUZZ_DUMP_GT=gt_path), capture_output=True, check=True)
    tally = Counter()
    mismatches = []
    reasons = Counter()
    out = os.path.join(tmp, "out.json")
    pool = multiprocessing.Pool(1, _init_worker, (gt_path,))
    for path in files:
        for iou in ("segm", "bbox"):
            mine, why = maskeval_stats(args.maskeval, gt_path, path, iou, out)
            if mine is None:
                tally["refused"] += 1
                reasons["maskeval: " + why.split(": ", 2)[-1][:70]] += 1
                continue
            try:
                ref, ref_err = pool.apply_async(_worker, (path, iou)).get(args.timeout)
            except multiprocessing.TimeoutError:
                pool.terminate()
                pool = multiprocessing.Pool(1, _init_worker, (gt_path,))
                tally["timeout"] += 1
                continue
            if ref is None:
                tally["maskeval-only"] += 1
                reasons["pycocotools: " + ref_err.split(":")[0]] += 1
                continue
            same = all(bits(a) == bits(b) or (math.isnan(a) and math.isnan(b))
                       for a, b in zip(mine, ref))
            if same:
                tally["match"] += 1
            else:
                tally["MISMATCH"] += 1
                mismatches.append((path, iou, mine, ref))
    pool.terminate()
    strict_reasons = reasons

    print("%d inputs x 2 IoU types: %s" % (len(files), dict(tally)))
    for reason, n in strict_reasons.most_common(15):
        print("  %5d  %s" % (n, reason))
    for path, iou, mine, ref in mismatches[:20]:
        print("MISMATCH %s (%s)" % (path, iou))
        for i, (a, b) in enumerate(zip(mine, ref)):
            if bits(a) != bits(b):
                print("   stats[%d]: maskeval %r, pycocotools %r" % (i, a, b))
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
