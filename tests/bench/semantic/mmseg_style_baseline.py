#!/usr/bin/env python3
"""Baseline for bench_semantic.py: an mmseg-IoUMetric-*style* evaluation,
re-implemented from the description in spec section 1.1 (no mmseg code):

  per image  (like IoUMetric.intersect_and_union)
    keep pixels whose GT != ignore_index
    intersect = predictions at pixels where pred == GT
    area_intersect / area_pred / area_label = histograms with K bins over
      [0, K-1] of float32 copies (histc-style: values outside are dropped)
    area_union = area_pred + area_label - area_intersect
    -> the four float32 vectors are stored per image (mmseg keeps a results list)
  dataset    (like IoUMetric.compute_metrics / total_area_to_metrics)
    sum the per-image vectors in float32 (as mmseg's Python sum of float32
    tensors does), IoU = I / U in float32, mIoU = nanmean, aAcc = sum I / sum L.

Because of the float32 accumulation, totals above 2^24 pixels per class are not
exact and mIoU differs from exact integer counting by ~1e-7 -- that is the real
mmseg behaviour, reported (not hidden) by bench_semantic.py.

Usage:
  mmseg_style_baseline.py --gt DIR --pred DIR --num-classes K
                          [--ignore-index 255] [--gt-suffix S] [--pred-suffix S]
                          [--json OUT]
"""

import argparse
import json
import math
import os
import sys

import numpy as np
from PIL import Image


def histc(values, K):
    """torch.histc(x.float(), bins=K, min=0, max=K-1) equivalent for integers."""
    h, _ = np.histogram(values.astype(np.float32), bins=K, range=(0, K - 1))
    return h.astype(np.float32)


def intersect_and_union(pred, label, K, ignore_index):
    mask = label != ignore_index
    pred = pred[mask]
    label = label[mask]
    intersect = pred[pred == label]
    area_intersect = histc(intersect, K)
    area_pred = histc(pred, K)
    area_label = histc(label, K)
    area_union = area_pred + area_label - area_intersect
    return area_intersect, area_union, area_pred, area_label


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gt", required=True)
    ap.add_argument("--pred", required=True)
    ap.add_argument("--num-classes", type=int, required=True)
    ap.add_argument("--ignore-index", type=int, default=255)
    ap.add_argument("--gt-suffix", default="")
    ap.add_argument("--pred-suffix", default="")
    ap.add_argument("--json")
    o = ap.parse_args()
    K = o.num_classes
    tail = o.gt_suffix + ".png"
    stems = sorted(n[: -len(tail)] for n in os.listdir(o.gt) if n.endswith(tail))
    results = []
    for s in stems:
        label = np.array(Image.open(os.path.join(o.gt, s + tail)))
        pred = np.array(Image.open(os.path.join(o.pred, s + o.pred_suffix + ".png")))
        if label.shape != pred.shape:
            sys.exit(f"size mismatch: {s}")
        results.append(intersect_and_union(pred.astype(np.int64), label.astype(np.int64), K,
                                           o.ignore_index))
    # dataset level: float32 sums, like sum() over a list of float32 tensors
    totals = [np.zeros(K, dtype=np.float32) for _ in range(4)]
    for r in results:
        for t, v in zip(totals, r):
            t += v
    ti, tu, tp, tl = totals
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = ti / tu                       # float32, as in mmseg
        aacc = ti.sum() / tl.sum()
    ok = ~np.isnan(iou)
    miou = float(np.mean(iou[ok])) if ok.any() else float("nan")
    res = {"mIoU": None if math.isnan(miou) else miou,
           "aAcc": None if math.isnan(float(aacc)) else float(aacc),
           "IoU": [None if math.isnan(float(v)) else float(v) for v in iou],
           "images": len(stems)}
    text = json.dumps(res, allow_nan=False)
    if o.json:
        with open(o.json, "w") as f:
            f.write(text + "\n")
    else:
        print(json.dumps({"mIoU": res["mIoU"], "aAcc": res["aAcc"], "images": res["images"]}))


if __name__ == "__main__":
    main()
