#!/usr/bin/env python3
"""Deterministic COCO-style datasets that exercise every TIDE error type.

    gen_tide.py --seed N --out DIR [--profile NAME]
        writes DIR/gt.json and DIR/dt.json.

Unlike tests/parity/gen_coco.py (which targets pycocotools' loadRes branches),
every file here is also readable by tidecv 1.0.1's loaders: images carry
width/height/file_name, every annotation has iscrowd, bbox and segmentation,
every result has bbox and a compressed-RLE segmentation. Detections are made
from the ground truth on purpose: exact (true positives and, for a second copy,
duplicates), shifted or cropped (localization), relabelled (classification and
both), far away (background), and absent (missed). Boxes are on the integer
grid so IoUs land exactly on 0.5 and 0.1; scores are often rounded to 0.1 so
ties exercise the stable per-image sort; image ids are shuffled so the file
order differs from the id order; some images hold more than 100 detections.

Everything random comes from one random.Random(seed); numpy only builds masks
and pycocotools.mask only encodes them.
"""

import argparse
import json
import os
import random

import numpy as np
from pycocotools import mask as mask_utils

PROFILES = ("default", "crowded", "ties", "sparse")


def knobs(profile):
    k = dict(images=14, max_gt=6, cats=5, crowd=0.08, cap_images=1, round_scores=0.4,
             empty_gt=0.1, empty_dt=0.1, bg_per_image=2)
    if profile == "crowded":
        k.update(images=8, max_gt=14, crowd=0.2, cap_images=3, bg_per_image=6)
    elif profile == "ties":
        k.update(round_scores=1.0, cats=3)
    elif profile == "sparse":
        k.update(images=20, max_gt=2, cats=8, empty_gt=0.3, empty_dt=0.3, bg_per_image=1)
    return k


def rect_mask(h, w, x, y, bw, bh):
    m = np.zeros((h, w), dtype=bool)
    m[max(y, 0):max(min(y + bh, h), 0), max(x, 0):max(min(x + bw, w), 0)] = True
    return m


def ellipse_mask(h, w, x, y, bw, bh):
    yy, xx = np.mgrid[0:h, 0:w]
    cx, cy, rx, ry = x + bw / 2.0, y + bh / 2.0, max(bw / 2.0, 0.5), max(bh / 2.0, 0.5)
    return ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2 <= 1.0


def compressed(m):
    rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle


def uncompressed(m):
    flat = m.astype(np.uint8).flatten(order="F")
    counts, cur, run = [], 0, 0
    for v in flat:
        if v != cur:
            counts.append(run)
            cur, run = v, 0
        run += 1
    counts.append(run)
    return {"size": [int(m.shape[0]), int(m.shape[1])], "counts": counts}


def mask_box(m):
    ys, xs = np.nonzero(m)
    if len(xs) == 0:
        return [0, 0, 0, 0]
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


class Gen:
    def __init__(self, seed, profile):
        self.r = random.Random(seed * 7919 + PROFILES.index(profile))
        self.k = knobs(profile)

    def score(self, lo=0.0, hi=1.0):
        s = lo + (hi - lo) * self.r.random()
        if self.r.random() < self.k["round_scores"]:
            return round(s, 1)
        return round(s, 4)

    def build(self):
        r, k = self.r, self.k
        cat_ids = sorted(r.sample(range(1, 40), k["cats"]))
        cats = [{"id": c, "name": "class%d" % c, "supercategory": "s"} for c in cat_ids]
        ids = list(range(1, k["images"] + 1))
        r.shuffle(ids)
        images = []
        for i in ids:
            w, h = r.randrange(40, 121), r.randrange(40, 121)
            images.append({"id": i * 3, "width": w, "height": h, "file_name": "%06d.jpg" % i})
        anns, dets = [], []
        cap_imgs = set(im["id"] for im in r.sample(images, min(k["cap_images"], len(images))))
        for im in images:
            w, h = im["width"], im["height"]
            n_gt = 0 if r.random() < k["empty_gt"] else r.randint(1, k["max_gt"])
            objs = []
            for _ in range(n_gt):
                bw, bh = r.randrange(4, max(5, w // 2)), r.randrange(4, max(5, h // 2))
                x, y = r.randrange(0, w - bw + 1), r.randrange(0, h - bh + 1)
                cid = r.choice(cat_ids)
                crowd = 1 if r.random() < k["crowd"] else 0
                shape = r.random()
                if shape < 0.5:
                    m = rect_mask(h, w, x, y, bw, bh)
                    seg = [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]] if not crowd and r.random() < 0.5 \
                        else compressed(m)
                else:
                    m = ellipse_mask(h, w, x, y, bw, bh)
                    if not m.any():
                        m = rect_mask(h, w, x, y, bw, bh)
                    seg = uncompressed(m) if crowd or r.random() < 0.3 else compressed(m)
                box = [x, y, bw, bh]
                if isinstance(seg, list):
                    m = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w))).astype(bool)
                area = float(m.sum())
                anns.append({"id": len(anns) + 1, "image_id": im["id"], "category_id": cid,
                             "bbox": box, "area": area, "iscrowd": crowd, "segmentation": seg})
                objs.append((cid, box, m, crowd))
            if r.random() < k["empty_dt"] and im["id"] not in cap_imgs:
                continue
            for cid, box, m, crowd in objs:
                self.dets_for(im, cat_ids, cid, box, m, crowd, dets)
            for _ in range(k["bg_per_image"] + (110 if im["id"] in cap_imgs else 0)):
                bw, bh = r.randrange(2, 12), r.randrange(2, 12)
                x, y = r.randrange(0, w - bw + 1), r.randrange(0, h - bh + 1)
                self.add(dets, im, r.choice(cat_ids), [x, y, bw, bh],
                         rect_mask(h, w, x, y, bw, bh) if r.random() < 0.5
                         else ellipse_mask(h, w, x, y, bw, bh), self.score(0.0, 0.7))
        # Results in a shuffled but seeded order: tidecv's per-image stable sort
        # keeps file order among ties.
        r.shuffle(dets)
        gt = {"info": {"description": "gen_tide"}, "images": images, "annotations": anns,
              "categories": cats}
        return gt, dets

    def add(self, dets, im, cid, box, m, score=None):
        if not m.any():
            m = rect_mask(im["height"], im["width"], box[0], box[1], max(box[2], 1), max(box[3], 1))
        dets.append({"image_id": im["id"], "category_id": cid, "bbox": [float(v) for v in box],
                     "score": self.score(0.3, 1.0) if score is None else score, "segmentation": compressed(m)})

    def dets_for(self, im, cat_ids, cid, box, m, crowd, dets):
        r = self.r
        h, w = im["height"], im["width"]
        x, y, bw, bh = box
        other = r.choice([c for c in cat_ids if c != cid] or [cid])
        u = r.random()
        if u < 0.12:
            return  # missed
        if u < 0.45:
            self.add(dets, im, cid, box, m)  # exact: TP (or absorbed by a crowd)
            if r.random() < 0.25:
                self.add(dets, im, cid, box, m)  # duplicate
        elif u < 0.65:
            # localization: shift or crop on the integer grid (IoU often exactly 0.5)
            if r.random() < 0.5:
                dx = r.choice([bw // 3, bw // 2, bw // 4 + 1])
                nb = [x + dx, y, bw, bh]
                nm = np.roll(m, dx, axis=1) & rect_mask(h, w, x + dx, y, bw, bh)
            else:
                nbh = max(1, bh // r.choice([2, 3]))
                nb = [x, y, bw, nbh]
                nm = m & rect_mask(h, w, x, y, bw, nbh)
            self.add(dets, im, cid, nb, nm)
        elif u < 0.8:
            self.add(dets, im, other, box, m)  # classification
        elif u < 0.9:
            nbh = max(1, bh // 2)
            self.add(dets, im, other, [x, y, bw, nbh], m & rect_mask(h, w, x, y, bw, nbh))  # both
        else:
            self.add(dets, im, cid, box, m)
            self.add(dets, im, other, box, m)


def generate(seed, profile="default"):
    return Gen(seed, profile).build()


def write(seed, out, profile="default"):
    gt, dt = generate(seed, profile)
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "gt.json"), "w") as f:
        json.dump(gt, f)
    with open(os.path.join(out, "dt.json"), "w") as f:
        json.dump(dt, f)
    return gt, dt


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profile", default="default", choices=PROFILES)
    a = ap.parse_args()
    gt, dt = write(a.seed, a.out, a.profile)
    print("%d images, %d annotations, %d results" % (len(gt["images"]), len(gt["annotations"]), len(dt)))


if __name__ == "__main__":
    main()
