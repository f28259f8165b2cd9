#!/usr/bin/env python3
"""maskeval tide against tidecv 1.0.1, number for number.

    run_tide.py --maskeval BIN --work DIR --micro [--backend B ...]
        the micro vectors of the TIDE spec (§9), built here, run through both.
    run_tide.py --maskeval BIN --work DIR --seed N [--profile P] [--backend B ...]
        a generated set (gen_tide.py), bbox and segm.

For every case it compares, with ==, TIDE's AP at 0.5, the six main dAP values,
FalsePos / FalseNeg, the six error counts and the ten APs of evaluate_range
(and their mean as tidecv's summarize computes it), for each backend. The
reference runs in this process from the venv; nothing is hard-coded.
"""

import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys

import numpy as np
from pycocotools import mask as mask_utils

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_tide  # noqa: E402

ERRORS = ("Cls", "Loc", "Both", "Dupe", "Bkg", "Miss")
SPECIAL = ("FalsePos", "FalseNeg")


def tidecv_reference(gt_path, dt_path, iou_type, pos=0.5, bg=0.1, max_dets=100, with_range=True):
    from tidecv import TIDE, datasets
    from tidecv.errors.main_errors import FalsePositiveError
    with contextlib.redirect_stdout(io.StringIO()):
        gt = datasets.COCO(gt_path)
        gt.max_dets = max_dets
        pr = datasets.COCOResult(dt_path)
        t = TIDE(pos_threshold=pos, background_threshold=bg,
                 mode=TIDE.MASK if iou_type == "segm" else TIDE.BOX)
        name = pr.name
        if with_range:
            t.evaluate_range(gt, pr)
        if name not in t.runs:  # no range, or pos not one of COCO_THRESHOLDS
            t.evaluate(gt, pr)
        run = t.runs[name]
        out = {"AP": run.ap}
        try:
            main = t.get_main_errors()[name]
            out["main_errors"] = {e: main[e] for e in ERRORS}
        except ZeroDivisionError:
            # tidecv stops at the first fix whose mAP divides by zero; maskeval
            # reports that one as null and the others as tidecv computes them
            # one at a time.
            out["main_errors"] = {}
            for err in TIDE._error_types:
                try:
                    out["main_errors"][err.short_name] = run.fix_main_errors(error_types=[err])[err]
                except ZeroDivisionError:
                    out["main_errors"][err.short_name] = None
        try:
            special = t.get_special_errors()[name]
            out["special_errors"] = {e: special[e] for e in SPECIAL}
        except ZeroDivisionError:
            out["special_errors"] = {}
            fixes = {"FalsePos": lambda: run.fix_errors(transform=FalsePositiveError.fix),
                     "FalseNeg": lambda: run.fix_errors(false_neg_dict=run.false_negatives)}
            for e in SPECIAL:
                try:
                    out["special_errors"][e] = fixes[e]().get_mAP() - run.ap
                except ZeroDivisionError:
                    out["special_errors"][e] = None
        out["error_counts"] = {e.short_name: n for e, n in run.count_errors().items()}
        if with_range:
            aps = [r.ap for r in t.run_thresholds[name]]
            out["range"] = {"AP": aps, "mean": sum(aps) / len(aps)}
        else:
            out["range"] = None
    return out


def run_maskeval(args, gt, dt, iou_type, backend, extra=()):
    cmd = [args.maskeval, "tide", "--gt", gt, "--dt", dt, "--iou-type", iou_type,
           "--backend", backend, "--format", "json"] + list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p, cmd


def same(a, b):
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and math.isnan(a):
        return False
    return type(a) is type(b) and a == b or (isinstance(a, (int, float)) and isinstance(b, (int, float))
                                            and float(a) == float(b) and not isinstance(a, bool))


def compare(label, mine, ref):
    bad = []
    if not same(mine["AP"], ref["AP"]):
        bad.append("AP %r != %r" % (mine["AP"], ref["AP"]))
    for key, names in (("main_errors", ERRORS), ("special_errors", SPECIAL), ("error_counts", ERRORS)):
        for n in names:
            a, b = mine[key][n], ref[key][n]
            if not same(a, b):
                bad.append("%s.%s %r != %r" % (key, n, a, b))
    if (mine["range"] is None) != (ref["range"] is None):
        bad.append("range present: %r vs %r" % (mine["range"] is not None, ref["range"] is not None))
    elif ref["range"] is not None:
        if len(mine["range"]["AP"]) != len(ref["range"]["AP"]) or \
                any(not same(a, b) for a, b in zip(mine["range"]["AP"], ref["range"]["AP"])):
            bad.append("range AP %r != %r" % (mine["range"]["AP"], ref["range"]["AP"]))
        if not same(mine["range"]["mean"], ref["range"]["mean"]):
            bad.append("range mean %r != %r" % (mine["range"]["mean"], ref["range"]["mean"]))
    for b in bad:
        print("FAIL %s: %s" % (label, b))
    return not bad


def check_case(args, name, gt, dt, iou_types, extra_ref=None, extra_cli=()):
    ok = True
    for iou in iou_types:
        ref = tidecv_reference(gt, dt, iou, **(extra_ref or {}))
        for backend in args.backend:
            p, cmd = run_maskeval(args, gt, dt, iou, backend, extra_cli)
            label = "%s %s %s" % (name, iou, backend)
            if p.returncode != 0:
                print("FAIL %s: exit %d: %s\n  %s" % (label, p.returncode, p.stderr.strip(), " ".join(cmd)))
                ok = False
                continue
            mine = json.loads(p.stdout)
            if compare(label, mine, ref):
                print("ok   %s  AP %r  dAP %s" % (label, ref["AP"],
                      " ".join("%s=%.4g" % (e, ref["main_errors"][e] or 0) for e in ERRORS)))
            else:
                ok = False
    return ok


# ----------------------------------------------------------------------------
# Micro vectors (spec §9). Boxes [x, y, w, h]; B = [0, 0, 10, 10].

B = [0, 0, 10, 10]


def box_poly(b):
    x, y, w, h = b
    return [[x, y, x + w, y, x + w, y + h, x, y + h]]


def rect(h, w, b):
    return gen_tide.rect_mask(h, w, b[0], b[1], b[2], b[3])


def write_micro(work, name, gts, preds, size=200, crowds=(), pred_masks=None, gt_masks=None,
                pred_images=None):
    """gts: [(cls, box)], crowds: [(cls, box)], preds: [(cls, score, box)] on image 1."""
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    anns = []
    for i, (c, b) in enumerate(gts):
        seg = compressed_rle(gt_masks[i]) if gt_masks else box_poly(b)
        anns.append({"id": len(anns) + 1, "image_id": 1, "category_id": c, "bbox": b,
                     "area": float(b[2] * b[3]), "iscrowd": 0, "segmentation": seg})
    for c, b in crowds:
        anns.append({"id": len(anns) + 1, "image_id": 1, "category_id": c, "bbox": b,
                     "area": float(b[2] * b[3]), "iscrowd": 1,
                     "segmentation": gen_tide.uncompressed(rect(size, size, b))})
    cats = sorted({c for c, _ in gts} | {c for c, _ in crowds} | {p[0] for p in preds})
    gt = {"images": [{"id": 1, "width": size, "height": size, "file_name": "1.jpg"}],
          "annotations": anns, "categories": [{"id": c, "name": "c%d" % c} for c in cats]}
    dt = []
    for i, (c, s, b) in enumerate(preds):
        r = {"image_id": pred_images[i] if pred_images else 1, "category_id": c,
             "bbox": [float(v) for v in b], "score": s}
        if pred_masks:
            r["segmentation"] = compressed_rle(pred_masks[i])
        dt.append(r)
    with open(os.path.join(d, "gt.json"), "w") as f:
        json.dump(gt, f)
    with open(os.path.join(d, "dt.json"), "w") as f:
        json.dump(dt, f)
    return os.path.join(d, "gt.json"), os.path.join(d, "dt.json")


def compressed_rle(m):
    return gen_tide.compressed(m)


def micro_vectors():
    v = {}
    v["T0"] = dict(gts=[(1, B)], preds=[(1, .9, B)])
    v["T1"] = dict(gts=[(1, B)], preds=[(1, .9, [0, 0, 10, 4])])
    v["T2"] = dict(gts=[(1, B)], preds=[(2, .9, B)])
    v["T3"] = dict(gts=[(1, B), (1, [50, 50, 10, 10])],
                   preds=[(1, .9, B), (1, .8, B), (1, .7, [50, 50, 10, 10])])
    v["T4"] = dict(gts=[(1, B)], preds=[(1, .9, [60, 60, 10, 10]), (1, .8, B)])
    v["T5"] = dict(gts=[(1, B)], preds=[(2, .9, [0, 0, 10, 4]), (1, .8, B)])
    v["T6"] = dict(gts=[(1, B), (1, [50, 50, 10, 10])], preds=[(1, .9, B)])
    v["T7"] = dict(gts=[(1, [0, 0, 20, 20]), (1, [30, 0, 20, 20]), (2, [0, 30, 20, 20]),
                        (2, [30, 30, 20, 20]), (1, [70, 70, 20, 20])],
                   preds=[(1, .95, [0, 0, 20, 20]), (1, .9, [0, 0, 20, 20]), (1, .85, [30, 0, 20, 8]),
                          (1, .8, [0, 30, 20, 20]), (2, .75, [30, 30, 20, 8]), (1, .7, [30, 30, 20, 8]),
                          (2, .6, [90, 0, 5, 5])])
    v["T8a"] = dict(gts=[(1, B)], preds=[(1, .9, B), (1, .8, [0, 0, 10, 5])])
    v["T8b"] = dict(gts=[(1, B)], preds=[(1, .9, [0, 0, 10, 1])])
    v["T8c"] = dict(gts=[(1, B)], preds=[(2, .9, [0, 0, 10, 1])])
    v["T8d"] = dict(gts=[(1, B)], preds=[(2, .9, [0, 0, 10, 5])])
    v["T9"] = dict(gts=[(1, B)], preds=[(1, .9, B), (2, .8, [50, 50, 10, 10])])
    v["T10"] = dict(gts=[(1, [5 * i, 0, 4, 4]) for i in range(20)],
                    preds=[(1, .9, [5 * i, 0, 4, 4]) for i in range(7)])
    v["T11"] = dict(gts=[(1, [0, 0, 10, 10]), (1, [2, 0, 10, 10])],
                    preds=[(1, .9, [1, 0, 10, 10]), (1, .8, [4, 0, 10, 10])])
    v["T12a"] = dict(gts=[(1, B)], crowds=[(1, [50, 0, 50, 100])],
                     preds=[(1, .8, B), (1, .9, [45, 50, 10, 10])])
    v["T12b"] = dict(gts=[(1, B)], crowds=[(1, [50, 0, 50, 100])],
                     preds=[(1, .8, B), (1, .9, [60, 50, 10, 10])])
    v["T13"] = dict(gts=[(1, B), (2, [80, 80, 10, 10])],
                    preds=[(2, round(.99 - i * 1e-3, 3), [50, 50, 10, 10]) for i in range(100)]
                    + [(1, .5, B)])
    v["T15"] = dict(gts=[(1, B)], preds=[(1, .9, [0, 0, 10, 7])])
    v["T16a"] = dict(gts=[(1, B), (1, [30, 30, 10, 10])], preds=[(1, .5, B), (1, .5, [60, 60, 10, 10])])
    v["T16b"] = dict(gts=[(1, B), (1, [30, 30, 10, 10])], preds=[(1, .5, [60, 60, 10, 10]), (1, .5, B)])
    # T17: masks disagree with boxes, so BOX and MASK differ.
    s = 20
    v["T17"] = dict(size=s, gts=[(1, [0, 0, 10, 10]), (2, [10, 10, 10, 10])],
                    gt_masks=[rect(s, s, [0, 0, 10, 10]), rect(s, s, [10, 10, 10, 10])],
                    preds=[(1, .9, [0, 0, 10, 10]), (2, .8, [0, 0, 10, 10]), (2, .7, [10, 10, 10, 10])],
                    pred_masks=[rect(s, s, [0, 0, 10, 4]), rect(s, s, [0, 0, 10, 10]),
                                rect(s, s, [10, 10, 10, 10])])
    # A mask version of a few box vectors (masks = boxes): segm must agree.
    for k in ("T3", "T7", "T11", "T12a", "T12b", "T16b"):
        m = dict(v[k])
        size = 200
        m["gt_masks"] = [rect(size, size, b) for _, b in m["gts"]]
        m["pred_masks"] = [rect(size, size, p[2]) for p in m["preds"]]
        v[k + "m"] = m
    return v


def run_micro(args):
    ok = True
    for name, spec in micro_vectors().items():
        gt, dt = write_micro(args.work, name, **spec)
        iou_types = ["bbox", "segm"] if spec.get("pred_masks") else ["bbox"]
        ok &= check_case(args, name, gt, dt, iou_types)
    # Other thresholds and a tighter cap, through the same flags tidecv takes.
    gt, dt = write_micro(args.work, "T7", **micro_vectors()["T7"])
    ok &= check_case(args, "T7 pos=.3 bg=.2 max=3", gt, dt, ["bbox"],
                     extra_ref=dict(pos=0.3, bg=0.2, max_dets=3),
                     extra_cli=["--pos-thresh", "0.3", "--bg-thresh", "0.2", "--max-dets", "3"])
    ok &= check_case(args, "T7 no-range", gt, dt, ["bbox"], extra_ref=dict(with_range=False),
                     extra_cli=["--no-range"])
    # The sample in data/ (its results carry no bbox, which tidecv's BOX mode
    # cannot read, so segm only).
    if args.data:
        ok &= check_case(args, "data/ sample", os.path.join(args.data, "gt.json"),
                         os.path.join(args.data, "results.json"), ["segm"])
    # Z1: ground truth without annotations, one prediction: tidecv's
    # get_main_errors raises ZeroDivisionError at the Bkg fix (no class is
    # left); maskeval reports Bkg as null and the rest. Z0: nothing at all is
    # refused (tidecv divides by zero computing the AP itself).
    gt, dt = write_micro(args.work, "Z1", gts=[], preds=[(1, .9, B)])
    ok &= check_case(args, "Z1", gt, dt, ["bbox"])
    gt, dt = write_micro(args.work, "Z0", gts=[(1, B)], preds=[])
    with open(gt) as f:
        g = json.load(f)
    g["annotations"] = []
    with open(gt, "w") as f:
        json.dump(g, f)
    for backend in args.backend:
        p, cmd = run_maskeval(args, gt, dt, "bbox", backend)
        if p.returncode != 1 or "nothing to evaluate" not in p.stderr or p.stdout:
            print("FAIL Z0 %s: expected exit 1 'nothing to evaluate', got %d: %s"
                  % (backend, p.returncode, p.stderr.strip()))
            ok = False
        else:
            print("ok   Z0 %s refused: %s" % (backend, p.stderr.strip()))
    # T14: tidecv silently drops a prediction on an image the ground truth
    # does not have; maskeval refuses it, naming the result (README: TIDE).
    gt, dt = write_micro(args.work, "T14", gts=[(1, B)], preds=[(1, .8, B), (1, .9, B)],
                         pred_images=[1, 2])
    for backend in args.backend:
        p, cmd = run_maskeval(args, gt, dt, "bbox", backend)
        if p.returncode != 1 or "result 1" not in p.stderr or "image" not in p.stderr:
            print("FAIL T14 %s: expected exit 1 naming result 1's image, got %d: %s"
                  % (backend, p.returncode, p.stderr.strip()))
            ok = False
        else:
            print("ok   T14 %s refused: %s" % (backend, p.stderr.strip()))
    return ok


def run_generated(args):
    d = os.path.join(args.work, "%s_%d" % (args.profile, args.seed))
    gen_tide.write(args.seed, d, args.profile)
    gt, dt = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
    return check_case(args, "%s seed %d" % (args.profile, args.seed), gt, dt, ["bbox", "segm"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--backend", action="append")
    ap.add_argument("--micro", action="store_true")
    ap.add_argument("--data", help="with --micro: also the sample in this folder (data/)")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--profile", default="default", choices=gen_tide.PROFILES)
    args = ap.parse_args()
    args.backend = args.backend or ["cpu"]
    os.makedirs(args.work, exist_ok=True)
    if args.micro:
        ok = run_micro(args)
    elif args.seed is not None:
        ok = run_generated(args)
    else:
        ap.error("--micro or --seed N")
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
