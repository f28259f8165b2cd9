#!/usr/bin/env python3
"""maskeval.cityscapes against cityscapesScripts 2.3.0 run in the same process.

    test_cityscapes.py --work DIR [--seeds 1,3] [--images 12,150]

For each generated set (tests/cityscapes/gen_cityscapes.py, fixed seeds) the
reference's evaluateImgLists and maskeval's, each with its own args object set
alike, must give the same result dict (every AP of the matrix, the class means
and averages with ==, NaN matching NaN, the same types and the same lists), the
same exported JSON file byte for byte, and the same printed table (plain,
colourised, csv); also under a second min region size. Then the spec fixture
(tests/data/cityscapes_instance) through evaluate(), and bad input: a ValueError
naming the file and line, and no export file written.

The reference comparison needs the ddot kernel of this numpy to be one maskeval
reproduces (numpy_ddot_kernel()); elsewhere that part is reported and skipped,
and the fixture and bad-input parts still run."""
import argparse
import contextlib
import copy
import glob
import io
import json
import math
import os
import shutil
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
CS = os.path.join(HERE, "..", "cityscapes")
sys.path.insert(0, CS)

import numpy as np  # noqa: E402

from maskeval import cityscapes as mc  # noqa: E402
from cs_run import same  # noqa: E402
from run_parity import reference_module  # noqa: E402

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def compare(where, ref, mine):
    if sorted(ref) != sorted(mine):
        fail("%s: keys %s != %s" % (where, sorted(mine), sorted(ref)))
        return
    for k in ("overlaps", "minRegionSizes", "distanceThresholds", "minStereoDensities", "instLabels"):
        if ref[k] != mine[k] or [type(v) for v in ref[k]] != [type(v) for v in mine[k]]:
            fail("%s: %s %r != %r" % (where, k, mine[k], ref[k]))
    rm, mm = ref["resultApMatrix"], mine["resultApMatrix"]
    if np.shape(rm) != np.shape(mm):
        fail("%s: resultApMatrix shape %s != %s" % (where, np.shape(mm), np.shape(rm)))
        return
    for c, name in enumerate(ref["instLabels"]):
        for t in range(len(ref["overlaps"])):
            if not same(rm[0][c][t], mm[0][c][t]) or type(rm[0][c][t]) is not type(mm[0][c][t]):
                fail("%s: %s t=%d: %r != %r" % (where, name, t, mm[0][c][t], rm[0][c][t]))
        for k in ("ap", "ap50%"):
            r, m = ref["averages"]["classes"][name][k], mine["averages"]["classes"][name][k]
            if not same(r, m) or type(r) is not type(m):
                fail("%s: %s %s: %r != %r" % (where, name, k, m, r))
    for k in ("allAp", "allAp50%"):
        r, m = ref["averages"][k], mine["averages"][k]
        if not same(r, m) or type(r) is not type(m):
            fail("%s: %s: %r != %r" % (where, k, m, r))


def printed(fn, avg, a):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        fn(avg, a)
    return out.getvalue()


def parity(work, seed, images):
    ev = reference_module()
    d = os.path.join(work, "seed%d" % seed)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    subprocess.run([sys.executable, os.path.join(CS, "gen_cityscapes.py"), "--seed", str(seed),
                    "--out", d, "--images", str(images)], check=True)
    gt_dir, pred_dir = os.path.join(d, "gt"), os.path.join(d, "pred")
    gts = sorted(glob.glob(os.path.join(gt_dir, "**", "*_gtFine_instanceIds.png"), recursive=True))
    ra = ev.args
    ra.predictionPath = os.path.abspath(pred_dir)
    ra.predictionWalk = None
    preds = [ev.getPrediction(g, ra) for g in gts]
    for min_region in (100, 700):
        where = "seed %d, %d images, min region %d" % (seed, len(gts), min_region)
        ra.minRegionSizes = np.array([min_region, 1000, 1000])
        ra.gtInstancesFile = os.path.join(d, "gtInstances.json")
        if os.path.exists(ra.gtInstancesFile):
            os.remove(ra.gtInstancesFile)
        ra.exportFile = os.path.join(d, "ref", "result.json")
        ra.JSONOutput, ra.quiet, ra.colorized, ra.csv = True, True, False, False
        ma = copy.copy(mc.args)
        ma.predictionPath = pred_dir  # relative: maskeval makes it absolute
        ma.minRegionSizes = np.array([min_region, 1000, 1000])
        ma.exportFile = os.path.join(d, "mine", "result.json")
        ma.JSONOutput, ma.quiet = True, True
        cwd = os.getcwd()
        os.chdir(d)  # the reference writes matches.json into the working directory
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                ref = ev.evaluateImgLists(preds, gts, ra)
        finally:
            os.chdir(cwd)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            mine = mc.evaluateImgLists(preds, gts, ma)
        if out.getvalue():
            fail("%s: quiet run printed %r" % (where, out.getvalue()))
        compare(where, ref, mine)
        if ma.instLabels != ra.instLabels:
            fail("%s: args.instLabels %r != %r" % (where, ma.instLabels, ra.instLabels))
        with open(ra.exportFile) as f1, open(ma.exportFile) as f2:
            if f1.read() != f2.read():
                fail("%s: exported JSON differs" % where)
        for colorized, csv in ((False, False), (True, False), (False, True)):
            ra.colorized = ma.colorized = colorized
            ra.csv = ma.csv = csv
            want = printed(ev.printResults, ref["averages"], ra)
            got = printed(mc.printResults, mine["averages"], ma)
            if got != want:
                fail("%s: table (colorized %s, csv %s):\n%s\nvs\n%s" % (where, colorized, csv, got, want))
        ma.quiet, ma.colorized, ma.csv, ma.JSONOutput = False, True, False, False
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            mc.evaluateImgLists(preds, gts, ma)
        ra.colorized, ra.csv = True, False
        if out.getvalue() != printed(ev.printResults, ref["averages"], ra):
            fail("%s: evaluateImgLists did not print the reference's table" % where)
        n_nan = sum(math.isnan(v) for row in ref["resultApMatrix"][0] for v in row)
        print("%s: %d of 80 APs NaN, allAp %r: compared" % (where, n_nan, float(ref["averages"]["allAp"])))
    # the zip: a longer ground-truth list is cut to the predictions' length
    ma = copy.copy(mc.args)
    ma.predictionPath, ma.quiet = pred_dir, True
    compare("seed %d: zipped lists" % seed, mc.evaluateImgLists(preds[:3], gts[:3], ma),
            mc.evaluateImgLists(preds[:3], gts, ma))


def fixture():
    d = os.path.join(HERE, "..", "data", "cityscapes_instance")
    exp = json.load(open(os.path.join(d, "expected.json")))
    gts = sorted(glob.glob(os.path.join(d, "*_gtFine_instanceIds.png")))
    preds = [sorted(glob.glob(os.path.join(d, "pred", os.path.basename(g)[:-len("_gtFine_instanceIds.png")] + "*.txt")))[0]
             for g in gts]
    for kernel in ("skylakex", "haswell"):
        res = mc.evaluate(preds, gts, os.path.join(d, "pred"), ddot_kernel=kernel)
        for c, name in enumerate(res["instLabels"]):
            want = exp.get("ap_" + name, [None] * 10)
            for t in range(10):
                w = float("nan") if want[t] is None else want[t]
                if not same(w, res["resultApMatrix"][0][c][t]):
                    fail("fixture (%s): %s[%d] %r != %r" % (kernel, name, t, res["resultApMatrix"][0][c][t], w))
        for k in ("allAp", "allAp50%"):
            if not same(exp[k], res["averages"][k]):
                fail("fixture (%s): %s %r != %r" % (kernel, k, res["averages"][k], exp[k]))
    print("fixture: compared")


def bad_input(work):
    d = os.path.join(work, "bad")
    shutil.rmtree(d, ignore_errors=True)
    subprocess.run([sys.executable, os.path.join(CS, "gen_cityscapes.py"), "--seed", "5", "--out", d,
                    "--images", "3"], check=True)
    gts = sorted(glob.glob(os.path.join(d, "gt", "**", "*_gtFine_instanceIds.png"), recursive=True))
    txts = sorted(glob.glob(os.path.join(d, "pred", "**", "*.txt"), recursive=True))
    victim = txts[1]
    with open(victim, "a") as f:
        f.write("m.png car 0.5\n")
    n_lines = sum(1 for _ in open(victim))
    ma = copy.copy(mc.args)
    ma.predictionPath, ma.quiet, ma.JSONOutput = os.path.join(d, "pred"), True, True
    ma.exportFile = os.path.join(d, "out", "result.json")
    try:
        mc.evaluateImgLists(txts, gts, ma)
        fail("bad input: no error")
    except ValueError as e:
        msg = str(e)
        if os.path.basename(victim) not in msg or ("line %d" % n_lines) not in msg:
            fail("bad input: message %r does not name %s line %d" % (msg, victim, n_lines))
        else:
            print("bad input: ValueError:", msg)
    if os.path.exists(ma.exportFile):
        fail("bad input: the export file was written")
    ma.predictionPath = None
    try:
        mc.evaluateImgLists(txts, gts, ma)
        fail("unset predictionPath: no error")
    except ValueError:
        pass
    try:
        mc.evaluate(txts, gts, d, ddot_kernel="sandybridge")
        fail("unknown ddot kernel: no error")
    except ValueError:
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", required=True)
    ap.add_argument("--seeds", default="1,3")
    ap.add_argument("--images", default="12,150")
    a = ap.parse_args()
    warnings.filterwarnings("ignore", message="Palette images with Transparency")
    os.makedirs(a.work, exist_ok=True)
    kernel = mc.numpy_ddot_kernel()
    print("numpy's OpenBLAS core: %s -> ddot kernel %s" % (mc._openblas_core(), kernel))
    if kernel is None:
        print("SKIP the reference comparison: maskeval does not reproduce this BLAS's ddot order")
    else:
        for seed, images in zip(a.seeds.split(","), a.images.split(",")):
            parity(a.work, int(seed), int(images))
    fixture()
    bad_input(a.work)
    print("FAILED: %d" % len(failures) if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
