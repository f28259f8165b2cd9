#!/usr/bin/env python3
"""maskeval cityscapes-instances against cityscapesScripts 2.3.0 itself.

  run_parity.py --maskeval BIN --seeds 1,2 --work DIR   generated sets (gen_cityscapes.py),
                                                         the reference run in-process
  run_parity.py --maskeval BIN --fixture DIR            the spec fixture, expected values (==)
  run_parity.py --maskeval BIN --bad --work DIR         bad input: messages, exit 1, no --json

Parity compares every per-class AP per threshold, the class means and the
averages with == (NaN matches NaN). The reference's AP ends in np.dot, i.e.
OpenBLAS's ddot, whose summation order depends on the kernel OpenBLAS picks
for the CPU; maskeval reproduces the SkylakeX one (also used on Cooper Lake,
Sapphire Rapids and AVX-512 Zen). On any other kernel the parity mode exits
77 (skipped) after saying so."""
import argparse
import contextlib
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
sys.path.insert(0, HERE)

EMULATED_CORES = {"skylakex", "cooperlake", "sapphirerapids"}


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


def same(a, b):
    if a is None:
        a = float("nan")
    if b is None:
        b = float("nan")
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def run_maskeval(binary, gt, pred, json_out, extra=()):
    cmd = [binary, "cityscapes-instances", "--gt-dir", gt, "--pred-dir", pred] + list(extra)
    if json_out:
        cmd += ["--json", json_out]
    return subprocess.run(cmd, capture_output=True, text=True)


def run_reference(gt_dir, pred_dir, work):
    """evaluateImgLists with the module's args object, pointed at temp files."""
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
        # within a run, so writing them with numpy scalars converted changes
        # no result
        with open(name, "w") as f:
            json.dump(d, f, default=lambda o: o.item() if isinstance(o, _np.generic) else o.__dict__,
                      sort_keys=True, indent=4)

    ev.writeDict2JSON = write_dict
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
    if core.lower() not in EMULATED_CORES:
        print("SKIP: maskeval reproduces OpenBLAS's SkylakeX ddot; this numpy uses %s, whose "
              "summation order differs in the last bits" % core)
        return 77
    failures = 0
    for seed in a.seeds:
        work = os.path.join(a.work, "seed%d" % seed)
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        gen = [sys.executable, os.path.join(HERE, "gen_cityscapes.py"), "--seed", str(seed), "--out", work,
               "--images", str(a.images)]
        if a.size:
            gen += ["--size", a.size]
        subprocess.run(gen, check=True)
        gt, pred = os.path.join(work, "gt"), os.path.join(work, "pred")
        t0 = time.perf_counter()
        ref = run_reference(gt, pred, work)
        t_ref = time.perf_counter() - t0
        out = os.path.join(work, "maskeval.json")
        t0 = time.perf_counter()
        p = run_maskeval(a.maskeval, gt, pred, out)
        t_me = time.perf_counter() - t0
        if p.returncode != 0:
            print("seed %d: maskeval failed (%d): %s" % (seed, p.returncode, p.stderr))
            failures += 1
            continue
        mine = json.load(open(out))
        bad = []
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


def fixture(a):
    exp = json.load(open(os.path.join(a.fixture, "expected.json")))
    out = os.path.join(a.work or ".", "cityscapes_fixture.json")
    p = run_maskeval(a.maskeval, a.fixture, os.path.join(a.fixture, "pred"), out)
    if p.returncode != 0:
        print("maskeval failed:", p.stderr)
        return 1
    mine = json.load(open(out))
    bad = []
    names = mine["instLabels"]
    for c, name in enumerate(names):
        want = exp["ap_" + name] if ("ap_" + name) in exp else [None] * 10
        for t in range(10):
            if not same(want[t], mine["resultApMatrix"][c][t]):
                bad.append("%s[%d]: want %r got %r" % (name, t, want[t], mine["resultApMatrix"][c][t]))
        cls = exp["class_ap"].get(name, {"ap": None, "ap50%": None})
        for k in ("ap", "ap50%"):
            if not same(cls[k], mine["averages"]["classes"][name][k]):
                bad.append("%s %s: want %r got %r" % (name, k, cls[k], mine["averages"]["classes"][name][k]))
    for k in ("allAp", "allAp50%"):
        if not same(exp[k], mine["averages"][k]):
            bad.append("%s: want %r got %r" % (k, exp[k], mine["averages"][k]))
    if [float(x) for x in exp["overlaps"]] != mine["overlaps"]:
        bad.append("overlaps differ")
    want_table = (
        "\n" + "#" * 50 + "\n" + "what           :             AP         AP_50%\n" + "#" * 50 + "\n"
        "person         :          0.000          0.000\n"
        "rider          :            nan            nan\n"
        "car            :          0.617          0.792\n"
        "truck          :            nan            nan\n"
        "bus            :            nan            nan\n"
        "train          :            nan            nan\n"
        "motorcycle     :            nan            nan\n"
        "bicycle        :            nan            nan\n" + "-" * 50 + "\n"
        "average        :          0.308          0.396\n\n")
    if p.stdout != want_table:
        bad.append("table:\n" + p.stdout)
    for b in bad:
        print(b)
    print("fixture:", "FAIL" if bad else "ok (exact)")
    return 1 if bad else 0


def bad_input(a):
    from pngw import png_bytes

    root = os.path.join(a.work, "bad")
    shutil.rmtree(root, ignore_errors=True)
    failures = 0

    def gt_png(path, w=12, h=10, value=26000, ct=0, depth=16):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if ct == 2:
            rows = [[0, 0, 0] * w for _ in range(h)]
        else:
            rows = [[value if (x < 6 and y < 5) else 7 for x in range(w)] for y in range(h)]
        with open(path, "wb") as f:
            f.write(png_bytes(w, h, ct, depth, rows))

    def mask_png(path, w=12, h=10):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(png_bytes(w, h, 0, 8, [[255 if x < 6 and y < 5 else 0 for x in range(w)] for y in range(h)]))

    def case(name, expect, setup, extra=()):
        nonlocal failures
        d = os.path.join(root, name)
        gt, pred = os.path.join(d, "gt"), os.path.join(d, "pred")
        os.makedirs(gt)
        os.makedirs(pred)
        setup(gt, pred)
        out = os.path.join(d, "out.json")
        p = run_maskeval(a.maskeval, gt, pred, out, extra)
        ok = p.returncode == 1 and expect in p.stderr and not os.path.exists(out) and p.stdout == ""
        ok = ok and "Sanitizer" not in p.stderr and "runtime error" not in p.stderr
        print("%-22s %s  %s" % (name, "ok  " if ok else "FAIL", p.stderr.strip().splitlines()[0] if p.stderr.strip() else "(no message)"))
        if not ok:
            print("    want exit 1, no output, stderr containing %r; got %d, stderr %r" % (expect, p.returncode, p.stderr))
            failures += 1

    def txt(pred, text, name="a_000000_000000_pred.txt"):
        with open(os.path.join(pred, name), "w", newline="") as f:
            f.write(text)

    G = "a_000000_000000_gtFine_instanceIds.png"

    def std(gt, pred, text):
        gt_png(os.path.join(gt, "a", G))
        mask_png(os.path.join(pred, "m.png"))
        txt(pred, text)

    case("no_gt", "no *_gtFine_instanceIds.png", lambda gt, pred: None)
    case("no_prediction", "found no prediction for ground truth", lambda gt, pred: gt_png(os.path.join(gt, G)))
    case("two_predictions", "found multiple predictions", lambda gt, pred: (
        gt_png(os.path.join(gt, G)), txt(pred, ""), txt(pred, "", "a_000000_000000_other.txt")))
    case("bad_gt_name", "expected 5 or 6", lambda gt, pred: gt_png(os.path.join(gt, "a_b_000000_000000_gtFine_instanceIds.png")))
    case("two_fields", "a_000000_000000_pred.txt: line 3: expected 3 fields",
         lambda gt, pred: std(gt, pred, "m.png 26 0.5\nm.png 26 0.6\nm.png 26\n"))
    case("tab_separated", "line 1: expected 3 fields", lambda gt, pred: std(gt, pred, "m.png\t26\t0.5\n"))
    case("blank_line", "line 2: expected 3 fields", lambda gt, pred: std(gt, pred, "m.png 26 0.5\n\n"))
    case("label_not_number", "line 1: label id 'car' is not a number", lambda gt, pred: std(gt, pred, "m.png car 0.5\n"))
    case("label_unknown", "line 1: 50 is not a Cityscapes label id", lambda gt, pred: std(gt, pred, "m.png 50 0.5\n"))
    case("label_nan", "line 1: label id 'nan' is not finite", lambda gt, pred: std(gt, pred, "m.png nan 0.5\n"))
    case("score_not_number", "line 1: confidence '0.5x' is not a number", lambda gt, pred: std(gt, pred, "m.png 26 0.5x\n"))
    case("score_nan", "line 1: confidence is NaN", lambda gt, pred: std(gt, pred, "m.png 26 NaN\n"))
    case("absolute_path", "line 1: the mask path must be relative", lambda gt, pred: std(gt, pred, "/etc/m.png 26 0.5\n"))
    case("outside_root", "line 1: mask", lambda gt, pred: std(gt, pred, "../m.png 26 0.5\n"))
    case("missing_mask", "line 2: ", lambda gt, pred: std(gt, pred, "m.png 26 0.5\nnothere.png 26 0.5\n"))

    def garbage(gt, pred):
        std(gt, pred, "m.png 26 0.5\nbad.png 24 0.5\n")
        with open(os.path.join(pred, "bad.png"), "wb") as f:
            f.write(b"GIF89a not a png")
    case("mask_not_png", "bad.png: not a PNG file", garbage)

    def truncated(gt, pred):
        std(gt, pred, "t.png 24 0.5\n")
        data = png_bytes(12, 10, 0, 8, [[1] * 12 for _ in range(10)])
        with open(os.path.join(pred, "t.png"), "wb") as f:
            f.write(data[:-30])
    case("mask_truncated", "t.png", truncated)

    def small(gt, pred):
        std(gt, pred, "s.png 26 0.5\n")
        with open(os.path.join(pred, "s.png"), "wb") as f:
            f.write(png_bytes(6, 5, 0, 8, [[255] * 6 for _ in range(5)]))
    case("mask_size", "s.png is 6x5 but the ground truth", small)
    case("gt_value", "value 40 (label id 40) is not a Cityscapes label id", lambda gt, pred: (
        gt_png(os.path.join(gt, G), value=40), mask_png(os.path.join(pred, "m.png")), txt(pred, "m.png 26 0.5\n")))
    case("gt_rgb", "unsupported PNG colour type RGB", lambda gt, pred: (
        gt_png(os.path.join(gt, G), ct=2, depth=8), txt(pred, "")))
    case("gt_not_png", "not a PNG file", lambda gt, pred: (
        open(os.path.join(gt, G), "wb").write(b"hello"), txt(pred, "")))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--images", type=int, default=12)
    ap.add_argument("--size", default=None)
    ap.add_argument("--work", default=None)
    ap.add_argument("--fixture", default=None)
    ap.add_argument("--bad", action="store_true")
    a = ap.parse_args()
    a.seeds = [int(s) for s in a.seeds.split(",")]
    if a.fixture:
        return fixture(a)
    if a.bad:
        return bad_input(a)
    return parity(a)


if __name__ == "__main__":
    sys.exit(main())
