#!/usr/bin/env python3
"""Checks of maskeval cityscapes-instances that need only the standard library:

  run_checks.py --maskeval BIN --fixture DIR --work DIR   the spec fixture (semantic_panoptic.md
                                                          6.2.4): every AP, mean and average ==
                                                          the expected value, and the table
  run_checks.py --maskeval BIN --bad --work DIR           bad input: exit 1, a message naming the
                                                          file (and line), nothing written"""
import argparse
import json
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


from cs_run import run_maskeval, same  # noqa: E402


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
    ap.add_argument("--work", required=True)
    ap.add_argument("--fixture", default=None)
    ap.add_argument("--bad", action="store_true")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    if a.fixture:
        return fixture(a)
    if a.bad:
        return bad_input(a)
    ap.error("--fixture or --bad")


if __name__ == "__main__":
    sys.exit(main())
