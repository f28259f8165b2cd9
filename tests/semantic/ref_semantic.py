#!/usr/bin/env python3
"""Plain numpy reference for `maskeval semantic` (mmseg IoUMetric conventions).

Usage:
  ref_semantic.py --gt DIR --pred DIR --num-classes K [--ignore-index 255]
                  [--reduce-zero-label] [--label-map cityscapes|FILE]
                  [--pred-label-map cityscapes|FILE] [--gt-suffix S]
                  [--pred-suffix S] [--strict] [--backend cpu|opencl]
                  [--json OUT.json]

Written from the project brief / spec section 1.1 (no code taken from mmseg).
Deliberately simple: decode with Pillow + np.array, apply the mappings with
lookup tables, count with np.bincount over int64 keys, divide in float64.

Pairing: a GT file is `<stem><gt-suffix>.png` in --gt, a prediction is
`<stem><pred-suffix>.png` in --pred (flat directories, case-sensitive names).
Files whose names do not end in `<suffix>.png` are not label files and are
ignored (e.g. *_gtFine_color.png next to *_gtFine_labelIds.png).

Decoding: np.array(Image.open(f)) for Pillow modes L, P, 1, I;16*, I.  So
palette images give palette indices, 1/2/4-bit gray is scaled by Pillow
(2-bit 1 -> 85, 4-bit 1 -> 17) except 1-bit, which becomes bool -> 0/1, and
16-bit gray keeps its full value (mmseg's loader would truncate it to uint8;
maskeval deliberately does not).  RGB, RGBA, LA (and everything Pillow maps to
them, e.g. 16-bit gray+alpha) are refused.

--backend is accepted and ignored (so this script can stand in for maskeval).

Exit codes: 0 ok, 1 bad input, 2 usage error.
"""

import argparse
import json
import math
import os
import sys

import numpy as np

try:
    from PIL import Image
except ImportError:  # pragma: no cover
    sys.stderr.write("ref_semantic.py needs Pillow (pip install pillow)\n")
    sys.exit(2)

PROG = "ref_semantic"

# Cityscapes labelId -> trainId for the 19 evaluated classes; every other id in
# 0..33 goes to the ignore index.
CITYSCAPES_ID_TO_TRAINID = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
    23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
}

ACCEPTED_MODES = ("L", "P", "1", "I;16", "I;16B", "I;16L", "I")

DENSE_MAX_K = 4096


class BadInput(Exception):
    pass


class UsageError(Exception):
    pass


def load_map(spec, ignore_index):
    """Return a dict {src: dst} for 'cityscapes' or a JSON FILE."""
    if spec is None:
        return None
    if spec == "cityscapes":
        return {i: CITYSCAPES_ID_TO_TRAINID.get(i, ignore_index) for i in range(34)}
    try:
        with open(spec, "r", encoding="utf-8") as f:
            obj = json.load(f)
    except (OSError, ValueError) as e:
        raise UsageError(f"cannot read label map {spec}: {e}")
    if not isinstance(obj, dict):
        raise UsageError(f"label map {spec}: expected a JSON object")
    out = {}
    for k, v in obj.items():
        try:
            src = int(k, 10)
        except ValueError:
            raise UsageError(f"label map {spec}: key {k!r} is not an integer")
        if isinstance(v, bool) or not isinstance(v, int):
            raise UsageError(f"label map {spec}: value for {k!r} is not an integer")
        if src < 0 or v < 0:
            raise UsageError(f"label map {spec}: negative label {k!r}: {v}")
        out[src] = v
    return out


def apply_map(arr, mapping):
    """Simultaneous lookup: every pixel is looked up in the *original* values."""
    if mapping is None:
        return arr
    out = arr.copy()
    for src, dst in mapping.items():
        out[arr == src] = dst
    return out


def list_label_files(d, suffix, what):
    if not os.path.isdir(d):
        raise BadInput(f"{what} directory {d} does not exist or is not a directory")
    tail = suffix + ".png"
    stems = {}
    for name in sorted(os.listdir(d)):
        if not name.endswith(tail) or len(name) == len(tail):
            continue
        path = os.path.join(d, name)
        if not os.path.isfile(path):
            continue
        stems[name[: len(name) - len(tail)]] = path
    return stems


def decode(path):
    """Pillow + numpy decoding, returned as int64."""
    try:
        with Image.open(path) as im:
            if im.format != "PNG":
                raise BadInput(f"{path}: not a PNG file (Pillow says {im.format})")
            if im.mode not in ACCEPTED_MODES:
                raise BadInput(f"{path}: unsupported PNG colour type (Pillow mode {im.mode}); "
                               "need grayscale or palette")
            a = np.array(im)
    except BadInput:
        raise
    except Exception as e:  # UnidentifiedImageError, OSError (truncated), ...
        raise BadInput(f"{path}: cannot decode PNG: {e}")
    if a.ndim != 2:
        raise BadInput(f"{path}: decoded to shape {a.shape}, expected a single channel")
    return a.astype(np.int64)


def evaluate(opt):
    K = opt.num_classes
    ign = opt.ignore_index
    gt_map = load_map(opt.label_map, ign)
    pred_map = load_map(opt.pred_label_map, ign)

    gts = list_label_files(opt.gt, opt.gt_suffix, "GT")
    preds = list_label_files(opt.pred, opt.pred_suffix, "prediction")
    if not gts:
        raise BadInput(f"no GT files (*{opt.gt_suffix}.png) in {opt.gt}")
    for stem in gts:
        if stem not in preds:
            raise BadInput(f"missing prediction for GT {gts[stem]}: expected "
                           f"{os.path.join(opt.pred, stem + opt.pred_suffix + '.png')}")
    for stem in preds:
        if stem not in gts:
            raise BadInput(f"unpaired prediction {preds[stem]}: no GT "
                           f"{os.path.join(opt.gt, stem + opt.gt_suffix + '.png')}")

    dense = K <= DENSE_MAX_K
    if dense:
        conf = np.zeros(K * K, dtype=np.int64)
    else:
        sparse_counts = {}
    label = np.zeros(K, dtype=np.int64)
    pred_area = np.zeros(K, dtype=np.int64)
    invalid_pred = 0
    invalid_gt = 0

    for stem in sorted(gts):
        g = decode(gts[stem])
        p = decode(preds[stem])
        if g.shape != p.shape:
            raise BadInput(f"size mismatch: GT {gts[stem]} is {g.shape[1]}x{g.shape[0]}, "
                           f"prediction {preds[stem]} is {p.shape[1]}x{p.shape[0]}")
        # GT: decode -> reduce_zero_label -> label map
        if opt.reduce_zero_label:
            r = g - 1
            r[g == 0] = 255
            r[g == 255] = 255
            g = r
        g = apply_map(g, gt_map)
        # prediction: decode -> pred label map
        p = apply_map(p, pred_map)

        valid = g != ign
        g = g[valid]
        p = p[valid]
        g_in = (g >= 0) & (g < K)
        p_in = (p >= 0) & (p < K)
        invalid_pred += int(np.count_nonzero(~p_in))
        invalid_gt += int(np.count_nonzero(~g_in))

        both = g_in & p_in
        keys = g[both] * K + p[both]
        if dense:
            conf += np.bincount(keys, minlength=K * K)
        else:
            u, c = np.unique(keys, return_counts=True)
            for kk, cc in zip(u.tolist(), c.tolist()):
                sparse_counts[kk] = sparse_counts.get(kk, 0) + cc
        label += np.bincount(g[g_in], minlength=K)
        pred_area += np.bincount(p[p_in], minlength=K)

    if opt.strict and (invalid_pred or invalid_gt):
        raise BadInput(f"--strict: invalid_pred_pixels={invalid_pred} "
                       f"invalid_gt_pixels={invalid_gt} (labels outside [0,{K}))")

    if dense:
        cm = conf.reshape(K, K)
        intersect = np.diagonal(cm).copy()
    else:
        intersect = np.zeros(K, dtype=np.int64)
        for kk, cc in sparse_counts.items():
            gg, pp = divmod(kk, K)
            if gg == pp:
                intersect[gg] += cc
    union = pred_area + label - intersect

    I = intersect.astype(np.float64)
    U = union.astype(np.float64)
    P = pred_area.astype(np.float64)
    L = label.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = I / U
        acc = I / L
        dice = 2 * I / (P + L)
        precision = I / P
        recall = I / L
        beta2 = 1.0
        fscore = (1 + beta2) * (precision * recall) / (beta2 * precision + recall)
        aacc = I.sum() / L.sum()
        total = L.sum()
        has = label > 0
        fwiou = float(np.sum((L[has] / total) * iou[has])) if total > 0 else float("nan")

    def nanmean(v):
        # mmseg reports np.nanmean (NaN counted as 0 in the sum, then divided
        # by the number of non-NaN classes); all-NaN gives NaN.
        if not (~np.isnan(v)).any():
            return float("nan")
        return float(np.nanmean(v))

    per_class = []
    for c in range(K):
        per_class.append({
            "IoU": float(iou[c]), "Acc": float(acc[c]), "Dice": float(dice[c]),
            "Precision": float(precision[c]), "Recall": float(recall[c]),
            "Fscore": float(fscore[c]),
            "intersect": int(intersect[c]), "union": int(union[c]),
            "pred": int(pred_area[c]), "label": int(label[c]),
        })
    if dense:
        confusion = cm.tolist()
        fmt = "dense"
    else:
        confusion = []
        for kk in sorted(sparse_counts):
            if sparse_counts[kk]:
                gg, pp = divmod(kk, K)
                confusion.append([gg, pp, sparse_counts[kk]])
        fmt = "sparse"

    return {
        "num_classes": K,
        "aAcc": float(aacc),
        "mIoU": nanmean(iou), "mAcc": nanmean(acc), "mDice": nanmean(dice),
        "mPrecision": nanmean(precision), "mRecall": nanmean(recall),
        "mFscore": nanmean(fscore),
        "fwIoU": fwiou,
        "per_class": per_class,
        "confusion": confusion,
        "confusion_format": fmt,
        "invalid_pred_pixels": invalid_pred,
        "invalid_gt_pixels": invalid_gt,
        "images": len(gts),
    }


def nan_to_null(x):
    if isinstance(x, float) and math.isnan(x):
        return None
    if isinstance(x, dict):
        return {k: nan_to_null(v) for k, v in x.items()}
    if isinstance(x, list):
        return [nan_to_null(v) for v in x]
    return x


def main(argv=None):
    ap = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    ap.add_argument("--gt", required=True)
    ap.add_argument("--pred", required=True)
    ap.add_argument("--num-classes", type=int, required=True)
    ap.add_argument("--ignore-index", type=int, default=255)
    ap.add_argument("--reduce-zero-label", action="store_true")
    ap.add_argument("--label-map")
    ap.add_argument("--pred-label-map")
    ap.add_argument("--gt-suffix", default="")
    ap.add_argument("--pred-suffix", default="")
    ap.add_argument("--strict", action="store_true")
    ap.add_argument("--backend", choices=("cpu", "opencl"), default="cpu")
    ap.add_argument("--json")
    opt = ap.parse_args(argv)
    if opt.num_classes < 1:
        ap.error("--num-classes must be >= 1")
    try:
        res = evaluate(opt)
    except UsageError as e:
        sys.stderr.write(f"{PROG}: usage error: {e}\n")
        return 2
    except BadInput as e:
        sys.stderr.write(f"{PROG}: error: {e}\n")
        return 1
    text = json.dumps(nan_to_null(res), allow_nan=False)
    if opt.json:
        with open(opt.json, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        brief = {k: v for k, v in nan_to_null(res).items() if k not in ("per_class", "confusion")}
        print(json.dumps(brief, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
