#!/usr/bin/env python3
"""Fixed-seed generator of an LVIS-v1-val-sized benchmark set.

    gen_lvis_scale.py --out DIR [--seed 1203] [--images 19809] [--dets-per-image 300]
                      [--mean-gt 64] [--workers N] [--chunk 64]

writes

    DIR/gt.json        LVIS v1-style ground truth: --images images (19809 = LVIS v1
                       val), 1203 categories with LVIS v1's split (337 r, 461 c,
                       405 f; `frequency`, `image_count`, `instance_count`,
                       `synset`, ...), annotations as polygons with `area` and
                       `bbox` (~64 per image on average, strongly skewed), every
                       image with `neg_category_ids` and
                       `not_exhaustive_category_ids`
    DIR/dt_segm.json   results array as detectron2 writes it: --dets-per-image
                       results per image, each with `bbox`, `score` and a
                       compressed-RLE `segmentation` of the image's size
    DIR/dt_bbox.json   the same results without `segmentation`
    DIR/summary.json   counts, file sizes, timings (also printed)

Scale: the defaults give ~1.27M GT instances and 5.94M results (the brief's
"LVIS-v1 sized" target; note that the real LVIS v1 *val* holds ~245k instances,
~12.4 per image: `--mean-gt 12.4` gives that density instead).

What the data looks like
------------------------
Images: COCO / LVIS sizes (long side 640, 640x480 and 640x427 most common, a
quarter portrait). Categories are ids 1..1203; their r / c / f tier is a fixed
seeded permutation. Each image gets 1 + NB categories (mean ~7.5) drawn by a
Zipf-like popularity inside each tier (f >> c >> r), each category with a
skewed instance count (1 + negative binomial, so a few (image, category) pairs
carry dozens of instances -- the "bunch of bananas" case); ~0.5 % of images
have no annotation at all. Objects are smooth random blobs (an ellipse with a
few harmonics) whose size shrinks with the number of instances of their
category, LVIS-like mix of small / medium / large. neg_category_ids: ~Poisson(6)
categories absent from the image; not_exhaustive_category_ids: each present
category with probability 0.1.

Results imitate a Mask R-CNN-style LVIS model: each GT is found with a
probability that grows with its size and falls with its tier (r < c < f); the
main detection is the GT blob shifted / rescaled / deformed by an error level
drawn per object, with a score correlated with that error; some near-duplicates
at lower scores; confusions with another category (another category of the
image, or a random one); false positives in the image's negative categories
(these count), in categories neither present nor negative (dropped by the
federated filter) and filler false positives near objects or at random. Each
image keeps its --dets-per-image best-scoring results (exactly that many),
sorted by score. Masks are rasterised from the detection polygons with
pycocotools.mask.frPyObjects (C), so they are valid RLEs of [height, width]
by construction; an empty mask is replaced by the RLE of its box. The segm
results carry the detection's box as `bbox` (as detectron2 writes them; lvis-api
then takes the box area as the result's area, spec lvis.md 2.4). No result has
w*h <= 0 (those are where hotcoco / faster-coco-eval differ from lvis-api,
spec 8.1-8.2), and no image has more than --dets-per-image results unless
--over-cap-frac is given.

Determinism: the skeleton (categories, image sizes, per-image category lists)
comes from one Generator seeded with --seed; every image's geometry and results
from its own Generator seeded with (seed, image index), so the files do not
depend on --workers or --chunk.
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

N_CATS = 1203
N_RARE, N_COMMON, N_FREQ = 337, 461, 405
assert N_RARE + N_COMMON + N_FREQ == N_CATS

IMAGE_SIZES = [
    (640, 480, 0.40), (640, 427, 0.20), (640, 426, 0.04), (640, 428, 0.04),
    (640, 360, 0.04), (640, 640, 0.02), (480, 640, 0.14), (427, 640, 0.08),
    (612, 612, 0.02), (500, 375, 0.02),
]
P_EMPTY_IMAGE = 0.005
MEAN_CATS_PER_IMAGE = 7.5


# ----------------------------------------------------------------------------
# Skeleton (one Generator for everything global)
# ----------------------------------------------------------------------------

def make_categories(rng):
    tiers = np.array(["r"] * N_RARE + ["c"] * N_COMMON + ["f"] * N_FREQ)
    tiers = tiers[rng.permutation(N_CATS)]
    # Popularity inside each tier: Zipf-like over a seeded order.
    weight = np.empty(N_CATS)
    image_count = np.empty(N_CATS, dtype=np.int64)
    for t, base, lo, hi in (("r", 0.05, 1, 9), ("c", 0.6, 10, 99), ("f", 8.0, 100, 4000)):
        idx = np.flatnonzero(tiers == t)
        rank = rng.permutation(len(idx)) + 1
        weight[idx] = base * rank ** -0.7 * len(idx) ** 0.7 / 3.0
        ic = np.exp(rng.uniform(np.log(lo), np.log(hi + 1), len(idx))).astype(np.int64)
        image_count[idx] = np.clip(ic, lo, hi)
    cats = []
    for k in range(N_CATS):
        cid = k + 1
        cats.append({"id": cid, "name": "category_%04d" % cid,
                     "synset": "category_%04d.n.01" % cid,
                     "synonyms": ["category_%04d" % cid],
                     "def": "synthetic category %d" % cid,
                     "frequency": str(tiers[k]), "image_count": int(image_count[k]),
                     "instance_count": int(image_count[k] * (1 + k % 7))})
    return cats, tiers, weight / weight.sum()


def make_skeleton(seed, n_images, mean_gt):
    rng = np.random.default_rng([seed, 0])
    cats, tiers, cat_p = make_categories(rng)
    ids = np.sort(rng.choice(np.arange(1, 581930), size=n_images, replace=False))
    sizes = np.array([(w, h) for w, h, _ in IMAGE_SIZES])
    sp = np.array([p for _, _, p in IMAGE_SIZES])
    sp /= sp.sum()
    size_idx = rng.choice(len(sizes), size=n_images, p=sp)
    # Categories per image: 1 + NB(mean 6.5); instances per category 1 + NB(r=0.45).
    n_cats = 1 + rng.negative_binomial(2.0, 2.0 / (2.0 + MEAN_CATS_PER_IMAGE - 1), n_images)
    n_cats = np.minimum(n_cats, 60)
    per_cat_mean = max(mean_gt / MEAN_CATS_PER_IMAGE - 1.0, 0.0)
    r = 0.45
    images, skel = [], []
    ann_id = 1
    neg_p = np.sqrt(cat_p)
    neg_p /= neg_p.sum()
    for i in range(n_images):
        w, h = (int(v) for v in sizes[size_idx[i]])
        if rng.random() < P_EMPTY_IMAGE:
            present, counts = np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            present = rng.choice(N_CATS, size=int(n_cats[i]), replace=False, p=cat_p)
            if per_cat_mean > 0:
                counts = 1 + rng.negative_binomial(r, r / (r + per_cat_mean), len(present))
            else:
                counts = np.ones(len(present), np.int64)
            counts = np.minimum(counts, 400)
        # Negative categories: absent ones, popularity^0.5.
        n_neg = int(rng.poisson(6.0))
        neg = rng.choice(N_CATS, size=n_neg + len(present), replace=False, p=neg_p)
        neg = [int(c) for c in neg if c not in set(present.tolist())][:n_neg]
        nel = [int(c) for c in present if rng.random() < 0.1]
        iid = int(ids[i])
        images.append({"id": iid, "width": w, "height": h,
                       "file_name": "%012d.jpg" % iid,
                       "coco_url": "http://images.cocodataset.org/val2017/%012d.jpg" % iid,
                       "neg_category_ids": sorted(c + 1 for c in neg),
                       "not_exhaustive_category_ids": sorted(c + 1 for c in nel)})
        skel.append({"index": i, "id": iid, "w": w, "h": h,
                     "present": present.astype(np.int64), "counts": counts.astype(np.int64),
                     "neg": np.array(neg, np.int64), "ann_id0": ann_id})
        ann_id += int(counts.sum())
    return cats, tiers, cat_p, images, skel


# ----------------------------------------------------------------------------
# Per image (own Generator)
# ----------------------------------------------------------------------------

SMALL, MEDIUM = 32 ** 2, 96 ** 2
TIER_DETECT = {"r": 0.45, "c": 0.7, "f": 0.9}


def blobs(rng, cx, cy, bw, bh, n, rough):
    """Polygons (M, n, 2): ellipse of half-axes bw/2, bh/2 with harmonics."""
    m = len(cx)
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)[None, :] + rng.uniform(0, 2 * np.pi, (m, 1))
    rad = np.ones((m, n))
    for k in (2, 3, 5):
        amp = rng.uniform(0, 0.12, (m, 1)) * rough[:, None] / k ** 0.5
        ph = rng.uniform(0, 2 * np.pi, (m, 1))
        rad += amp * np.cos(k * t + ph)
    rot = rng.uniform(-0.4, 0.4, (m, 1))
    x = rad * np.cos(t) * (bw[:, None] / 2)
    y = rad * np.sin(t) * (bh[:, None] / 2)
    xr = x * np.cos(rot) - y * np.sin(rot)
    yr = x * np.sin(rot) + y * np.cos(rot)
    return cx[:, None] + xr, cy[:, None] + yr


def clip_poly(x, y, w, h):
    return np.clip(x, 0.0, float(w)), np.clip(y, 0.0, float(h))


def shoelace(x, y):
    return 0.5 * np.abs(np.sum(x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y, axis=1))


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def gen_image(task):
    seed, s, n_dets, over_cap_frac, tiers = task
    rng = np.random.default_rng([seed, 1, s["index"]])
    W, H = s["w"], s["h"]
    iid = s["id"]
    present, counts = s["present"], s["counts"]
    G = int(counts.sum())
    cat_of = np.repeat(present, counts)                 # 0-based category per GT
    grp_n = np.repeat(counts, counts).astype(np.float64)
    # Sizes: log-uniform area, shrinking with the group's instance count.
    img_area = float(W * H)
    hi = np.log(img_area * 0.45 / grp_n ** 0.85)
    lo = np.log(12.0)
    hi = np.maximum(hi, lo + 0.5)
    area = np.exp(rng.uniform(lo + 1.3, np.maximum(hi, lo + 1.8)))
    area = np.clip(area, 10.0, img_area * 0.8)
    aspect = np.exp(rng.normal(0.0, 0.45, G))
    bw = np.minimum(np.sqrt(area * aspect), W * 0.98)
    bh = np.minimum(np.sqrt(area / aspect), H * 0.98)
    bw, bh = np.maximum(bw, 3.0), np.maximum(bh, 3.0)
    # Instances of one category cluster a bit.
    cx = rng.uniform(bw / 2, W - bw / 2)
    cy = rng.uniform(bh / 2, H - bh / 2)
    n_v = np.clip((6 + 2.2 * np.sqrt(bw * bh) ** 0.5).astype(int), 8, 40)
    ann_txt = []
    g_box = np.zeros((G, 4))
    for nv in np.unique(n_v) if G else []:
        sel = np.flatnonzero(n_v == nv)
        x, y = blobs(rng, cx[sel], cy[sel], bw[sel], bh[sel], int(nv), np.ones(len(sel)))
        x, y = clip_poly(x, y, W, H)
        x, y = np.round(x, 2), np.round(y, 2)
        a = np.round(shoelace(x, y), 2)
        x0, y0 = x.min(1), y.min(1)
        g_box[sel] = np.stack([x0, y0, x.max(1) - x0, y.max(1) - y0], 1)
        poly = np.stack([x, y], 2).reshape(len(sel), -1).tolist()
        for j, gi in enumerate(sel):
            ann_txt.append((int(gi), {
                "id": s["ann_id0"] + int(gi), "image_id": iid, "category_id": int(cat_of[gi]) + 1,
                "segmentation": [poly[j]], "area": max(float(a[j]), 1.0),
                "bbox": [round(float(v), 2) for v in g_box[gi]]}))
    ann_txt.sort(key=lambda t: t[0])
    gt_json = ",".join(json.dumps(a, separators=(",", ":")) for _, a in ann_txt)
    gx, gy, gw, gh = (g_box[:, 0] + g_box[:, 2] / 2, g_box[:, 1] + g_box[:, 3] / 2,
                      np.maximum(g_box[:, 2], 2.0), np.maximum(g_box[:, 3], 2.0))

    # ---- detections: (cx, cy, w, h, category, score, rough) rows -------------
    rows = []
    if G:
        tier = tiers[cat_of]
        p_det = np.where(area < SMALL, 0.55, np.where(area < MEDIUM, 0.85, 0.95))
        p_det = p_det * np.vectorize(TIER_DETECT.get)(tier)
        found = rng.random(G) < p_det
        err = np.exp(rng.normal(np.log(0.08), 0.6, G)) * np.where(area < SMALL, 1.8, 1.0)
        # Main detections.
        idx = np.flatnonzero(found)
        cat = cat_of[idx].copy()
        conf = rng.random(len(idx)) < np.where(tier[idx] == "r", 0.25, 0.1)
        if conf.any():
            alt_img = present[rng.integers(0, len(present), conf.sum())]
            alt_rand = rng.integers(0, N_CATS, conf.sum())
            cat[conf] = np.where(rng.random(conf.sum()) < 0.5, alt_img, alt_rand)
        e = err[idx]
        score = 1 / (1 + np.exp(-(3.0 - 18.0 * e + rng.normal(0, 0.8, len(idx)))))
        score = np.where(conf, score * 0.6, score)
        rows.append((idx, e, cat, score))
        # Duplicates (one or two, worse and lower).
        dup = idx[rng.random(len(idx)) < 0.35]
        dup = np.concatenate([dup, dup[rng.random(len(dup)) < 0.3]])
        if len(dup):
            e2 = err[dup] * rng.uniform(1.5, 4.0, len(dup))
            sc2 = 1 / (1 + np.exp(-(1.5 - 14.0 * e2 + rng.normal(0, 0.8, len(dup)))))
            rows.append((dup, e2, cat_of[dup], sc2))
    n_main = sum(len(r[0]) for r in rows)
    extra = []
    # False positives in negative categories (they count) ...
    neg = s["neg"]
    if len(neg):
        k = rng.poisson(1.5, len(neg))
        extra.append((np.repeat(neg, k), rng.beta(1.5, 5.0, int(k.sum())) * 0.7))
    # ... in categories neither present nor negative (federated filter drops them).
    k_other = int(rng.poisson(25))
    extra.append((rng.integers(0, N_CATS, k_other), rng.beta(1.5, 4.0, k_other) * 0.8))
    over = int(rng.integers(1, 40)) if rng.random() < over_cap_frac else 0
    cap = n_dets + over
    n_fill = max(cap - n_main - sum(len(e[0]) for e in extra), 0)
    if n_fill:
        # Filler: the image's categories (60 %) or any category, low scores.
        if len(present):
            cf = np.where(rng.random(n_fill) < 0.6, present[rng.integers(0, len(present), n_fill)],
                          rng.integers(0, N_CATS, n_fill))
        else:
            cf = rng.integers(0, N_CATS, n_fill)
        extra.append((cf, rng.beta(1.2, 8.0, n_fill) * 0.6))

    # Geometry of every detection.
    parts_cx, parts_cy, parts_w, parts_h, parts_cat, parts_sc, parts_rough = [], [], [], [], [], [], []
    for gi, e, cat, sc in rows:
        parts_cx.append(gx[gi] + rng.normal(0, 1, len(gi)) * e * gw[gi])
        parts_cy.append(gy[gi] + rng.normal(0, 1, len(gi)) * e * gh[gi])
        parts_w.append(gw[gi] * np.exp(rng.normal(0, 1, len(gi)) * e))
        parts_h.append(gh[gi] * np.exp(rng.normal(0, 1, len(gi)) * e))
        parts_cat.append(cat)
        parts_sc.append(sc)
        parts_rough.append(1.0 + 4.0 * e)
    for cat, sc in extra:
        m = len(cat)
        near = (rng.random(m) < 0.6) & (G > 0)
        gi = rng.integers(0, max(G, 1), m)
        bw_r = np.exp(rng.uniform(np.log(6), np.log(0.6 * min(W, H)), m))
        bh_r = bw_r * np.exp(rng.normal(0, 0.4, m))
        if G:
            e = rng.uniform(0.3, 1.2, m)
            ncx = gx[gi] + rng.normal(0, 1, m) * e * gw[gi]
            ncy = gy[gi] + rng.normal(0, 1, m) * e * gh[gi]
            nw = gw[gi] * np.exp(rng.normal(0, 0.6, m))
            nh = gh[gi] * np.exp(rng.normal(0, 0.6, m))
        else:
            ncx = ncy = nw = nh = np.zeros(m)
        parts_cx.append(np.where(near, ncx, rng.uniform(0, W, m)))
        parts_cy.append(np.where(near, ncy, rng.uniform(0, H, m)))
        parts_w.append(np.where(near, nw, bw_r))
        parts_h.append(np.where(near, nh, bh_r))
        parts_cat.append(cat)
        parts_sc.append(sc)
        parts_rough.append(np.full(m, 2.5))
    dcx, dcy = np.concatenate(parts_cx), np.concatenate(parts_cy)
    dw, dh = np.concatenate(parts_w), np.concatenate(parts_h)
    dcat, dsc = np.concatenate(parts_cat).astype(np.int64), np.concatenate(parts_sc)
    drough = np.concatenate(parts_rough)
    dsc = f32(np.clip(dsc, 1e-4, 0.9999))
    # The model's top-N: stable sort by score (descending).
    order = np.argsort(-dsc, kind="stable")
    order = order[:cap]
    dcx, dcy, dw, dh = dcx[order], dcy[order], dw[order], dh[order]
    dcat, dsc, drough = dcat[order], dsc[order], drough[order]
    M = len(order)
    dw = np.clip(dw, 2.0, W * 0.98)
    dh = np.clip(dh, 2.0, H * 0.98)
    dcx = np.clip(dcx, dw / 2, W - dw / 2)
    dcy = np.clip(dcy, dh / 2, H - dh / 2)
    x, y = blobs(rng, dcx, dcy, dw, dh, 16, np.minimum(drough, 3.0))
    x, y = clip_poly(x, y, W, H)
    x0, y0, x1, y1 = x.min(1), y.min(1), x.max(1), y.max(1)
    box = np.stack([x0, y0, np.maximum(x1 - x0, 1.0), np.maximum(y1 - y0, 1.0)], 1)
    box = f32(box)
    polys = np.stack([x, y], 2).reshape(M, -1).tolist()
    rles = mask_utils.frPyObjects(polys, H, W) if M else []
    # (mask.area() of a list overflows in pycocotools 2.0.11 with numpy 2: use the
    # extent of the mask instead, 0 wide exactly when the mask is empty.)
    mbox = mask_utils.toBbox(rles) if M else np.zeros((0, 4))
    empty = np.flatnonzero(np.asarray(mbox)[:, 2] * np.asarray(mbox)[:, 3] <= 0)
    if len(empty):
        fb = mask_utils.frPyObjects([[float(v) for v in box[j]] for j in empty], H, W)
        for j, r in zip(empty, fb):
            rles[j] = r
    segm, bbox = [], []
    for j in range(M):
        head = '{"image_id":%d,"category_id":%d,' % (iid, int(dcat[j]) + 1)
        tail_ = '"bbox":%s,"score":%r}' % (json.dumps(box[j].tolist(), separators=(",", ":")), float(dsc[j]))
        segm.append(head + '"segmentation":{"size":[%d,%d],"counts":%s},' % (
            H, W, json.dumps(rles[j]["counts"].decode("ascii"))) + tail_)
        bbox.append(head + tail_)
    stats = {"gt": G, "dets": M, "small": int((area < SMALL).sum()),
             "medium": int(((area >= SMALL) & (area < MEDIUM)).sum()),
             "large": int((area >= MEDIUM).sum()), "empty_masks": int(len(empty))}
    return gt_json, ",".join(segm), ",".join(bbox), stats


def gen_chunk(args):
    seed, skels, n_dets, over_cap_frac, tiers = args
    out = [gen_image((seed, s, n_dets, over_cap_frac, tiers)) for s in skels]
    gt = ",".join(o[0] for o in out if o[0])
    seg = ",".join(o[1] for o in out if o[1])
    box = ",".join(o[2] for o in out if o[2])
    st = {}
    for o in out:
        for k, v in o[3].items():
            st[k] = st.get(k, 0) + v
    return gt, seg, box, st


def human(n):
    return "%.1f MB" % (n / 1e6)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1203)
    ap.add_argument("--images", type=int, default=19809)
    ap.add_argument("--dets-per-image", type=int, default=300)
    ap.add_argument("--mean-gt", type=float, default=64.0,
                    help="mean GT instances per image (64: ~1.27M at 19809 images; "
                         "real LVIS v1 val: ~12.4)")
    ap.add_argument("--over-cap-frac", type=float, default=0.0,
                    help="fraction of images given 1-39 results beyond --dets-per-image "
                         "(exercises LVISResults' per-image cap; default 0)")
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--chunk", type=int, default=64, help="images per worker task")
    args = ap.parse_args(argv)
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    cats, tiers, cat_p, images, skel = make_skeleton(args.seed, args.images, args.mean_gt)
    t_skel = time.time() - t0
    paths = {k: os.path.join(args.out, k) for k in ("gt.json", "dt_segm.json", "dt_bbox.json")}
    tmp = {k: v + ".tmp" for k, v in paths.items()}
    fg, fs, fb = (open(tmp[k], "w") for k in ("gt.json", "dt_segm.json", "dt_bbox.json"))
    fg.write('{"info":{"description":"synthetic LVIS v1 val-sized benchmark set (gen_lvis_scale.py, '
             'seed %d)","version":"1.0","year":2026},"licenses":[],"images":' % args.seed)
    fg.write(json.dumps(images, separators=(",", ":")))
    fg.write(',"categories":')
    fg.write(json.dumps(cats, separators=(",", ":")))
    fg.write(',"annotations":[')
    fs.write("[")
    fb.write("[")
    tasks = [(args.seed, skel[i:i + args.chunk], args.dets_per_image, args.over_cap_frac, tiers)
             for i in range(0, len(skel), args.chunk)]
    totals = {}
    first = [True, True, True]
    with Pool(max(args.workers, 1)) as pool:
        for n, res in enumerate(pool.imap(gen_chunk, tasks)):
            for j, (f, txt) in enumerate(zip((fg, fs, fb), res[:3])):
                if txt:
                    if not first[j]:
                        f.write(",")
                    f.write(txt)
                    first[j] = False
            for k, v in res[3].items():
                totals[k] = totals.get(k, 0) + v
            if (n + 1) % 50 == 0:
                print("  %d / %d images, %.0f s" % (min((n + 1) * args.chunk, args.images), args.images,
                                                    time.time() - t0), flush=True)
    fg.write("]}")
    fs.write("]")
    fb.write("]")
    for f in (fg, fs, fb):
        f.close()
    for k in paths:
        os.replace(tmp[k], paths[k])
    tier_counts = {t: int((tiers == t).sum()) for t in "rcf"}
    summary = {"seed": args.seed, "images": args.images, "categories": N_CATS, "tiers": tier_counts,
               "gt_instances": totals.get("gt", 0), "results": totals.get("dets", 0),
               "gt_area_small_medium_large": [totals.get("small", 0), totals.get("medium", 0),
                                              totals.get("large", 0)],
               "empty_masks_replaced_by_box": totals.get("empty_masks", 0),
               "neg_category_ids_total": sum(len(i["neg_category_ids"]) for i in images),
               "not_exhaustive_total": sum(len(i["not_exhaustive_category_ids"]) for i in images),
               "dets_per_image": args.dets_per_image, "mean_gt": args.mean_gt,
               "files": {k: os.path.getsize(v) for k, v in paths.items()},
               "seconds": round(time.time() - t0, 1), "skeleton_seconds": round(t_skel, 1),
               "workers": args.workers}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print("wrote %s: %d images, %d GT instances (%.1f / image; small/medium/large %s), "
          "%d results; gt.json %s, dt_segm.json %s, dt_bbox.json %s; %.1f s" % (
              args.out, args.images, summary["gt_instances"], summary["gt_instances"] / max(args.images, 1),
              summary["gt_area_small_medium_large"], summary["results"],
              human(summary["files"]["gt.json"]), human(summary["files"]["dt_segm.json"]),
              human(summary["files"]["dt_bbox.json"]), summary["seconds"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
