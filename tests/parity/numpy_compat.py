#!/usr/bin/env python3
"""--numpy-compat: maskeval's statistics against pycocotools on two numpys.

    numpy_compat.py --maskeval BIN --legacy-python VENV/bin/python --work DIR

pycocotools' summarize() is np.mean over up to T*R*K entries, and numpy 2.3
changed how np.mean sums them (one pairwise pass instead of pairwise sums of
8192-element chunks added in order; spec lvis.md 5.4). This test runs the
real pycocotools 2.0.11 under the test venv's numpy (>= 2.3) and under a
second venv with numpy 2.2.6, on generated sets with many categories, and
checks with == that

  * `maskeval coco` (default) gives the >= 2.3 statistics, all 12;
  * `maskeval coco --numpy-compat legacy` gives the numpy 2.2 statistics,
    and so does `maskeval merge --numpy-compat legacy` of 3 shards;
  * on at least one of the sets the two numpys disagree in some statistic
    (so that the test can tell the modes apart).

The reference runs in subprocesses, one per interpreter.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

REFERENCE = r"""
import contextlib, io, json, sys
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
gt_path, dt_path, iou = sys.argv[1:4]
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(gt_path)
    dt = gt.loadRes(dt_path)
    E = COCOeval(gt, dt, iou)
    E.evaluate(); E.accumulate(); E.summarize()
print(json.dumps({"numpy": np.__version__, "stats": [float(x) for x in E.stats]}))
"""

CASES = [("many_cats", 101, "bbox"), ("many_cats", 102, "segm"), ("many_cats", 103, "bbox"),
         ("default", 7, "segm")]


def reference(python, gt, dt, iou):
    p = subprocess.run([python, "-c", REFERENCE, gt, dt, iou], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("pycocotools (%s) failed: %s" % (python, p.stderr[-2000:]))
    return json.loads(p.stdout)


def maskeval(args, argv):
    p = subprocess.run([args.maskeval] + argv, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("maskeval %s failed (%d): %s" % (" ".join(argv), p.returncode, p.stderr))
    return p


def stats_of(path):
    with open(path) as f:
        return json.load(f)["stats"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--legacy-python", required=True, help="a venv with numpy < 2.3")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    ok, differ = True, 0
    for profile, seed, iou in CASES:
        d = os.path.join(args.work, "%s_%d" % (profile, seed))
        subprocess.run([sys.executable, os.path.join(HERE, "gen_coco.py"), "--seed", str(seed),
                        "--profile", profile, "--out", d], check=True, capture_output=True)
        gt, dt = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
        new = reference(sys.executable, gt, dt, iou)
        old = reference(args.legacy_python, gt, dt, iou)
        if not new["numpy"].split(".")[:2] >= ["2", "3"] or old["numpy"].split(".")[:2] >= ["2", "3"]:
            sys.exit("need numpy >= 2.3 here and < 2.3 in --legacy-python (got %s and %s)"
                     % (new["numpy"], old["numpy"]))
        base = ["coco", "--gt", gt, "--dt", dt, "--iou-type", iou, "--backend", "cpu", "--quiet"]
        maskeval(args, base + ["--json", os.path.join(d, "default.json")])
        maskeval(args, base + ["--numpy-compat", "legacy", "--json", os.path.join(d, "legacy.json")])
        parts = []
        for i in range(3):
            parts.append(os.path.join(d, "p%d.mep" % i))
            maskeval(args, base + ["--shard", "%d/3" % i, "--partial", parts[-1]])
        maskeval(args, ["merge"] + parts + ["--numpy-compat", "legacy", "--quiet", "--json",
                                            os.path.join(d, "merged.json")])
        got = {"default": stats_of(os.path.join(d, "default.json")),
               "legacy": stats_of(os.path.join(d, "legacy.json")),
               "merged legacy": stats_of(os.path.join(d, "merged.json"))}
        want = {"default": new["stats"], "legacy": old["stats"], "merged legacy": old["stats"]}
        n_diff = sum(a != b for a, b in zip(new["stats"], old["stats"]))
        differ += n_diff > 0
        for mode in got:
            bad = [i for i, (a, b) in enumerate(zip(got[mode], want[mode])) if a != b]
            if bad or len(got[mode]) != 12:
                ok = False
                for i in bad:
                    print("FAIL %s %d %s %s: stat %d %r != %r (numpy %s)" % (
                        profile, seed, iou, mode, i, got[mode][i], want[mode][i],
                        old["numpy"] if "legacy" in mode else new["numpy"]))
        print("%s  %s seed %d %s: numpy %s and %s differ in %d of 12 statistics" % (
            "ok  " if ok else "FAIL", profile, seed, iou, new["numpy"], old["numpy"], n_diff))
    if differ == 0:
        print("FAIL: no set told the two numpys apart; the test proves nothing")
        ok = False
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
