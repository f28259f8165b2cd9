#!/usr/bin/env python3
"""Deterministic LVIS-style datasets for the lvis-api parity tests.

    gen_lvis.py --seed N --out DIR [--profile NAME]
        writes DIR/gt.json (LVIS ground truth) and DIR/dt.json (results).

What every set holds, from one random.Random(seed): categories with
non-contiguous ids and a frequency r / c / f each; images (ids shuffled in
the file) with neg_category_ids (categories verified absent, so their
detections count as false positives) and not_exhaustive_category_ids
(present but not fully annotated: unmatched detections there are ignored);
annotations as polygons or RLE, a few with area 0 (dropped by lvis-api), a
few with "ignore": 1, a few carrying an iscrowd that lvis-api never reads;
detections made from the ground truth (exact, shifted, cropped), false
positives in the image's categories, in negative categories, in categories
neither present nor negative (dropped by the federated filter) and in ids no
category has; zero-width boxes; scores often rounded (ties); some images with
more detections than the per-image cap. Boxes lie on the integer grid so
IoUs land exactly on thresholds.

Profiles: default (segm results with bbox), segm_only (results without bbox:
mask areas), many_cats (30 categories, so AP means run over more than 8192
entries and numpy's summation order shows), capped (small images with many
detections, for --max-dets 20).
"""

import argparse
import json
import os
import random
import sys

import numpy as np
from pycocotools import mask as mask_utils

PROFILES = ("default", "segm_only", "many_cats", "capped")


def knobs(profile):
    k = dict(images=12, cats=12, max_gt=6, dets_extra=6, big_images=1, big_count=320,
             with_bbox=True, round_scores=0.4)
    if profile == "segm_only":
        k.update(with_bbox=False)
    elif profile == "many_cats":
        k.update(images=16, cats=30, max_gt=8)
    elif profile == "capped":
        k.update(images=8, cats=6, dets_extra=30, big_images=3, big_count=60)
    return k


# the mask helpers of the TIDE generator (the same shapes and encodings)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tide"))
from gen_tide import compressed as crle  # noqa: E402
from gen_tide import ellipse_mask as ellipse  # noqa: E402
from gen_tide import rect_mask as rect  # noqa: E402
from gen_tide import uncompressed as urle  # noqa: E402


class Gen:
    def __init__(self, seed, profile):
        self.r = random.Random(seed * 104729 + PROFILES.index(profile))
        self.k = knobs(profile)

    def score(self, lo, hi):
        s = lo + (hi - lo) * self.r.random()
        return round(s, 1) if self.r.random() < self.k["round_scores"] else round(s, 4)

    def build(self):
        r, k = self.r, self.k
        cat_ids = sorted(r.sample(range(1, 200), k["cats"]))
        freq = {c: r.choice("rcf") for c in cat_ids}
        # every group non-empty, so that APr / APc / APf all have categories
        for c, f in zip(cat_ids[:3], "rcf"):
            freq[c] = f
        cats = [{"id": c, "name": "cat_%d" % c, "frequency": freq[c], "synset": "s.n.01"}
                for c in cat_ids]
        ids = list(range(1, k["images"] + 1))
        r.shuffle(ids)
        images, anns, dets = [], [], []
        big = set(r.sample(ids, min(k["big_images"], len(ids))))
        for i in ids:
            w, h = r.randrange(40, 261), r.randrange(40, 261)
            img = {"id": i * 7, "width": w, "height": h, "file_name": "%d.jpg" % i}
            n_gt = r.randint(0, k["max_gt"])
            present = []
            for _ in range(n_gt):
                c = r.choice(cat_ids)
                if min(w, h) > 110 and r.random() < 0.35:  # large (area > 96^2)
                    bw, bh = r.randrange(100, w), r.randrange(100, h)
                else:
                    bw, bh = r.randrange(3, max(4, w // 2)), r.randrange(3, max(4, h // 2))
                x, y = r.randrange(0, w - bw + 1), r.randrange(0, h - bh + 1)
                shape = r.random()
                if shape < 0.5:
                    m = rect(h, w, x, y, bw, bh)
                    seg = [[x, y, x + bw, y, x + bw, y + bh, x, y + bh]] if r.random() < 0.6 else crle(m)
                else:
                    m = ellipse(h, w, x, y, bw, bh)
                    seg = urle(m) if r.random() < 0.3 else crle(m)
                if isinstance(seg, list):
                    m = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(seg, h, w)))
                area = float(m.sum())
                a = {"id": len(anns) + 1, "image_id": img["id"], "category_id": c,
                     "bbox": [x, y, bw, bh], "area": area, "segmentation": seg}
                u = r.random()
                if u < 0.06:
                    a["area"] = 0.0  # lvis-api drops it (and its category is not "present")
                elif u < 0.12:
                    a["ignore"] = 1
                elif u < 0.16:
                    a["iscrowd"] = 1  # never read by lvis-api
                anns.append(a)
                if a["area"] > 0:
                    present.append(c)
                self.dets_from_gt(img, cat_ids, c, (x, y, bw, bh), m, dets)
            absent = [c for c in cat_ids if c not in present]
            img["neg_category_ids"] = sorted(r.sample(absent, min(len(absent), r.randint(0, 4))))
            pool = sorted(set(present)) + absent[:2]
            img["not_exhaustive_category_ids"] = sorted(r.sample(pool, min(len(pool), r.randint(0, 2))))
            images.append(img)
            extra = k["dets_extra"] + (k["big_count"] if i in big else 0)
            for _ in range(extra):
                u = r.random()
                c = (r.choice(img["neg_category_ids"]) if u < 0.3 and img["neg_category_ids"]
                     else r.choice(present) if u < 0.6 and present
                     else 1000 + r.randrange(3) if u < 0.65 else r.choice(cat_ids))
                bw, bh = r.randrange(2, 15), r.randrange(2, 15)
                x, y = r.randrange(0, w - bw + 1), r.randrange(0, h - bh + 1)
                self.add(dets, img, c, [x, y, bw, bh], rect(h, w, x, y, bw, bh), self.score(0, 0.8))
            if r.random() < 0.3:  # a zero-width box: dropped by lvis-api's area > 0
                self.add(dets, img, r.choice(cat_ids), [5, 5, 0, 7], rect(h, w, 5, 5, 1, 7), 0.77)
        r.shuffle(dets)
        gt = {"info": {}, "licenses": [], "images": images, "annotations": anns, "categories": cats}
        return gt, dets

    def add(self, dets, img, c, box, m, score):
        d = {"image_id": img["id"], "category_id": c, "score": score}
        if self.k["with_bbox"]:
            d["bbox"] = [float(v) for v in box]
        if not m.any():
            m = rect(img["height"], img["width"], box[0], box[1], max(box[2], 1), max(box[3], 1))
        d["segmentation"] = crle(m)
        dets.append(d)

    def dets_from_gt(self, img, cat_ids, c, box, m, dets):
        r = self.r
        h, w = img["height"], img["width"]
        x, y, bw, bh = box
        u = r.random()
        if u < 0.15:
            return
        if u < 0.6:
            self.add(dets, img, c, list(box), m, self.score(0.3, 1))
            if r.random() < 0.2:
                self.add(dets, img, c, list(box), m, self.score(0.2, 0.9))
        elif u < 0.85:
            dx = r.choice([bw // 3, bw // 2, 1])
            self.add(dets, img, c, [x + dx, y, bw, bh],
                     np.roll(m, dx, axis=1) & rect(h, w, x + dx, y, bw, bh), self.score(0.2, 1))
        else:
            self.add(dets, img, r.choice(cat_ids), list(box), m, self.score(0.2, 1))


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
    print("%d images, %d annotations, %d categories, %d results"
          % (len(gt["images"]), len(gt["annotations"]), len(gt["categories"]), len(dt)))


if __name__ == "__main__":
    main()
