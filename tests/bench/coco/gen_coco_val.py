#!/usr/bin/env python3
"""Fixed-seed generator of a COCO-val2017-scale benchmark set (issue #6).

    gen_coco_val.py --out DIR [--seed 2017] [--images 5000] [--dets-per-image 100]
                    [--workers N]

writes

    DIR/gt.json        COCO instances file: 5000 images, the 80 COCO categories
                       (ids 1..90 with COCO's gaps), ~36k instances: polygons with
                       1-3 parts (~99%) and crowd regions as uncompressed RLE (~1%)
    DIR/dt_segm.json   results array as detectron2 / mmdet write it: compact JSON,
                       ~100 results per image, each with bbox, score and a
                       compressed-RLE segmentation of the full image size
    DIR/dt_bbox.json   the same results without "segmentation"
    DIR/summary.json   the numbers printed at the end

and prints a summary (images, GT, results, file sizes, area mix).

What the data looks like
------------------------
Images: COCO's size distribution (long side 640 for almost all, 640x480 and
640x427 the most common, ~1/4 portrait, a few squares and smaller images).
Ground truth: per-image instance counts from a skewed (negative binomial)
distribution with COCO's mean (~7.3), ~1% images without annotations, a few
categories per image with "person" dominating, areas drawn log-uniformly inside
COCO's small / medium / large classes in COCO val's proportions (41/34/25 %).
Objects are smooth random blobs (a few Fourier harmonics on an ellipse) whose
vertex count grows with size like COCO's annotations; ~15 % are split in 2-3
parts (occlusion). GT ``area`` is the polygon area, ``bbox`` the polygon extent,
both with two decimals like COCO's files.

Results imitate a Mask R-CNN-style model: every GT gets, with a probability
that grows with its size, one main detection whose mask is the GT polygon
shifted, rescaled and eroded/dilated by an error level drawn per object (larger
for small objects), with a score correlated with that error; a few
poorer near-duplicates at lower scores; sometimes a detection of the same object
in a confusable category (same supercategory). The remaining slots of the
image (up to --dets-per-image) are false positives: poorly localised blobs
near objects and random blobs over the image, in categories drawn by
frequency, with low scores. Each image keeps its top-scoring results, ordered
by score as detectron2 writes them. Scores and boxes are float32 values
printed as Python floats, as detectron2's json.dump of tensor values gives.

Determinism: every image is generated from its own numpy Generator seeded with
(seed, image index), so the files do not depend on the number of workers.
Masks are rasterised and encoded with pycocotools.mask (polygon -> RLE), so they
are valid by construction: size == [height, width] of their image, counts
summing to height*width.
"""

import argparse
import json
import math
import os
import sys
import time
from multiprocessing import Pool

import numpy as np
from pycocotools import mask as mask_utils

# COCO 2017 categories: (id, name, supercategory), ids 1..90 with COCO's gaps.
COCO_CATEGORIES = [
    (1, "person", "person"), (2, "bicycle", "vehicle"), (3, "car", "vehicle"),
    (4, "motorcycle", "vehicle"), (5, "airplane", "vehicle"), (6, "bus", "vehicle"),
    (7, "train", "vehicle"), (8, "truck", "vehicle"), (9, "boat", "vehicle"),
    (10, "traffic light", "outdoor"), (11, "fire hydrant", "outdoor"),
    (13, "stop sign", "outdoor"), (14, "parking meter", "outdoor"), (15, "bench", "outdoor"),
    (16, "bird", "animal"), (17, "cat", "animal"), (18, "dog", "animal"),
    (19, "horse", "animal"), (20, "sheep", "animal"), (21, "cow", "animal"),
    (22, "elephant", "animal"), (23, "bear", "animal"), (24, "zebra", "animal"),
    (25, "giraffe", "animal"), (27, "backpack", "accessory"), (28, "umbrella", "accessory"),
    (31, "handbag", "accessory"), (32, "tie", "accessory"), (33, "suitcase", "accessory"),
    (34, "frisbee", "sports"), (35, "skis", "sports"), (36, "snowboard", "sports"),
    (37, "sports ball", "sports"), (38, "kite", "sports"), (39, "baseball bat", "sports"),
    (40, "baseball glove", "sports"), (41, "skateboard", "sports"), (42, "surfboard", "sports"),
    (43, "tennis racket", "sports"), (44, "bottle", "kitchen"), (46, "wine glass", "kitchen"),
    (47, "cup", "kitchen"), (48, "fork", "kitchen"), (49, "knife", "kitchen"),
    (50, "spoon", "kitchen"), (51, "bowl", "kitchen"), (52, "banana", "food"),
    (53, "apple", "food"), (54, "sandwich", "food"), (55, "orange", "food"),
    (56, "broccoli", "food"), (57, "carrot", "food"), (58, "hot dog", "food"),
    (59, "pizza", "food"), (60, "donut", "food"), (61, "cake", "food"),
    (62, "chair", "furniture"), (63, "couch", "furniture"), (64, "potted plant", "furniture"),
    (65, "bed", "furniture"), (67, "dining table", "furniture"), (70, "toilet", "furniture"),
    (72, "tv", "electronic"), (73, "laptop", "electronic"), (74, "mouse", "electronic"),
    (75, "remote", "electronic"), (76, "keyboard", "electronic"), (77, "cell phone", "electronic"),
    (78, "microwave", "appliance"), (79, "oven", "appliance"), (80, "toaster", "appliance"),
    (81, "sink", "appliance"), (82, "refrigerator", "appliance"), (84, "book", "indoor"),
    (85, "clock", "indoor"), (86, "vase", "indoor"), (87, "scissors", "indoor"),
    (88, "teddy bear", "indoor"), (89, "hair drier", "indoor"), (90, "toothbrush", "indoor"),
]
assert len(COCO_CATEGORIES) == 80

# Rough relative instance frequencies (person ~30 % of COCO's instances, a
# handful of frequent categories, a long tail); the rest get a seeded draw.
FREQUENT = {"person": 30.0, "car": 5.0, "chair": 5.0, "book": 3.5, "bottle": 2.8,
            "cup": 2.4, "dining table": 2.0, "bowl": 1.8, "traffic light": 1.7,
            "handbag": 1.5, "umbrella": 1.4, "boat": 1.4, "bird": 1.2, "truck": 1.2}

SMALL_MAX, MEDIUM_MAX = 32 ** 2, 96 ** 2
AREA_MIX = (0.41, 0.34, 0.25)        # COCO val2017 instance areas: small, medium, large
MEAN_INSTANCES = 7.36                # 36,781 instances / 5,000 images
P_EMPTY_IMAGE = 0.0096               # 48 of 5,000 val2017 images have no annotation
P_CROWD = 0.0105                     # ~1 % of the instances are crowd regions

# (width, height, weight): COCO val's long side is 640 for nearly all images.
IMAGE_SIZES = [
    (640, 480, 0.38), (640, 427, 0.19), (640, 428, 0.03), (640, 426, 0.03),
    (640, 425, 0.03), (640, 424, 0.02), (640, 360, 0.03), (640, 512, 0.01),
    (640, 640, 0.01), (480, 640, 0.13), (427, 640, 0.07), (428, 640, 0.01),
    (426, 640, 0.01), (425, 640, 0.01), (424, 640, 0.01), (612, 612, 0.005),
    (500, 375, 0.005),
]
P_OTHER_SIZE = 0.03                  # the rest: random size, long side <= 640


# ----------------------------------------------------------------------------
# Dataset skeleton (one global Generator)
# ----------------------------------------------------------------------------

def make_skeleton(seed, n_images):
    rng = np.random.default_rng([seed, 0])
    ids = np.sort(rng.choice(np.arange(1, 581930), size=n_images, replace=False))
    sizes = np.array([(w, h) for w, h, _ in IMAGE_SIZES])
    weights = np.array([p for _, _, p in IMAGE_SIZES])
    weights = weights / weights.sum()
    images = []
    for iid in ids:
        if rng.random() < P_OTHER_SIZE:
            long = int(rng.integers(240, 641))
            short = int(rng.integers(max(120, long // 3), long + 1))
            w, h = (long, short) if rng.random() < 0.7 else (short, long)
        else:
            w, h = sizes[rng.choice(len(sizes), p=weights)]
        images.append({"license": int(rng.integers(1, 9)),
                       "file_name": "%012d.jpg" % iid,
                       "coco_url": "http://images.cocodataset.org/val2017/%012d.jpg" % iid,
                       "height": int(h), "width": int(w),
                       "date_captured": "2013-11-%02d %02d:%02d:%02d" % (
                           rng.integers(14, 25), rng.integers(0, 24), rng.integers(0, 60),
                           rng.integers(0, 60)),
                       "id": int(iid)})
    cat_w = np.array([FREQUENT.get(name, 0.0) for _, name, _ in COCO_CATEGORIES])
    tail = cat_w == 0
    cat_w[tail] = np.exp(rng.uniform(np.log(0.15), np.log(1.2), tail.sum()))
    cat_w /= cat_w.sum()
    categories = [{"supercategory": s, "id": c, "name": n} for c, n, s in COCO_CATEGORIES]
    return images, categories, cat_w


# ----------------------------------------------------------------------------
# Shapes
# ----------------------------------------------------------------------------

def n_vertices(rng, area):
    """COCO-like vertex counts: ~10 for tiny objects, 30-40 medium, 60-100 large."""
    n = (4.0 + 2.5 * max(area, 4.0) ** 0.3) * math.exp(rng.normal(0.0, 0.25))
    return int(min(max(round(n), 4), 160))


def blob(rng, cx, cy, area, n, aspect=None, rough=1.0):
    """A smooth star-shaped polygon (n x 2 float array) of about the given area."""
    t = np.sort(rng.uniform(0, 2 * np.pi, n)) if n > 8 else np.linspace(0, 2 * np.pi, n, endpoint=False)
    t = t + rng.uniform(0, 2 * np.pi)
    r = np.ones(n)
    for k in range(2, 6):
        r += rough * rng.uniform(0, 0.22 / math.sqrt(k)) * np.cos(k * t + rng.uniform(0, 2 * np.pi))
    r = np.maximum(r, 0.25)
    a = aspect if aspect is not None else math.exp(rng.normal(0.0, 0.45))
    rot = rng.uniform(0, np.pi)
    x, y = r * np.cos(t) * math.sqrt(a), r * np.sin(t) / math.sqrt(a)
    xr, yr = x * math.cos(rot) - y * math.sin(rot), x * math.sin(rot) + y * math.cos(rot)
    pts = np.stack([xr, yr], axis=1)
    unit = shoelace(pts)
    s = math.sqrt(area / unit) if unit > 0 else 1.0
    return pts * s + np.array([cx, cy])


def shoelace(pts):
    x, y = pts[:, 0], pts[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2.0


def clip_pts(pts, w, h):
    out = pts.copy()
    np.clip(out[:, 0], 0.0, w, out=out[:, 0])
    np.clip(out[:, 1], 0.0, h, out=out[:, 1])
    return out


def draw_area(rng, cls, W, H):
    if cls == 0:
        return math.exp(rng.uniform(math.log(10), math.log(SMALL_MAX)))
    if cls == 1:
        return math.exp(rng.uniform(math.log(SMALL_MAX), math.log(MEDIUM_MAX)))
    top = max(MEDIUM_MAX * 1.5, 0.55 * W * H)
    return math.exp(rng.uniform(math.log(MEDIUM_MAX), math.log(top)))


def place_center(rng, W, H, area):
    r = math.sqrt(area) / 2
    mx, my = min(r * 0.8, W / 2), min(r * 0.8, H / 2)
    return rng.uniform(mx, W - mx), rng.uniform(my, H - my)


def make_object(rng, W, H, cls):
    """GT polygon parts (list of n x 2 arrays, inside the image) for one object."""
    for _ in range(20):
        area = draw_area(rng, cls, W, H)
        cx, cy = place_center(rng, W, H, area)
        u = rng.random()
        n_parts = 1 if u < 0.85 else (2 if u < 0.96 else 3)
        if cls == 0:
            n_parts = 1 if u < 0.95 else 2
        main_area = area if n_parts == 1 else area * rng.uniform(0.5, 0.8)
        parts = [blob(rng, cx, cy, main_area, n_vertices(rng, main_area))]
        rest = area - main_area
        for j in range(n_parts - 1):
            pa = rest / (n_parts - 1)
            d = math.sqrt(main_area) * rng.uniform(0.6, 1.0)
            ang = rng.uniform(0, 2 * np.pi)
            parts.append(blob(rng, cx + d * math.cos(ang), cy + d * math.sin(ang), pa,
                              n_vertices(rng, pa)))
        parts = [clip_pts(p, W, H) for p in parts]
        parts = [np.round(p, 2) for p in parts]
        parts = [p for p in parts if shoelace(p) > 1.0]
        if parts:
            return parts
    return parts


def parts_area(parts):
    return sum(shoelace(p) for p in parts)


def parts_bbox(parts):
    allp = np.concatenate(parts)
    x0, y0 = allp.min(axis=0)
    x1, y1 = allp.max(axis=0)
    return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]


def rle_of_parts(parts, h, w):
    """Compressed RLE (pycocotools dict, counts bytes) of the union of the parts."""
    polys = [p.ravel().tolist() for p in parts if len(p) >= 3]
    if not polys:
        return mask_utils.frPyObjects({"size": [h, w], "counts": [h * w]}, h, w)
    rles = mask_utils.frPyObjects(polys, h, w)
    return rles[0] if len(rles) == 1 else mask_utils.merge(rles)


def uncompressed_counts(rle):
    """Uncompressed (column-major run list) form of a compressed RLE."""
    m = mask_utils.decode(rle)
    flat = m.ravel(order="F")
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs = np.diff(bounds).tolist()
    if flat[0]:
        runs.insert(0, 0)
    return runs


# ----------------------------------------------------------------------------
# Detections
# ----------------------------------------------------------------------------

def f32(v):
    """A float as detectron2 writes a float32 tensor value: repr of float(np.float32(v))."""
    return repr(float(np.float32(v)))


def jitter_parts(rng, parts, bbox, err, W, H):
    """The object's polygon shifted, rescaled and eroded/dilated by error level err."""
    bx, by, bw, bh = bbox
    size = math.sqrt(max(bw * bh, 1.0))
    c = np.array([bx + bw / 2, by + bh / 2])
    sx, sy = math.exp(rng.normal(0, err)), math.exp(rng.normal(0, err))
    shift = np.array([rng.normal(0, err) * bw, rng.normal(0, err) * bh])
    grow = rng.normal(0, err * 0.35) * size          # radial offset: dilation > 0, erosion < 0
    out = []
    for p in parts:
        q = (p - c) * np.array([sx, sy]) + c + shift
        v = q - q.mean(axis=0)
        norm = np.maximum(np.hypot(v[:, 0], v[:, 1]), 1e-6)
        q = q + v / norm[:, None] * grow
        q = q + rng.normal(0, 0.15 + err * 0.04 * size, q.shape)   # boundary noise
        out.append(clip_pts(q, W, H))
    return out


def det_box(rng, parts, W, H, err):
    """The box head's box: the mask extent with some independent noise, clipped."""
    allp = np.concatenate(parts)
    x0, y0 = allp.min(axis=0)
    x1, y1 = allp.max(axis=0)
    bw, bh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    s = 0.03 + 0.3 * err
    x0 += rng.normal(0, s * 0.5) * bw
    x1 += rng.normal(0, s * 0.5) * bw
    y0 += rng.normal(0, s * 0.5) * bh
    y1 += rng.normal(0, s * 0.5) * bh
    x0, x1 = sorted((min(max(x0, 0.0), W), min(max(x1, 0.0), W)))
    y0, y1 = sorted((min(max(y0, 0.0), H), min(max(y1, 0.0), H)))
    return [x0, y0, max(x1 - x0, 0.5), max(y1 - y0, 0.5)]


def gen_image(args):
    """GT annotations and result strings of one image (pure function of args)."""
    seed, idx, img, cat_w, cat_ids, supers, dets_per_image = args
    rng = np.random.default_rng([seed, 1, idx])
    W, H = img["width"], img["height"]
    n_cats = len(cat_ids)

    # -- ground truth ---------------------------------------------------------
    if rng.random() < P_EMPTY_IMAGE:
        n_obj = 0
    else:
        r = 1.1
        mean = MEAN_INSTANCES / (1 - P_EMPTY_IMAGE) - 1
        n_obj = 1 + min(int(rng.negative_binomial(r, r / (r + mean))), 90)
    n_scene = 1 + min(int(rng.geometric(0.45)) - 1, 5)
    scene = rng.choice(n_cats, size=n_scene, replace=False, p=cat_w)
    sw = cat_w[scene] * np.exp(rng.normal(0, 0.8, n_scene))
    sw /= sw.sum()
    anns = []
    objs = []                 # (parts, bbox, cat index, area class, crowd)
    for _ in range(n_obj):
        ci = int(scene[rng.choice(n_scene, p=sw)])
        if rng.random() < P_CROWD:
            # Crowd region: a union of several blobs, stored as uncompressed RLE.
            ci = 0 if rng.random() < 0.8 else ci
            area = math.exp(rng.uniform(math.log(1500), math.log(max(3000, 0.45 * W * H))))
            cx, cy = place_center(rng, W, H, area)
            k = int(rng.integers(3, 9))
            parts = [clip_pts(blob(rng, cx + rng.normal(0, math.sqrt(area) / 3),
                                   cy + rng.normal(0, math.sqrt(area) / 4), area / k,
                                   n_vertices(rng, area / k)), W, H) for _ in range(k)]
            rle = rle_of_parts(parts, H, W)
            m_area = int(mask_utils.area(rle))
            if m_area == 0:
                continue
            bb = [float(v) for v in mask_utils.toBbox(rle)]
            anns.append({"segmentation": {"counts": uncompressed_counts(rle), "size": [H, W]},
                         "area": m_area, "iscrowd": 1, "image_id": img["id"],
                         "bbox": bb, "category_id": int(cat_ids[ci])})
            objs.append((parts, bb, ci, 2, True))
            continue
        cls = int(rng.choice(3, p=AREA_MIX))
        parts = make_object(rng, W, H, cls)
        if not parts:
            continue
        area = round(parts_area(parts), 5)
        bb = [round(v, 2) for v in parts_bbox(parts)]
        anns.append({"segmentation": [p.ravel().tolist() for p in parts], "area": area,
                     "iscrowd": 0, "image_id": img["id"], "bbox": bb,
                     "category_id": int(cat_ids[ci])})
        a_cls = 0 if area < SMALL_MAX else (1 if area < MEDIUM_MAX else 2)
        objs.append((parts, bb, ci, a_cls, False))

    # -- detections -------------------------------------------------------------
    # candidate: (score, cat index, parts, err)
    cands = []
    p_found = (0.62, 0.86, 0.94)
    err_scale = (0.19, 0.10, 0.07)
    for parts, bb, ci, a_cls, crowd in objs:
        if crowd:
            # a few detections inside crowd regions (they are ignored, not FPs)
            for _ in range(int(rng.integers(0, 4))):
                sub = [parts[int(rng.integers(len(parts)))]]
                cands.append((rng.uniform(0.05, 0.8), ci, sub, 0.1))
            continue
        if rng.random() < p_found[a_cls]:
            err = abs(rng.normal(0, err_scale[a_cls])) + 0.01
            q = max(0.0, 1.0 - err / (3.2 * err_scale[a_cls]))
            score = 0.05 + 0.94 * (0.35 + 0.65 * q) * rng.uniform(0.55, 1.0)
            cands.append((score, ci, jitter_parts(rng, parts, bb, err, W, H), err))
            for _ in range(int(rng.poisson(1.3))):          # poorer duplicates
                e2 = err + abs(rng.normal(0, 0.12)) + 0.04
                cands.append((0.05 + (score - 0.05) * rng.uniform(0.1, 0.6), ci,
                              jitter_parts(rng, parts, bb, e2, W, H), e2))
            if rng.random() < 0.25:                          # confusable category
                same = [j for j in range(n_cats) if supers[j] == supers[ci] and j != ci]
                cj = int(rng.choice(same)) if same and rng.random() < 0.7 else int(rng.integers(n_cats))
                cands.append((0.05 + (score - 0.05) * rng.uniform(0.1, 0.7), cj,
                              jitter_parts(rng, parts, bb, err, W, H), err))
        else:
            # missed: at best a badly localised, low-score detection
            if rng.random() < 0.5:
                e2 = 0.2 + abs(rng.normal(0, 0.2))
                cands.append((rng.uniform(0.05, 0.3), ci, jitter_parts(rng, parts, bb, e2, W, H), e2))
    n_keep = dets_per_image if rng.random() < 0.9 else int(rng.integers(dets_per_image // 2, dets_per_image + 1))
    n_fp = max(0, n_keep - len(cands))
    for _ in range(n_fp):
        ci = int(rng.choice(n_cats, p=cat_w)) if rng.random() < 0.7 else int(scene[rng.integers(n_scene)])
        if objs and rng.random() < 0.4:
            # poorly localised blob on or next to an object
            parts, bb, _, _, _ = objs[int(rng.integers(len(objs)))]
            e2 = 0.3 + abs(rng.normal(0, 0.3))
            cands.append((0.05 + 0.45 * rng.beta(1.0, 5.0), ci, jitter_parts(rng, parts, bb, e2, W, H), e2))
        else:
            cls = int(rng.choice(3, p=(0.5, 0.35, 0.15)))
            area = draw_area(rng, cls, W, H)
            cx, cy = place_center(rng, W, H, area)
            parts = [np.round(clip_pts(blob(rng, cx, cy, area, n_vertices(rng, area)), W, H), 2)]
            cands.append((0.05 + 0.5 * rng.beta(1.0, 6.0), ci, parts, 0.5))
    cands.sort(key=lambda c: -c[0])
    cands = cands[:n_keep]

    segm_lines, bbox_lines = [], []
    for score, ci, parts, err in cands:
        box = det_box(rng, parts, W, H, err)
        rle = rle_of_parts([p.round(2) for p in parts], H, W)
        counts = rle["counts"].decode("ascii").replace("\\", "\\\\")
        head = '{"image_id":%d,"category_id":%d,"bbox":[%s,%s,%s,%s],"score":%s' % (
            img["id"], cat_ids[ci], f32(box[0]), f32(box[1]), f32(box[2]), f32(box[3]),
            f32(min(score, 0.9999)))
        bbox_lines.append(head + "}")
        segm_lines.append(head + ',"segmentation":{"size":[%d,%d],"counts":"%s"}}' % (H, W, counts))
    return anns, segm_lines, bbox_lines


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------

def human(n):
    return "%.1f MB (%d bytes)" % (n / 1e6, n)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--dets-per-image", type=int, default=100)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="processes (the output does not depend on it)")
    args = ap.parse_args(argv)

    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    images, categories, cat_w = make_skeleton(args.seed, args.images)
    cat_ids = [c["id"] for c in categories]
    supers = [c["supercategory"] for c in categories]
    jobs = [(args.seed, i, img, cat_w, cat_ids, supers, args.dets_per_image)
            for i, img in enumerate(images)]

    anns = []
    seg_path = os.path.join(args.out, "dt_segm.json")
    box_path = os.path.join(args.out, "dt_bbox.json")
    n_res = 0
    with open(seg_path, "w") as fs, open(box_path, "w") as fb:
        fs.write("[")
        fb.write("[")
        first = True
        if args.workers > 1:
            pool = Pool(args.workers)
            it = pool.imap(gen_image, jobs, chunksize=25)
        else:
            pool = None
            it = map(gen_image, jobs)
        for img_anns, segm_lines, bbox_lines in it:
            anns.extend(img_anns)
            if segm_lines:
                if not first:
                    fs.write(",")
                    fb.write(",")
                fs.write(",".join(segm_lines))
                fb.write(",".join(bbox_lines))
                first = False
                n_res += len(segm_lines)
        if pool is not None:
            pool.close()
            pool.join()
        fs.write("]")
        fb.write("]")
    for i, a in enumerate(anns):
        a["id"] = i + 1
    gt = {"info": {"description": "maskeval synthetic COCO val2017-scale benchmark set",
                   "version": "1.0", "year": 2017,
                   "contributor": "tests/bench/coco/gen_coco_val.py seed %d" % args.seed,
                   "date_created": "2017/09/01"},
          "licenses": [{"url": "http://creativecommons.org/licenses/by/2.0/", "id": i,
                        "name": "Attribution License"} for i in range(1, 9)],
          "images": images, "annotations": anns, "categories": categories}
    gt_path = os.path.join(args.out, "gt.json")
    with open(gt_path, "w") as f:
        json.dump(gt, f, separators=(",", ":"))
    elapsed = time.time() - t0

    # -- summary ----------------------------------------------------------------
    n_crowd = sum(a["iscrowd"] for a in anns)
    areas = np.array([a["area"] for a in anns if not a["iscrowd"]], dtype=float)
    mix = [float(np.mean(areas < SMALL_MAX)), float(np.mean((areas >= SMALL_MAX) & (areas < MEDIUM_MAX))),
           float(np.mean(areas >= MEDIUM_MAX))] if areas.size else [0, 0, 0]
    polys = [a["segmentation"] for a in anns if not a["iscrowd"]]
    nparts = np.array([len(s) for s in polys])
    nverts = np.array([len(p) // 2 for s in polys for p in s])
    img_with = len({a["image_id"] for a in anns})
    sizes = {}
    for im in images:
        k = "%dx%d" % (im["width"], im["height"])
        sizes[k] = sizes.get(k, 0) + 1
    top_sizes = sorted(sizes.items(), key=lambda kv: -kv[1])[:6]
    summary = {
        "seed": args.seed, "images": len(images), "images_with_gt": img_with,
        "categories": len(categories), "gt_instances": len(anns), "gt_crowd": n_crowd,
        "area_mix_small_medium_large": [round(x, 4) for x in mix],
        "polygon_parts": {str(k): int((nparts == k).sum()) for k in (1, 2, 3)},
        "vertices_per_polygon_median": float(np.median(nverts)) if nverts.size else 0,
        "vertices_per_polygon_p90": float(np.percentile(nverts, 90)) if nverts.size else 0,
        "results": n_res, "results_per_image": n_res / max(1, len(images)),
        "files": {os.path.basename(p): os.path.getsize(p) for p in (gt_path, seg_path, box_path)},
        "top_image_sizes": top_sizes,
        "seconds": round(elapsed, 1), "workers": args.workers,
    }
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("gen_coco_val: seed %d, %d workers, %.1f s" % (args.seed, args.workers, elapsed))
    print("  images       %d (%d with GT), sizes: %s" % (
        len(images), img_with, ", ".join("%s %d" % kv for kv in top_sizes)))
    print("  categories   %d (COCO ids 1..90)" % len(categories))
    print("  GT instances %d (%d crowd, uncompressed RLE); %.2f per image" % (
        len(anns), n_crowd, len(anns) / max(1, len(images))))
    print("  area mix     small %.1f%%  medium %.1f%%  large %.1f%% (non-crowd, by GT area)" % tuple(100 * x for x in mix))
    print("  polygons     parts 1/2/3: %s; vertices per polygon median %g, p90 %g" % (
        "/".join(str(summary["polygon_parts"][k]) for k in ("1", "2", "3")),
        summary["vertices_per_polygon_median"], summary["vertices_per_polygon_p90"]))
    print("  results      %d (%.1f per image), compressed RLE + bbox + score" % (n_res, summary["results_per_image"]))
    for name, size in summary["files"].items():
        print("  %-12s %s" % (name, human(size)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
