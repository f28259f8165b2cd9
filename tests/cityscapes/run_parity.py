#!/usr/bin/env python3
"""maskeval cityscapes-instances against cityscapesScripts 2.3.0 itself.

  run_parity.py --maskeval BIN --seeds 1,2 --work DIR [--images N] [--size HxW]
                [--gen-args "--mask-png pillow-l --instances 15:25"]

generates sets with gen_cityscapes.py and runs the reference in-process
(the fixture and bad-input checks are in run_checks.py, standard library only).

Parity compares every per-class AP per threshold, the class means and the
averages with == (NaN matches NaN). The reference's AP ends in np.dot, i.e.
OpenBLAS's ddot, whose summation order depends on the kernel OpenBLAS picks
for the CPU; maskeval reproduces the SkylakeX one (also used on Cooper Lake,
Sapphire Rapids and AVX-512 Zen) and the Haswell one (also OpenBLAS's Zen
core), and is run with the --ddot-kernel of numpy's. On any other kernel the
parity mode exits 77 (skipped) after saying so."""
import argparse
import contextlib
import glob
import io
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# numpy's OpenBLAS core (openblas_get_corename) -> maskeval --ddot-kernel
DDOT_KERNELS = {"skylakex": "skylakex", "cooperlake": "skylakex", "sapphirerapids": "skylakex",
                "haswell": "haswell", "zen": "haswell"}


def openblas_core():
    import ctypes

    import numpy

    libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__), "..", "numpy.libs", "*openblas*"))
    for lib in libs:
        l = ctypes.CDLL(lib)
        for name in ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename", "openblas_get_corename"):
            f = getattr(l, name, None)
            if f is not None:
                f.restype = ctypes.c_char_p
                return f().decode()
    return "unknown"


from cs_run import run_maskeval, same  # noqa: E402


def reference_module():
    """cityscapesScripts' evalInstanceLevelSemanticLabeling, with the two shims
    it needs under numpy 2.4 (neither changes a value)."""
    import numpy as np

    if not hasattr(np, "in1d"):
        # numpy 2.4 removed np.in1d (deprecated since 2.0), which assignGt2Preds
        # calls once per image for the void mask; np.isin(...).ravel() is its
        # documented replacement (same values; the reference reshapes it back)
        np.in1d = lambda ar1, ar2: np.isin(ar1, ar2).ravel()
    from cityscapesscripts.evaluation import evalInstanceLevelSemanticLabeling as ev

    def write_dict(d, name, _np=np):
        # its writeDict2JSON (json.dumps with default=o.__dict__) fails on the
        # numpy integers numpy 2 returns from count_nonzero; the files it
        # writes (gtInstances.json, matches.json) are dumps, not read back
        # within a run, and the result dict holds no numpy integers, so
        # writing them with numpy scalars converted changes no result
        with open(name, "w") as f:
            json.dump(d, f, default=lambda o: o.item() if isinstance(o, _np.generic) else o.__dict__,
                      sort_keys=True, indent=4)

    ev.writeDict2JSON = write_dict
    return ev


def run_reference(gt_dir, pred_dir, work):
    """evaluateImgLists with the module's args object, pointed at temp files."""
    ev = reference_module()
    args = ev.args
    args.predictionPath = os.path.abspath(pred_dir)
    args.predictionWalk = None
    args.gtInstancesFile = os.path.join(work, "gtInstances.json")
    if os.path.exists(args.gtInstancesFile):
        os.remove(args.gtInstancesFile)
    args.exportFile = os.path.join(work, "ref_result.json")
    args.JSONOutput = False
    args.quiet = True
    args.colorized = False
    gts = sorted(glob.glob(os.path.join(gt_dir, "**", "*_gtFine_instanceIds.png"), recursive=True))
    preds = [ev.getPrediction(g, args) for g in gts]
    cwd = os.getcwd()
    os.chdir(work)  # it writes matches.json into the working directory
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            res = ev.evaluateImgLists(preds, gts, args)
    finally:
        os.chdir(cwd)
    return res


def parity(a):
    import time

    warnings.filterwarnings("ignore", message="Palette images with Transparency")

    core = openblas_core()
    print("numpy's OpenBLAS kernel:", core)
    kernel = DDOT_KERNELS.get(core.lower())
    if kernel is None:
        print("SKIP: maskeval reproduces OpenBLAS's SkylakeX and Haswell ddot; this numpy uses %s, "
              "whose summation order differs in the last bits" % core)
        return 77
    kflag = ["--ddot-kernel", kernel]
    failures = 0
    for seed in a.seeds:
        work = os.path.join(a.work, "seed%d" % seed)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        gen = [sys.executable, os.path.join(HERE, "gen_cityscapes.py"), "--seed", str(seed), "--out", work,
               "--images", str(a.images)]
        if a.size:
            gen += ["--size", a.size]
        gen += shlex.split(a.gen_args)
        subprocess.run(gen, check=True)
        gt, pred = os.path.join(work, "gt"), os.path.join(work, "pred")
        t0 = time.perf_counter()
        ref = run_reference(gt, pred, work)
        t_ref = time.perf_counter() - t0
        out = os.path.join(work, "maskeval.json")
        t0 = time.perf_counter()
        p = run_maskeval(a.maskeval, gt, pred, out, kflag)
        t_me = time.perf_counter() - t0
        if p.returncode != 0:
            print("seed %d: maskeval failed (%d): %s" % (seed, p.returncode, p.stderr))
            failures += 1
            continue
        mine = json.load(open(out))
        bad = []
        out1 = os.path.join(work, "maskeval_t1.json")
        p1 = run_maskeval(a.maskeval, gt, pred, out1, kflag + ["--threads", "1"])
        if p1.returncode != 0 or open(out1, "rb").read() != open(out, "rb").read() or p1.stdout != p.stdout:
            bad.append("--threads 1 gives other bytes than the default thread count")
        labels = ref["instLabels"]
        assert labels == mine["instLabels"], (labels, mine["instLabels"])
        ref_m = ref["resultApMatrix"][0]
        for c, name in enumerate(labels):
            for t in range(len(ref["overlaps"])):
                if not same(ref_m[c][t], mine["resultApMatrix"][c][t]):
                    bad.append("%s t=%s: ref %r maskeval %r" % (name, ref["overlaps"][t], ref_m[c][t],
                                                              mine["resultApMatrix"][c][t]))
            for k in ("ap", "ap50%"):
                r, m = ref["averages"]["classes"][name][k], mine["averages"]["classes"][name][k]
                if not same(r, m):
                    bad.append("%s %s: ref %r maskeval %r" % (name, k, r, m))
        for k in ("allAp", "allAp50%"):
            if not same(ref["averages"][k], mine["averages"][k]):
                bad.append("%s: ref %r maskeval %r" % (k, ref["averages"][k], mine["averages"][k]))
        if [float(x) for x in ref["overlaps"]] != mine["overlaps"]:
            bad.append("overlaps differ")
        # the table: the reference's printResults without colours
        ref_table = io.StringIO()
        from cityscapesscripts.evaluation import evalInstanceLevelSemanticLabeling as ev
        with contextlib.redirect_stdout(ref_table):
            ev.printResults(ref["averages"], ev.args)
        if ref_table.getvalue() != p.stdout:
            bad.append("table differs:\n%s\nvs\n%s" % (ref_table.getvalue(), p.stdout))
        n_nan = sum(1 for row in ref_m for v in row if math.isnan(v))
        print("seed %d: %d images, %d of 80 APs NaN, allAp %r; reference %.2f s, maskeval %.2f s: %s" % (
            seed, mine["images"], n_nan, float(ref["averages"]["allAp"]), t_ref, t_me, "FAIL" if bad else "ok"))
        for b in bad:
            print("   ", b)
        failures += bool(bad)
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--size", default=None)
    ap.add_argument("--work", default=None)
    ap.add_argument("--gen-args", default="", metavar="ARGS",
                    help="more gen_cityscapes.py options, one shell-quoted string "
                         "(e.g. --gen-args='--mask-png pillow-l --instances 15:25')")
    a = ap.parse_args()
    a.seeds = [int(s) for s in a.seeds.split(",")]
    if a.work is None:
        ap.error("--work is required")
    return parity(a)


if __name__ == "__main__":
    sys.exit(main())
