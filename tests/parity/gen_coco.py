#!/usr/bin/env python3
"""Deterministic generator of small COCO-like datasets for parity tests.

    gen_coco.py --seed N --out DIR [--profile NAME]
        writes DIR/gt.json (COCO ground truth) and DIR/dt.json (a results array).
    gen_coco.py --stats [--seeds 1-40] [--profile NAME]
        generates every seed in memory, validates it and prints, for each
        feature, how many seeds exercise it.
    gen_coco.py --seed N --features [--profile NAME]
        prints the features one dataset exercises.

Everything random comes from one ``random.Random(seed)``; numpy is only used to
build masks from those draws and pycocotools.mask only to encode them, so the
same seed and profile always give byte-identical files.

The datasets are deliberately nasty but valid for pycocotools 2.0.11 (see
/work/shared/spec/cocoeval.md): polygons of every kind, RLE in both forms,
crowds, areas on the range bounds, boxes on the integer grid so that IoUs land
exactly on thresholds, score ties, >100 detections per (image, category), false
positives in categories or images without ground truth, and all the result
file shapes that ``loadRes`` accepts (the FIRST result picks the branch).
"""

import argparse
import json
import math
import os
import random
import sys
from collections import Counter, defaultdict

import numpy as np
from pycocotools import mask as mask_utils

PROFILES = ("default", "bbox_only", "segm_nobbox", "crowd_heavy", "ties",
            "many_dets", "tiny", "many_cats")

# --profile auto picks one of these by seed (mostly default, every profile
# still appears once per 10 seeds).
AUTO_CYCLE = ("default", "bbox_only", "default", "segm_nobbox", "default",
              "crowd_heavy", "ties", "default", "many_dets", "tiny", "many_cats")

# How the result file is shaped (spec §1.4):
#   bbox_rle    every result has bbox; segmentation compressed RLE, sometimes
#               absent on a few results (segm mode then rasterizes the box)
#   bbox_only   every result has bbox, none has segmentation
#   segm_only   no result has bbox; segmentation is compressed RLE
#   segm_mixed  the first result has no bbox (segm branch, area = mask area),
#               some later ones carry an explicit bbox that bbox mode uses
RESULT_FORMATS = ("bbox_rle", "segm_only", "bbox_only", "segm_mixed")

# Default iouThrs as numpy builds them (spec §3.1), used to spot IoUs that land
# exactly on a threshold.
IOU_THRS = tuple(float(t) for t in np.linspace(.5, 0.95, 10, endpoint=True))

SMALL_MAX, MEDIUM_MAX = 32 ** 2, 96 ** 2


# ----------------------------------------------------------------------------
# Small mask helpers (numpy bool arrays of shape [h, w])
# ----------------------------------------------------------------------------

def rle_compressed(mask):
    """Compressed RLE of a bool mask, with counts as str so JSON accepts it."""
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return {"size": [int(rle["size"][0]), int(rle["size"][1])],
            "counts": rle["counts"].decode("ascii")}


def rle_uncompressed(mask):
    """Uncompressed RLE (counts list), column-major, first run is a 0-run."""
    h, w = mask.shape
    flat = mask.ravel(order="F").astype(np.int8)
    starts = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], starts, [flat.size]))
    runs = [int(r) for r in np.diff(bounds)]
    if flat[0]:
        runs.insert(0, 0)
    return {"size": [h, w], "counts": runs}


def rle_of_segmentation(seg, h, w):
    """The compressed RLE pycocotools evaluates for a GT segmentation."""
    if isinstance(seg, list):
        return mask_utils.merge(mask_utils.frPyObjects(seg, h, w))
    if isinstance(seg["counts"], list):
        return mask_utils.frPyObjects(seg, h, w)
    return {"size": seg["size"], "counts": seg["counts"].encode("ascii")}


def decode(rle):
    return mask_utils.decode(rle).astype(bool)


def shift_mask(mask, dy, dx):
    """Translate a mask by whole pixels, filling with zeros."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = mask[ys, xs]
    return out


def grow_mask(mask, steps):
    """4-neighbour dilation (steps > 0) or erosion (steps < 0)."""
    out = mask.copy()
    for _ in range(abs(steps)):
        nbrs = [shift_mask(out, 1, 0), shift_mask(out, -1, 0),
                shift_mask(out, 0, 1), shift_mask(out, 0, -1)]
        if steps > 0:
            for n in nbrs:
                out |= n
        else:
            for n in nbrs:
                out &= n
    return out


def rect_mask(h, w, x, y, bw, bh):
    """Pixels [x, x+bw) x [y, y+bh) on the integer grid, clipped to the image."""
    m = np.zeros((h, w), dtype=bool)
    m[max(0, y):max(0, min(h, y + bh)), max(0, x):max(0, min(w, x + bw))] = True
    return m


def ellipse_mask(h, w, cx, cy, rx, ry):
    yy, xx = np.mgrid[0:h, 0:w]
    return ((xx + 0.5 - cx) / max(rx, 0.5)) ** 2 + ((yy + 0.5 - cy) / max(ry, 0.5)) ** 2 <= 1.0


def mask_bbox(mask):
    """Tight integer box [x, y, w, h] of a mask ([0,0,0,0] when empty)."""
    ys, xs = np.nonzero(mask)
    if xs.size == 0:
        return [0, 0, 0, 0]
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def shoelace(poly):
    pts = list(zip(poly[0::2], poly[1::2]))
    s = 0.0
    for (x0, y0), (x1, y1) in zip(pts, pts[1:] + pts[:1]):
        s += x0 * y1 - x1 * y0
    return abs(s) / 2.0


# ----------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------

class Generator:
    """Builds one dataset. All randomness goes through self.rng."""

    def __init__(self, seed, profile):
        if profile == "auto":
            profile = AUTO_CYCLE[seed % len(AUTO_CYCLE)]
        if profile not in PROFILES:
            raise ValueError("unknown profile %r" % profile)
        self.seed = seed
        self.profile = profile
        self.rng = random.Random(seed)
        self.knobs = self._knobs()
        self.images = []          # image records
        self.cats = []            # category records
        self.anns = []            # GT annotations
        self.objs = []            # per GT: dict(ann, img, mask, box, rect)
        self.dets = []            # results (without final format applied)

    # -- knobs ---------------------------------------------------------------

    def _knobs(self):
        """Per-dataset probabilities. Key features are tied to the seed so that
        any 40 consecutive default seeds cover every result format."""
        r, p, s = self.rng, self.profile, self.seed
        k = dict(
            n_images=r.randint(5, 20),
            n_cats=r.randint(3, 8),
            max_objs=r.randint(3, 12),
            p_no_gt_image=r.choice([0.0, 0.15, 0.3]),
            n_no_gt_cats=r.choice([0, 1, 1, 2]),
            crowd_only_cat=r.random() < 0.35,
            p_crowd=r.choice([0.0, 0.05, 0.1, 0.2]),
            p_ignore_field=r.choice([0.0, 0.0, 0.2, 0.6]),
            p_exact_area=r.choice([0.0, 0.05, 0.15]),
            p_det=r.uniform(0.6, 0.95),
            n_fp=r.randint(0, 25),
            p_dup=r.choice([0.0, 0.05, 0.15]),
            score_mode=r.choice(["float", "float", "q1", "q2", "mixed"]),
            n_flood=1 if r.random() < 0.2 else 0,
            p_unknown_cat=0.25,
            p_empty_det=0.3,
            p_missing_segm=r.choice([0.0, 0.1, 0.3]),
            p_bogus_fields=r.choice([0.0, 0.0, 0.3]),
            p_int_score=r.choice([0.0, 0.0, 0.05]),
            fmt=RESULT_FORMATS[s % len(RESULT_FORMATS)],
        )
        if p == "bbox_only":
            k["fmt"] = "bbox_only"
        elif p == "segm_nobbox":
            k["fmt"] = "segm_only"
        elif p == "crowd_heavy":
            k.update(p_crowd=r.uniform(0.3, 0.5), crowd_only_cat=True,
                     p_ignore_field=0.5)
        elif p == "ties":
            k.update(score_mode=r.choice(["one", "few"]), p_dup=0.2)
        elif p == "many_dets":
            k.update(n_images=r.randint(2, 5), n_flood=r.randint(2, 4))
        elif p == "many_cats":
            # >= 9 categories with GT: the AP means then average more than 8192
            # entries, where numpy < 2.3 sums in 8192-element chunks and
            # numpy >= 2.3 does not (spec §5), so these seeds pin down which
            # numpy the reference ran with.
            k.update(n_images=r.randint(12, 20), n_cats=r.randint(10, 14), n_no_gt_cats=0,
                     max_objs=r.randint(8, 12), p_crowd=0.05, p_det=0.9)
        elif p == "tiny":
            k.update(n_images=1, n_cats=r.randint(1, 3), max_objs=5, p_crowd=0.1, p_det=0.9,
                     p_no_gt_image=0.0, n_no_gt_cats=r.choice([0, 1]),
                     crowd_only_cat=False, n_fp=r.randint(0, 3), n_flood=0)
        return k

    # -- scalar helpers ------------------------------------------------------

    def score(self, lo=0.0, hi=1.0):
        r, mode = self.rng, self.knobs["score_mode"]
        x = r.uniform(lo, hi)
        if mode == "mixed":
            mode = r.choice(["float", "q1", "q2"])
        if mode == "q1":
            return round(x, 1)
        if mode == "q2":
            return round(x, 2)
        if mode == "one":
            return 0.5
        if mode == "few":
            return r.choice([0.25, 0.5, 0.5, 0.75])
        return x

    def quantize(self, v, style):
        if style == "int":
            return int(round(v))
        if style == "quarter":
            return round(v * 4) / 4
        if style == "2dp":
            return round(v, 2)
        return v

    # -- dataset skeleton ----------------------------------------------------

    def make_images_and_cats(self):
        r, k = self.rng, self.knobs
        img_ids = r.sample(range(1, 1_000_000), k["n_images"])
        for iid in img_ids:
            h, w = r.randint(40, 400), r.randint(40, 400)
            if self.profile == "tiny":
                h, w = r.randint(100, 200), r.randint(100, 200)
            self.images.append({"id": iid, "width": w, "height": h,
                                "file_name": "img_%06d.jpg" % iid})
        cat_ids = r.sample(range(1, 500), k["n_cats"])
        for cid in cat_ids:
            self.cats.append({"id": cid, "name": "cat_%d" % cid, "supercategory": "thing"})
        # Roles: categories without any GT, one crowd-only category.
        n_no = min(k["n_no_gt_cats"], max(0, len(cat_ids) - 1))
        self.no_gt_cats = set(cat_ids[:n_no])
        rest = cat_ids[n_no:]
        self.crowd_only_cats = set(rest[:1]) if k["crowd_only_cat"] and len(rest) > 1 else set()
        self.normal_cats = [c for c in rest if c not in self.crowd_only_cats]
        self.no_gt_images = set()
        for img in self.images[1:]:     # keep at least one image with GT
            if r.random() < k["p_no_gt_image"]:
                self.no_gt_images.add(img["id"])

    # -- GT objects ----------------------------------------------------------

    def pick_size(self, img):
        """Target (w, h) of an object box in one of the COCO size classes."""
        r = self.rng
        H, W = img["height"], img["width"]
        cls = r.choices(["small", "medium", "large"], [0.45, 0.35, 0.2])[0]
        if cls == "small":
            area = r.uniform(9, SMALL_MAX * 1.1)
        elif cls == "medium":
            area = r.uniform(SMALL_MAX * 0.9, MEDIUM_MAX * 1.1)
        else:
            area = r.uniform(MEDIUM_MAX * 0.9, max(MEDIUM_MAX * 1.2, 0.7 * H * W))
        aspect = math.exp(r.uniform(-0.9, 0.9))
        bw = min(max(3.0, math.sqrt(area * aspect)), W * 0.95)
        bh = min(max(3.0, area / bw), H * 0.95)
        return bw, bh

    def place(self, img, bw, bh, allow_outside):
        """Top-left corner; sometimes hanging over the image border."""
        r = self.rng
        H, W = img["height"], img["width"]
        if allow_outside and r.random() < 0.15:
            return r.uniform(-0.4 * bw, W - 0.6 * bw), r.uniform(-0.4 * bh, H - 0.6 * bh)
        return r.uniform(0, W - bw), r.uniform(0, H - bh)

    def polygon(self, kind, x0, y0, bw, bh):
        """Vertices (flat list) of one polygon inside box (x0, y0, bw, bh)."""
        r = self.rng
        cx, cy, rx, ry = x0 + bw / 2, y0 + bh / 2, bw / 2, bh / 2
        if kind == "convex":
            n = r.randint(3, 14)
            angles = sorted(r.uniform(0, 2 * math.pi) for _ in range(n))
            radii = [1.0] * n
        elif kind == "concave":
            n = 2 * r.randint(3, 7)
            angles = [2 * math.pi * i / n + r.uniform(-0.1, 0.1) for i in range(n)]
            inner = r.uniform(0.25, 0.7)
            radii = [1.0 if i % 2 == 0 else inner for i in range(n)]
        else:  # self-intersecting: star polygon {n/2} or a shuffled vertex order
            if r.random() < 0.5:
                n = r.choice([5, 7, 9])
                angles = [2 * math.pi * ((2 * i) % n) / n for i in range(n)]
            else:
                n = r.randint(5, 10)
                angles = [r.uniform(0, 2 * math.pi) for _ in range(n)]
            radii = [1.0] * n
        pts = []
        for a, rad in zip(angles, radii):
            pts += [cx + rx * rad * math.cos(a), cy + ry * rad * math.sin(a)]
        return pts

    def finish_polygon(self, pts, style, img):
        r = self.rng
        pts = [self.quantize(v, style) for v in pts]
        if r.random() < 0.15:                       # push a vertex off the image
            j = 2 * r.randrange(len(pts) // 2)
            pts[j] = self.quantize(r.choice([-r.uniform(0.1, 12), img["width"] + r.uniform(0.1, 12)]), style)
        if r.random() < 0.15:                       # repeated vertices
            j = 2 * r.randrange(len(pts) // 2)
            pts = pts[:j + 2] + pts[j:j + 2] + pts[j + 2:]
        if r.random() < 0.1:                        # explicitly closed ring
            pts = pts + pts[:2]
        return pts

    def make_gt_object(self, img, cid, crowd):
        r, k = self.rng, self.knobs
        H, W = img["height"], img["width"]
        bw, bh = self.pick_size(img)
        if crowd:
            kind = r.choices(["rle_u", "rle_c", "poly"], [0.75, 0.15, 0.1])[0]
        else:
            kind = r.choices(["rect", "poly", "multi", "rle_c", "rle_u"],
                             [0.25, 0.35, 0.12, 0.14, 0.14])[0]
        exact = None
        if r.random() < k["p_exact_area"]:
            exact = r.choice([SMALL_MAX, MEDIUM_MAX])
            if kind != "multi" and not crowd:
                kind = "rect"
        rect = None
        style = r.choice(["float", "2dp", "2dp", "quarter", "int"])
        seg_area = None
        if kind == "rect":
            # Integer-grid rectangle: its polygon covers exactly the pixel block,
            # which lets detections hit IoU thresholds exactly in both modes.
            if exact is not None:
                a, b = r.choice([(32, 32), (16, 64), (64, 16)] if exact == SMALL_MAX
                                else [(96, 96), (48, 192), (192, 48), (72, 128)])
                bw, bh = min(a, W), min(b, H)
            else:
                bw, bh = max(2, int(round(bw))), max(2, int(round(bh)))
                if r.random() < 0.4 and H >= 20:       # multiple of 20 -> exact IoU steps
                    bh = max(20, (bh // 20) * 20)
            x, y = r.randint(0, W - bw), r.randint(0, H - bh)
            rect = (x, y, bw, bh)
            mask = rect_mask(H, W, x, y, bw, bh)
            if r.random() < 0.7:
                seg = [[x, y, x, y + bh, x + bw, y + bh, x + bw, y]]
                if r.random() < 0.3:
                    seg = [[float(v) for v in seg[0]]]
            else:
                seg = rle_compressed(mask) if r.random() < 0.5 else rle_uncompressed(mask)
            box = [x, y, bw, bh]
            seg_area = float(bw * bh)
        elif kind in ("poly", "multi"):
            x0, y0 = self.place(img, bw, bh, allow_outside=True)
            parts = []
            nparts = 1 if kind == "poly" else r.randint(2, 4)
            for i in range(nparts):
                if nparts == 1:
                    sx, sy, sw, sh = x0, y0, bw, bh
                else:
                    sw, sh = bw * r.uniform(0.3, 0.6), bh * r.uniform(0.3, 0.6)
                    sx, sy = x0 + r.uniform(0, bw - sw), y0 + r.uniform(0, bh - sh)
                pkind = r.choices(["convex", "concave", "selfint"], [0.5, 0.3, 0.2])[0]
                parts.append(self.finish_polygon(self.polygon(pkind, sx, sy, sw, sh), style, img))
            # pycocotools silently accepts a 4-number polygon after the first
            # one (rasterized as nothing) and ignores a trailing odd
            # coordinate; maskeval refuses both as invalid input, so the
            # parity sets never contain them (tests/cli covers the refusal).
            seg = parts
            mask = decode(rle_of_segmentation(seg, H, W))
            xs = [v for p in parts for v in p[0:len(p) - len(p) % 2:2]]
            ys = [v for p in parts for v in p[1:len(p) - len(p) % 2:2]]
            if r.random() < 0.5:
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
                if r.random() < 0.5:      # clip to the image as COCO tools do
                    bx0, by0 = max(0.0, box[0]), max(0.0, box[1])
                    bx1, by1 = min(float(W), box[0] + box[2]), min(float(H), box[1] + box[3])
                    box = [bx0, by0, max(0.0, bx1 - bx0), max(0.0, by1 - by0)]
                box = [self.quantize(v, "2dp") for v in box]
            else:
                box = mask_bbox(mask)
            seg_area = sum(shoelace(p[:len(p) - len(p) % 2]) for p in parts)
        else:
            # A blob: union of a few ellipses/rectangles, stored as RLE.
            x0, y0 = self.place(img, bw, bh, allow_outside=crowd)
            mask = np.zeros((H, W), dtype=bool)
            for _ in range(r.randint(1, 5 if crowd else 3)):
                sw, sh = bw * r.uniform(0.4, 1.0), bh * r.uniform(0.4, 1.0)
                sx, sy = x0 + r.uniform(0, bw - sw), y0 + r.uniform(0, bh - sh)
                if r.random() < 0.5:
                    mask |= ellipse_mask(H, W, sx + sw / 2, sy + sh / 2, sw / 2, sh / 2)
                else:
                    mask |= rect_mask(H, W, int(sx), int(sy), int(sw) + 1, int(sh) + 1)
            seg = rle_compressed(mask) if kind == "rle_c" else rle_uncompressed(mask)
            box = mask_bbox(mask)
        if isinstance(box[0], int) and r.random() < 0.3:
            box = [float(v) for v in box]
        # Area always comes from the JSON; make it the mask area, the polygon
        # area or something merely close, or exactly a range bound.
        mask_area = int(mask.sum())
        src = r.choices(["mask", "poly", "near"], [0.5, 0.25, 0.25])[0]
        if exact is not None:
            area = exact if r.random() < 0.7 else float(exact)
        elif src == "poly" and seg_area is not None:
            area = seg_area
        elif src == "near" or mask_area == 0:
            area = round(max(1.0, mask_area) * r.uniform(0.85, 1.15), r.choice([0, 2, 6]))
        else:
            area = mask_area
        ann = {"id": None, "image_id": img["id"], "category_id": cid,
               "segmentation": seg, "area": area, "bbox": box,
               "iscrowd": 1 if crowd else 0}
        if r.random() < k["p_ignore_field"]:
            ann["ignore"] = r.choice([0, 1, ann["iscrowd"]])
        self.anns.append(ann)
        self.objs.append({"ann": ann, "img": img, "mask": mask, "box": box, "rect": rect})

    def make_gt(self):
        r, k = self.rng, self.knobs
        for img in self.images:
            if img["id"] in self.no_gt_images:
                continue
            for _ in range(r.randint(1, k["max_objs"])):
                if self.crowd_only_cats and r.random() < 0.15:
                    self.make_gt_object(img, r.choice(sorted(self.crowd_only_cats)), True)
                elif self.normal_cats:
                    self.make_gt_object(img, r.choice(self.normal_cats), r.random() < k["p_crowd"])
        # Make sure the roles promised by the knobs really exist.
        for cid in sorted(self.crowd_only_cats):
            if not any(o["ann"]["category_id"] == cid for o in self.objs):
                img = self.images[0]
                self.make_gt_object(img, cid, True)
        if not any(not a["iscrowd"] for a in self.anns):
            # Without a single regular GT every statistic would be -1.
            img = next(i for i in self.images if i["id"] not in self.no_gt_images)
            self.make_gt_object(img, (self.normal_cats or [self.cats[0]["id"]])[0], False)
        ids = r.sample(range(1, 10_000_000), len(self.anns))
        for ann, aid in zip(self.anns, ids):
            ann["id"] = aid

    # -- detections ----------------------------------------------------------

    def jitter_box(self, box, style, amount):
        r = self.rng
        x, y, w, h = [float(v) for v in box]
        dw, dh = w * r.uniform(-amount, amount), h * r.uniform(-amount, amount)
        x += w * r.uniform(-amount, amount)
        y += h * r.uniform(-amount, amount)
        out = [x, y, max(0.0, w + dw), max(0.0, h + dh)]
        return [self.quantize(v, style) for v in out]

    def add_det(self, img, cid, mask, box, score):
        self.dets.append({"image_id": img["id"], "category_id": cid,
                          "mask": mask, "box": box, "score": score})

    def det_near(self, obj):
        """A detection derived from one GT object."""
        r = self.rng
        img, ann = obj["img"], obj["ann"]
        H, W = img["height"], img["width"]
        style = r.choice(["int", "2dp", "float"])
        modes = ["exact", "shift", "grow", "boxmask", "noisy"]
        weights = [0.15, 0.3, 0.15, 0.15, 0.25]
        if obj["rect"] is not None:
            modes.append("thresh")
            weights.append(0.5)
        mode = r.choices(modes, weights)[0]
        mask, box = obj["mask"], list(obj["box"])
        if mode == "thresh":
            # Same x-extent, a sub-height: IoU = h2 / h, exactly a threshold
            # when bh is a multiple of 20 (in both bbox and segm mode).
            x, y, bw, bh = obj["rect"]
            i = r.randrange(10)
            h2 = max(1, (bh * (10 + i)) // 20) if r.random() < 0.8 else max(1, bh - 1)
            y2 = y + (0 if r.random() < 0.5 else bh - h2)
            mask = rect_mask(H, W, x, y2, bw, h2)
            box = [x, y2, bw, h2]
        elif mode == "shift":
            dy, dx = r.randint(-4, 4), r.randint(-4, 4)
            mask = shift_mask(mask, dy, dx)
            box = [float(box[0]) + dx, float(box[1]) + dy, box[2], box[3]]
            box = [self.quantize(v, style) for v in box]
        elif mode == "grow":
            st = r.choice([-2, -1, 1, 2])
            mask = grow_mask(mask, st)
            box = [float(box[0]) - st, float(box[1]) - st,
                   max(0.0, float(box[2]) + 2 * st), max(0.0, float(box[3]) + 2 * st)]
            box = [self.quantize(v, style) for v in box]
        elif mode == "boxmask":
            bx, by, bw, bh = [int(round(float(v))) for v in box]
            mask = rect_mask(H, W, bx, by, bw, bh)
            box = self.jitter_box(box, style, 0.05)
        elif mode == "noisy":
            flips = np.zeros((H, W), dtype=bool)
            bx, by, bw, bh = mask_bbox(grow_mask(mask, 2))
            n = max(1, (bw * bh) // r.randint(4, 12))
            for _ in range(n):
                flips[r.randint(by, max(by, by + bh - 1)), r.randint(bx, max(bx, bx + bw - 1))] = True
            mask = mask ^ flips
            box = self.jitter_box(box, style, 0.12)
        self.add_det(img, ann["category_id"], mask, box, self.score(0.2, 1.0))

    def det_random(self, img, cid):
        """A detection anywhere in an image: almost always a false positive."""
        r = self.rng
        H, W = img["height"], img["width"]
        bw, bh = self.pick_size(img)
        x, y = self.place(img, bw, bh, allow_outside=False)
        if r.random() < 0.5:
            mask = rect_mask(H, W, int(x), int(y), int(bw) + 1, int(bh) + 1)
            box = [int(x), int(y), int(bw) + 1, int(bh) + 1]
            if r.random() < 0.5:
                box = [self.quantize(v, "2dp") for v in (x, y, bw, bh)]
        else:
            mask = ellipse_mask(H, W, x + bw / 2, y + bh / 2, bw / 2, bh / 2)
            box = [self.quantize(v, r.choice(["2dp", "float"])) for v in (x, y, bw, bh)]
        self.add_det(img, cid, mask, box, self.score(0.0, 0.9))

    def make_dets(self):
        r, k = self.rng, self.knobs
        cat_ids = [c["id"] for c in self.cats]
        regular = [o for o in self.objs if not o["ann"]["iscrowd"]]
        for obj in self.objs:
            if obj["ann"]["iscrowd"]:
                # Detections on crowd regions are absorbed (several may be).
                for _ in range(r.choice([0, 0, 1, 2, 3])):
                    self.det_near(obj)
            elif r.random() < k["p_det"]:
                self.det_near(obj)
                if r.random() < 0.2:
                    self.det_near(obj)            # a near-duplicate
        if not self.dets:
            # Keep the statistics informative: at least one true-positive candidate.
            self.det_near(r.choice(regular))
        for _ in range(k["n_fp"]):
            img = r.choice(self.images)
            if self.no_gt_images and r.random() < 0.4:
                nid = r.choice(sorted(self.no_gt_images))
                img = next(i for i in self.images if i["id"] == nid)
            cid = r.choice(cat_ids)
            if self.no_gt_cats and r.random() < 0.3:
                cid = r.choice(sorted(self.no_gt_cats))
            self.det_random(img, cid)
        if r.random() < k["p_unknown_cat"]:
            # Category that is not in the GT at all: loadRes keeps it, evaluation drops it.
            unknown = max(cat_ids) + r.randint(1, 50)
            for _ in range(r.randint(1, 3)):
                self.det_random(r.choice(self.images), unknown)
        for _ in range(k["n_flood"]):
            self.flood()
        if r.random() < k["p_empty_det"]:
            img = r.choice(self.images)
            H, W = img["height"], img["width"]
            x, y = r.randint(0, W - 1), r.randint(0, H - 1)
            self.add_det(img, r.choice(cat_ids), np.zeros((H, W), dtype=bool),
                         [x, y, 0, r.randint(0, 9)], self.score())
        # Exact duplicates (same mask and box; same or different score).
        for d in list(self.dets):
            if r.random() < k["p_dup"]:
                dup = dict(d)
                if r.random() < 0.5:
                    dup["score"] = self.score()
                self.dets.insert(r.randrange(len(self.dets) + 1), dup)
        if not self.dets:
            self.det_random(self.images[0], cat_ids[0])

    def flood(self):
        """More than 100 detections on one (image, category) pair, many tied."""
        r = self.rng
        obj = r.choice(self.objs) if self.objs else None
        if obj is None:
            return
        img, cid = obj["img"], obj["ann"]["category_id"]
        saved = self.knobs["score_mode"]
        self.knobs["score_mode"] = r.choice(["q1", "q2", "mixed"])
        for _ in range(r.randint(101, 180)):
            if r.random() < 0.5:
                self.det_near(obj)
            else:
                self.det_random(img, cid)
        self.knobs["score_mode"] = saved

    # -- output --------------------------------------------------------------

    def results(self):
        """Apply the result format: the FIRST result decides the loadRes branch."""
        r, k = self.rng, self.knobs
        dets = list(self.dets)
        r.shuffle(dets)
        fmt = k["fmt"]
        out = []
        for i, d in enumerate(dets):
            res = {"image_id": d["image_id"], "category_id": d["category_id"]}
            if fmt in ("bbox_rle", "bbox_only") or (fmt == "segm_mixed" and i > 0 and r.random() < 0.5):
                res["bbox"] = [v if isinstance(v, int) else float(v) for v in d["box"]]
            if fmt == "bbox_rle" and not (i > 0 and r.random() < k["p_missing_segm"]):
                res["segmentation"] = rle_compressed(d["mask"])
            elif fmt in ("segm_only", "segm_mixed"):
                res["segmentation"] = rle_compressed(d["mask"])
            res["score"] = d["score"]
            if r.random() < k["p_int_score"]:
                res["score"] = r.choice([0, 1])      # a JSON integer score
            if r.random() < k["p_bogus_fields"]:
                # loadRes overwrites id, area and iscrowd; these values must not matter.
                res.update(id=r.choice([0, 1, 7]), area=r.choice([0, 1024, 1e9]), iscrowd=1)
            out.append(res)
        return out

    def build(self):
        self.make_images_and_cats()
        self.make_gt()
        self.make_dets()
        dt = self.results()
        r = self.rng
        images, cats, anns = list(self.images), list(self.cats), list(self.anns)
        r.shuffle(images)
        r.shuffle(cats)
        r.shuffle(anns)
        gt = {"info": {"description": "maskeval parity seed %d profile %s" % (self.seed, self.profile)},
              "images": images, "annotations": anns, "categories": cats}
        return gt, dt


def generate(seed, profile="default"):
    """Return (gt dict, dt list) for a seed; pure function of its arguments."""
    return Generator(seed, profile).build()


def dumps(obj):
    # repr-based floats round-trip exactly; compact separators keep files small.
    return json.dumps(obj, separators=(",", ":")) + "\n"


def write(seed, out_dir, profile="default"):
    gt, dt = generate(seed, profile)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "gt.json"), "w") as f:
        f.write(dumps(gt))
    with open(os.path.join(out_dir, "dt.json"), "w") as f:
        f.write(dumps(dt))
    return gt, dt


# ----------------------------------------------------------------------------
# Validation and feature analysis (computed from the files, not from intent)
# ----------------------------------------------------------------------------

def validate(gt, dt):
    """Raise AssertionError if the dataset breaks an invariant the tests rely on."""
    imgs = {i["id"]: i for i in gt["images"]}
    assert len(imgs) == len(gt["images"]), "duplicate image ids"
    assert all(i >= 1 for i in imgs), "image id < 1"
    ann_ids = [a["id"] for a in gt["annotations"]]
    assert len(set(ann_ids)) == len(ann_ids), "duplicate annotation ids"
    assert min(ann_ids) >= 1, "annotation id < 1"
    cat_ids = {c["id"] for c in gt["categories"]}
    assert len(cat_ids) == len(gt["categories"]), "duplicate category ids"

    def check_rle(seg, img, what):
        h, w = img["height"], img["width"]
        assert list(seg["size"]) == [h, w], "%s: RLE size %r != image %r" % (what, seg["size"], [h, w])
        if isinstance(seg["counts"], list):
            assert sum(seg["counts"]) == h * w, "%s: counts sum" % what
        else:
            # decode + re-encode must give the same string: the generator only
            # writes canonical RLE whose counts sum to h*w.
            rle = rle_of_segmentation(seg, h, w)
            again = mask_utils.encode(np.asfortranarray(mask_utils.decode(rle)))
            assert again["counts"] == rle["counts"], "%s: non-canonical RLE" % what

    for a in gt["annotations"]:
        img = imgs[a["image_id"]]
        seg = a["segmentation"]
        if isinstance(seg, dict):
            check_rle(seg, img, "gt %d" % a["id"])
        else:
            assert seg and len(seg[0]) > 4, "gt %d: first polygon must have > 4 numbers" % a["id"]
        assert a["area"] >= 0 and len(a["bbox"]) == 4
    assert dt, "empty results crash loadRes"
    first_has_bbox = "bbox" in dt[0]
    for j, d in enumerate(dt):
        assert d["image_id"] in imgs, "result %d on unknown image" % j
        if first_has_bbox:
            assert "bbox" in d, "result %d lacks bbox in the bbox branch" % j
        else:
            assert isinstance(d["segmentation"]["counts"], str), "segm branch needs compressed RLE"
        if "segmentation" in d:
            check_rle(d["segmentation"], imgs[d["image_id"]], "result %d" % j)


def _poly_flags(p):
    """(convex, concave, self-intersecting) for one polygon ring."""
    pts = [(p[i], p[i + 1]) for i in range(0, len(p) - 1, 2)]
    dedup = [q for i, q in enumerate(pts) if q != pts[i - 1]] or pts
    n = len(dedup)
    if n < 3:
        return False, False, False

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def seg_x(a, b, c, d):
        d1, d2, d3, d4 = cross(c, d, a), cross(c, d, b), cross(a, b, c), cross(a, b, d)
        return d1 * d2 < 0 and d3 * d4 < 0      # proper crossing, touching does not count

    edges = [(dedup[i], dedup[(i + 1) % n]) for i in range(n)]
    selfint = any(seg_x(*edges[i], *edges[j])
                  for i in range(n) for j in range(i + 2, n) if not (i == 0 and j == n - 1))
    signs = {cross(dedup[i - 1], dedup[i], dedup[(i + 1) % n]) > 0
             for i in range(n) if cross(dedup[i - 1], dedup[i], dedup[(i + 1) % n]) != 0}
    convex = not selfint and len(signs) == 1
    return convex, (not selfint and len(signs) == 2), selfint


def features(gt, dt):
    """The set of features one dataset exercises."""
    f = set()
    imgs = {i["id"]: i for i in gt["images"]}
    cats = {c["id"] for c in gt["categories"]}
    add = f.add
    if [i["id"] for i in gt["images"]] != sorted(imgs):
        add("ids: images unsorted in file")
    if sorted(imgs) != list(range(min(imgs), min(imgs) + len(imgs))):
        add("ids: image ids non-contiguous")
    if [c["id"] for c in gt["categories"]] != sorted(cats):
        add("ids: categories unsorted in file")
    gt_by_cat = defaultdict(list)
    gt_by_img_cat = defaultdict(list)
    for a in gt["annotations"]:
        gt_by_cat[a["category_id"]].append(a)
        gt_by_img_cat[a["image_id"], a["category_id"]].append(a)
        img = imgs[a["image_id"]]
        h, w = img["height"], img["width"]
        area = a["area"]
        add("gt: small" if area < SMALL_MAX else "gt: large" if area > MEDIUM_MAX else "gt: medium")
        if area == SMALL_MAX:
            add("gt: area == 1024")
        if area == MEDIUM_MAX:
            add("gt: area == 9216")
        seg = a["segmentation"]
        rle = rle_of_segmentation(seg, h, w)
        mask_area = int(mask_utils.area(rle))
        if area == mask_area:
            add("gt: area == mask area")
        elif isinstance(seg, list) and area == sum(shoelace(p[:len(p) - len(p) % 2]) for p in seg):
            add("gt: area == polygon area")
        else:
            add("gt: area other")
        if a["iscrowd"]:
            add("gt: iscrowd=1")
        if "ignore" in a:
            add("gt: JSON ignore field")
            if bool(a["ignore"]) != bool(a["iscrowd"]):
                add("gt: ignore != iscrowd")
        if all(isinstance(v, int) for v in a["bbox"]):
            add("gt: bbox int")
        else:
            add("gt: bbox float")
        if isinstance(seg, dict):
            crowd = " (crowd)" if a["iscrowd"] else ""
            add(("gt: uncompressed RLE" if isinstance(seg["counts"], list) else "gt: compressed RLE") + crowd)
            continue
        add("gt: polygon" + (" (crowd)" if a["iscrowd"] else ""))
        if len(seg) > 1:
            add("poly: multi-part")
        for p in seg:
            if len(p) % 2:
                add("poly: odd coordinate count")
            if len(p) == 4 and p is not seg[0]:
                add("poly: 4-number part (not first)")
            convex, concave, selfint = _poly_flags(p)
            if convex:
                add("poly: convex")
            if concave:
                add("poly: concave")
            if selfint:
                add("poly: self-intersecting")
            xs, ys = p[0:len(p) - 1:2], p[1:len(p):2]
            if min(xs + ys) < 0:
                add("poly: negative coords")
            if min(xs) < 0 or min(ys) < 0 or max(xs) > w or max(ys) > h:
                add("poly: vertex outside image")
            fr = {v - math.floor(v) for v in p}
            if fr & {0.25, 0.75}:
                add("poly: quarter-pixel coords")
            if fr - {0.0, 0.25, 0.5, 0.75}:
                add("poly: sub-pixel coords")
            pts = list(zip(xs, ys))
            if any(pts[i] == pts[i + 1] for i in range(len(pts) - 1)) or (len(pts) > 1 and pts[0] == pts[-1]):
                add("poly: repeated vertex")
    imgs_with_gt = {a["image_id"] for a in gt["annotations"]}
    if set(imgs) - imgs_with_gt:
        add("img: without GT")
    if cats - set(gt_by_cat):
        add("cat: without GT")
    if any(all(a["iscrowd"] for a in v) for v in gt_by_cat.values()):
        add("cat: crowd only")
    if sum(1 for v in gt_by_cat.values() if any(not a["iscrowd"] for a in v)) >= 9:
        add("cat: >= 9 with regular GT (AP mean over > 8192 entries)")

    # Results.
    first = dt[0]
    if "bbox" in first:
        if all("segmentation" not in d for d in dt):
            add("dt: format bbox only")
        else:
            add("dt: format bbox + RLE")
            if any("segmentation" not in d for d in dt):
                add("dt: bbox branch, some without segmentation")
    elif any("bbox" in d for d in dt):
        add("dt: format segm, later results with bbox")
    else:
        add("dt: format segm (RLE, no bbox)")
    per_pair = defaultdict(list)
    for d in dt:
        per_pair[d["image_id"], d["category_id"]].append(d)
        if d["category_id"] not in cats:
            add("dt: category not in GT")
        elif d["category_id"] not in gt_by_cat:
            add("dt: category without GT")
        if d["image_id"] not in imgs_with_gt:
            add("dt: image without GT")
        if "segmentation" in d and int(mask_utils.area(rle_of_segmentation(d["segmentation"], 0, 0))) == 0:
            add("dt: empty mask")
        if "bbox" in d and d["bbox"][2] * d["bbox"][3] in (SMALL_MAX, MEDIUM_MAX):
            add("dt: box area == 1024/9216")
        if "bbox" in d and all(isinstance(v, int) for v in d["bbox"]):
            add("dt: bbox on integer grid")
        if {"id", "area", "iscrowd"} & set(d):
            add("dt: carries id/area/iscrowd (overwritten)")
        if isinstance(d["score"], int):
            add("dt: integer score")
    keyed = Counter(json.dumps([d.get("bbox"), d.get("segmentation"), d["image_id"], d["category_id"]])
                    for d in dt)
    if max(keyed.values()) > 1:
        add("dt: exact duplicates")
    by_cat_scores = defaultdict(Counter)
    for (iid, cid), ds in per_pair.items():
        if len(ds) > 100:
            add("dt: >100 on one (image, category)")
        sc = Counter(d["score"] for d in ds)
        if max(sc.values()) > 1:
            add("dt: score ties within (image, category)")
        for d in ds:
            by_cat_scores[cid][d["score"], iid] = 1
    for cid, c in by_cat_scores.items():
        per_score = Counter(s for s, _ in c)
        if max(per_score.values()) > 1:
            add("dt: score ties across images")
            break
    # IoUs as pycocotools computes them, to find exact threshold hits, TPs and FPs.
    thr = set(IOU_THRS)
    for (iid, cid), ds in per_pair.items():
        gts = gt_by_img_cat.get((iid, cid), [])
        if not gts:
            continue
        img = imgs[iid]
        h, w = img["height"], img["width"]
        crowd = [int(a["iscrowd"]) for a in gts]
        dboxes = [d["bbox"] if "bbox" in d else list(mask_utils.toBbox(d["segmentation"]))
                  for d in ds]
        ious = np.asarray(mask_utils.iou(dboxes, [a["bbox"] for a in gts], crowd))
        if any(float(v) in thr for v in ious.ravel()):
            add("iou: bbox IoU exactly on a threshold")
        if (ious.max(axis=1) >= 0.5).any():
            add("dt: near-duplicate of GT (bbox IoU >= .5)")
        if (ious.max(axis=1) == 0).any():
            add("dt: pure false positive")
        if any(c for c in crowd) and (ious[:, [i for i, c in enumerate(crowd) if c]] > 0.5).any():
            add("dt: inside a crowd region")
        drles = []
        for d in ds:
            if "segmentation" in d:
                drles.append(rle_of_segmentation(d["segmentation"], h, w))
            else:
                x, y, bw, bh = d["bbox"]
                drles.append(rle_of_segmentation([[x, y, x, y + bh, x + bw, y + bh, x + bw, y]], h, w))
        grles = [rle_of_segmentation(a["segmentation"], h, w) for a in gts]
        mious = np.asarray(mask_utils.iou(drles, grles, crowd))
        if any(float(v) in thr for v in mious.ravel()):
            add("iou: mask IoU exactly on a threshold")
    return f


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            seeds += range(int(a), int(b) + 1)
        else:
            seeds.append(int(part))
    return seeds


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, help="dataset seed")
    ap.add_argument("--out", help="output directory for gt.json and dt.json")
    ap.add_argument("--profile", default="default", choices=PROFILES + ("auto",))
    ap.add_argument("--stats", action="store_true", help="print feature coverage over --seeds")
    ap.add_argument("--seeds", default="1-40", help="seed list for --stats, e.g. 1-40 or 1,5,9")
    ap.add_argument("--features", action="store_true", help="print the features of --seed")
    args = ap.parse_args(argv)

    if args.stats:
        seeds = parse_seeds(args.seeds)
        counts, where = Counter(), defaultdict(list)
        for s in seeds:
            gt, dt = generate(s, args.profile)
            validate(gt, dt)
            for feat in features(gt, dt):
                counts[feat] += 1
                where[feat].append(s)
        print("feature coverage over %d seeds (profile %s)" % (len(seeds), args.profile))
        for feat in sorted(counts):
            sample = ",".join(str(s) for s in where[feat][:8])
            print("  %-45s %3d   e.g. seeds %s" % (feat, counts[feat], sample))
        return 0
    if args.seed is None:
        ap.error("--seed is required")
    if args.features:
        gt, dt = generate(args.seed, args.profile)
        validate(gt, dt)
        for feat in sorted(features(gt, dt)):
            print(feat)
        return 0
    if not args.out:
        ap.error("--out is required")
    gt, dt = write(args.seed, args.out, args.profile)
    validate(gt, dt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
