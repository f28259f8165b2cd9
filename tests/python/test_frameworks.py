#!/usr/bin/env python3
"""detectron2 / MMDetection / torchmetrics call sequences (framework_calls.py)
under pycocotools 2.0.11 and under maskeval.init_as_pycocotools(): every value
the frameworks read back must be equal.

    test_frameworks.py [--seeds 7,19,20,28,32]   (sets whose results are masks, or masks and boxes)
"""
import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
sys.path.insert(0, HERE)
import gen_coco  # noqa: E402
import gen_keypoints  # noqa: E402


def same(a, b, path=""):
    if type(a) is not type(b):
        return "%s: type %s vs %s" % (path, type(a).__name__, type(b).__name__)
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return "%s: keys %s vs %s" % (path, sorted(a), sorted(b))
        for k in a:
            r = same(a[k], b[k], "%s.%s" % (path, k))
            if r:
                return r
        return None
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return "%s: length %d vs %d" % (path, len(a), len(b))
        for i, (x, y) in enumerate(zip(a, b)):
            r = same(x, y, "%s[%d]" % (path, i))
            if r:
                return r
        return None
    if isinstance(a, float) and a != a and b != b:
        return None
    if isinstance(a, np.ndarray):
        return None if a.tobytes() == b.tobytes() and a.dtype == b.dtype else path
    return None if a == b else "%s: %r vs %r" % (path, a, b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="7,19,20,28,32")
    args = ap.parse_args()
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            gp, dp = os.path.join(tmp, "gt%d.json" % seed), os.path.join(tmp, "dt%d.json" % seed)
            gt, dt = gen_coco.generate(seed, "auto")
            with open(gp, "w") as f:
                f.write(gen_coco.dumps(gt))
            with open(dp, "w") as f:
                f.write(gen_coco.dumps(dt))
            kgt, kdt, _ = gen_keypoints.make(5 * seed + seed % 2)  # profiles coco, crowded
            kgp, kdp = os.path.join(tmp, "kgt%d.json" % seed), os.path.join(tmp, "kdt%d.json" % seed)
            with open(kgp, "w") as f:
                json.dump(kgt, f)
            with open(kdp, "w") as f:
                json.dump(kdt, f)
            outs = {}
            for impl in ("pycocotools", "maskeval"):
                o = os.path.join(tmp, "%s%d.pkl" % (impl, seed))
                subprocess.run([sys.executable, os.path.join(HERE, "framework_calls.py"),
                                "--impl", impl, "--gt", gp, "--dt", dp, "--out", o,
                                "--kp-gt", kgp, "--kp-dt", kdp],
                               check=True)
                with open(o, "rb") as f:
                    outs[impl] = pickle.load(f)
            for key in outs["pycocotools"]:
                r = same(outs["pycocotools"][key], outs["maskeval"].get(key), key)
                if r:
                    fails += 1
                    print("FAIL seed %d: %s" % (seed, r[:600]))
                else:
                    print("ok   seed %d %s" % (seed, key))
    print("%d failures" % fails)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
