#!/usr/bin/env python3
"""Baseline for bench_semantic.py: Pillow decode + one np.bincount per image,
single process, same counting conventions as `maskeval semantic` (mmseg
IoUMetric: GT == ignore dropped, out-of-range predictions are misses, GT >= K
with an in-range prediction is a false positive of that prediction).

Usage:
  numpy_bincount_baseline.py --gt DIR --pred DIR --num-classes K
                             [--ignore-index 255] [--gt-suffix S]
                             [--pred-suffix S] [--json OUT]

Pairs <stem><gt-suffix>.png with <stem><pred-suffix>.png.  Writes
{"mIoU", "aAcc", "IoU": [...], "confusion": [[...]], "images"} (NaN -> null).
"""

import argparse
import json
import math
import os
import sys

import numpy as np
from PIL import Image


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
    # extended (K+1)x(K+1) matrix: index K collects "outside [0, K)"
    ext = np.zeros((K + 1) * (K + 1), dtype=np.int64)
    for s in stems:
        g = np.array(Image.open(os.path.join(o.gt, s + tail))).astype(np.int64)
        p = np.array(Image.open(os.path.join(o.pred, s + o.pred_suffix + ".png"))).astype(np.int64)
        if g.shape != p.shape:
            sys.exit(f"size mismatch: {s}")
        valid = g != o.ignore_index
        g = g[valid]
        p = p[valid]
        g = np.where((g >= 0) & (g < K), g, K)
        p = np.where((p >= 0) & (p < K), p, K)
        ext += np.bincount(g * (K + 1) + p, minlength=(K + 1) * (K + 1))
    ext = ext.reshape(K + 1, K + 1)
    conf = ext[:K, :K]
    inter = np.diagonal(conf).astype(np.float64)
    label = ext[:K, :].sum(axis=1).astype(np.float64)   # includes out-of-range predictions
    pred = ext[:, :K].sum(axis=0).astype(np.float64)    # includes GT >= K
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / (pred + label - inter)
        aacc = inter.sum() / label.sum()
    ok = ~np.isnan(iou)
    miou = float(iou[ok].mean()) if ok.any() else float("nan")
    res = {"mIoU": miou, "aAcc": float(aacc), "IoU": [float(v) for v in iou],
           "confusion": conf.tolist(), "images": len(stems)}
    res["mIoU"] = None if math.isnan(res["mIoU"]) else res["mIoU"]
    res["aAcc"] = None if math.isnan(res["aAcc"]) else res["aAcc"]
    res["IoU"] = [None if math.isnan(v) else v for v in res["IoU"]]
    text = json.dumps(res, allow_nan=False)
    if o.json:
        with open(o.json, "w") as f:
            f.write(text + "\n")
    else:
        print(json.dumps({"mIoU": res["mIoU"], "aAcc": res["aAcc"], "images": res["images"]}))


if __name__ == "__main__":
    main()
