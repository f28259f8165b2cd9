#!/usr/bin/env python3
"""Generated COCO keypoint sets (fixed seeds) for the keypoint parity tests.

    gen_keypoints.py SEED OUTDIR   -> OUTDIR/gt.json, OUTDIR/dt.json

Person-like categories with K keypoints (17, or 5 with custom sigmas for
profile "custom"), ground truth with visible, occluded and unlabelled
keypoints, num_keypoints = 0 annotations (OKS against the enlarged box),
crowds, all three area ranges and image ids without annotations; detections
that are perturbed copies of ground truth (OKS spread over (0, 1]), exact
copies (OKS 1), far-away false positives (OKS 0), more than maxDets = 20 per
image, score ties, integer and float coordinates, and - as detectron2 writes
them - results with a "bbox" (loadRes' bbox branch: area = w * h) or without
(its keypoint branch: area from the keypoints' extent).
"""
import json
import os
import sys

import numpy as np

PROFILES = ["coco", "crowded", "custom", "bbox_results", "sparse"]


def make(seed):
    rng = np.random.default_rng(seed)
    profile = PROFILES[seed % len(PROFILES)]
    k = 5 if profile == "custom" else 17
    n_img = 30 if profile != "crowded" else 12
    cats = [{"id": 1, "name": "person", "supercategory": "person",
             "keypoints": ["k%d" % i for i in range(k)], "skeleton": []}]
    if seed % 2 == 0:
        cats.append({"id": 3, "name": "other", "supercategory": "x",
                     "keypoints": ["k%d" % i for i in range(k)], "skeleton": []})
    images, anns, dts = [], [], []
    aid = 1
    for i in range(n_img):
        img_id = int(rng.integers(1, 10 ** 6)) if seed % 3 == 0 else i + 1
        while any(im["id"] == img_id for im in images):
            img_id += 1
        W, H = int(rng.integers(200, 700)), int(rng.integers(200, 700))
        images.append({"id": img_id, "width": W, "height": H, "file_name": "%d.jpg" % img_id})
        n_gt = int(rng.integers(0, 12 if profile == "crowded" else 5))
        if profile == "sparse" and rng.random() < 0.4:
            n_gt = 0
        for _ in range(n_gt):
            cat = int(rng.choice([c["id"] for c in cats]))
            scale = float(rng.choice([8, 20, 40, 90, 200]))
            w, h = scale * rng.uniform(0.5, 1.5), scale * rng.uniform(0.5, 2.0)
            x, y = rng.uniform(0, W - 1), rng.uniform(0, H - 1)
            v = rng.choice([0, 1, 2], size=k, p=[0.3, 0.2, 0.5])
            if rng.random() < 0.15:
                v[:] = 0
            xs = x + rng.uniform(0, w, size=k)
            ys = y + rng.uniform(0, h, size=k)
            if rng.random() < 0.5:
                xs, ys = np.round(xs), np.round(ys)
            kp = []
            for j in range(k):
                if v[j] == 0:
                    kp += [0, 0, 0]
                else:
                    kp += [float(xs[j]) if xs[j] % 1 else int(xs[j]),
                           float(ys[j]) if ys[j] % 1 else int(ys[j]), int(v[j])]
            area = float(w * h * rng.uniform(0.4, 0.9))
            if rng.random() < 0.2:
                area = float(round(area))
            crowd = int(rng.random() < 0.08)
            anns.append({"id": aid, "image_id": img_id, "category_id": cat, "iscrowd": crowd,
                         "area": area, "bbox": [float(x), float(y), float(w), float(h)],
                         "keypoints": kp, "num_keypoints": int(np.count_nonzero(v)),
                         "segmentation": [[x, y, x + w, y, x + w, y + h, x, y + h]]})
            aid += 1
            # detections of this ground truth
            for _ in range(int(rng.integers(0, 4))):
                sd = float(rng.choice([0.0, 0.02, 0.1, 0.3, 1.0])) * scale
                dx = xs + rng.normal(0, sd + 1e-9, size=k) * (sd > 0)
                dy = ys + rng.normal(0, sd + 1e-9, size=k) * (sd > 0)
                dts.append(det(rng, img_id, cat, dx, dy, k, profile))
        for _ in range(int(rng.integers(0, 25 if profile == "crowded" else 6))):
            cat = int(rng.choice([c["id"] for c in cats]))
            dx = rng.uniform(0, W, size=k)
            dy = rng.uniform(0, H, size=k)
            dts.append(det(rng, img_id, cat, dx, dy, k, profile))
    gt = {"images": images, "annotations": anns, "categories": cats}
    return gt, dts, k


def det(rng, img_id, cat, dx, dy, k, profile):
    if rng.random() < 0.3:
        dx, dy = np.round(dx), np.round(dy)
    kp = []
    for j in range(k):
        x, y = float(dx[j]), float(dy[j])
        kp += [int(x) if x % 1 == 0 else x, int(y) if y % 1 == 0 else y,
               float(rng.uniform(0, 1))]
    score = float(rng.choice([0.5, 0.9])) if rng.random() < 0.2 else float(rng.uniform(0, 1))
    d = {"image_id": img_id, "category_id": cat, "keypoints": kp, "score": score}
    if profile == "bbox_results":
        x0, y0 = float(np.min(dx)), float(np.min(dy))
        d["bbox"] = [x0, y0, float(np.max(dx)) - x0 + 1.0, float(np.max(dy)) - y0 + 1.0]
    return d


def sigmas_for(k):
    """The sigmas a test sets for k keypoints (None: pycocotools' default)."""
    if k == 17:
        return None
    return np.array([0.26, 0.5, 0.35, 0.79, 1.07])[:k] / 10.0


def main():
    seed, out = int(sys.argv[1]), sys.argv[2]
    gt, dts, _ = make(seed)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "gt.json"), "w") as f:
        json.dump(gt, f)
    with open(os.path.join(out, "dt.json"), "w") as f:
        json.dump(dts, f)


if __name__ == "__main__":
    main()
