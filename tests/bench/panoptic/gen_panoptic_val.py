#!/usr/bin/env python3
"""Fixed-seed generator of a COCO-panoptic-val2017-scale benchmark set.

    gen_panoptic_val.py --out DIR [--seed 2017] [--images 5000] [--workers 2]

writes

    DIR/gt.json     COCO panoptic annotations: images, 133 categories (the 80
                    COCO thing ids 1..90 and 53 stuff ids 92..200, as COCO
                    panoptic), annotations with segments_info (id,
                    category_id, iscrowd, area, bbox)
    DIR/gt/         one PNG per image, 8-bit RGB, segment id = R + 256 G + 65536 B,
                    0 = VOID
    DIR/pred.json   predictions: annotations with segments_info (id, category_id)
    DIR/pred/       prediction PNGs, same encoding
    DIR/summary.json

What the data looks like
------------------------
Images: COCO's size distribution (gen_coco_val.IMAGE_SIZES: 640x480, 640x427,
480x640, ..., a few 500x375 and random sizes). Image ids are sparse.

Ground truth per image: 3-9 stuff regions (a warped Voronoi partition of the
image; a stuff category that owns several cells is one segment, as in COCO
panoptic), then about 14 thing instances (1 + negative binomial) painted on top
as random Fourier blobs in depth order, areas log-uniform in COCO's small /
medium / large classes. About 20 segments per image in all. ~8 % of the images
have a crowd segment (iscrowd = 1, a union of blobs of one thing category).
VOID (id 0): in about half the images a thin band along the stuff boundaries,
in ~35 % an unlabelled blob, and segments left with < 8 pixels are voided.
``area`` and ``bbox`` are counted from the final PNG.

Predictions are the GT scene re-rendered with perturbed geometry: blob centres,
sizes and shapes jittered, stuff Voronoi seeds and warps jittered (so
boundaries move); things missed (~12 %, more when small), category confusions
(~5 %), splits of one instance into two segments (~5 %), merges of two
same-category instances into one segment (~8 %), extra false segments (~1.5
per image), a missed or confused stuff category (~5 % each), a false stuff
cell (~30 % of the images), instances predicted inside crowd regions, and a
small VOID blob in ~30 % of the images. Segment ids are random 24-bit values,
unique per image.

Determinism: each image has its own numpy Generator seeded with (seed, image
index); the output is byte-identical for any --workers.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "coco"))
from gen_coco_val import COCO_CATEGORIES, IMAGE_SIZES, P_OTHER_SIZE  # noqa: E402

# COCO panoptic's 53 stuff category ids (92..200 with gaps).
STUFF_IDS = [92, 93, 95, 100, 107, 109, 112, 118, 119, 122, 125, 128, 130, 133, 138, 141,
             144, 145, 147, 148, 149, 151, 154, 155, 156, 159, 161, 166, 168, 171, 175,
             176, 177, 178, 180, 181, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193,
             194, 195, 196, 197, 198, 199, 200]
assert len(STUFF_IDS) == 53
THING_IDS = [c[0] for c in COCO_CATEGORIES]
MIN_AREA = 8


def categories():
    cats = [{"id": i, "name": n, "supercategory": s, "isthing": 1} for i, n, s in COCO_CATEGORIES]
    cats += [{"id": i, "name": "stuff-%d" % i, "supercategory": "stuff", "isthing": 0}
             for i in STUFF_IDS]
    return cats


def make_skeleton(seed, n_images):
    rng = np.random.default_rng(seed)
    w = np.array([s[2] for s in IMAGE_SIZES])
    w = w / w.sum()
    ids = np.cumsum(rng.integers(1, 200, size=n_images)) + 100
    images = []
    for k in range(n_images):
        if rng.random() < P_OTHER_SIZE:
            long = 640 if rng.random() < 0.7 else int(rng.integers(300, 640))
            short = int(rng.integers(int(long * 0.5), long + 1))
            W, H = (long, short) if rng.random() < 0.7 else (short, long)
        else:
            W, H, _ = IMAGE_SIZES[rng.choice(len(IMAGE_SIZES), p=w)]
        iid = int(ids[k])
        images.append({"id": iid, "width": int(W), "height": int(H),
                       "file_name": "%012d.jpg" % iid})
    # category frequencies
    tw = rng.gamma(0.6, 1.0, size=len(THING_IDS))
    tw[0] = tw.sum() * 0.4                                  # person
    sw = rng.gamma(0.8, 1.0, size=len(STUFF_IDS))
    return images, tw / tw.sum(), sw / sw.sum()


# ----------------------------------------------------------------------------
# Geometry
# ----------------------------------------------------------------------------

def blob_params(rng, W, H, area):
    r = np.sqrt(area / np.pi)
    aspect = np.exp(rng.normal(0, 0.35))
    nh = int(rng.integers(2, 5))
    return {"cx": float(rng.uniform(-0.1 * r, W + 0.1 * r)), "cy": float(rng.uniform(-0.1 * r, H + 0.1 * r)),
            "rx": float(r * np.sqrt(aspect)), "ry": float(r / np.sqrt(aspect)),
            "rot": float(rng.uniform(0, np.pi)),
            "amp": (rng.uniform(0, 0.25, size=nh) / np.arange(1, nh + 1)).tolist(),
            "phase": rng.uniform(0, 2 * np.pi, size=nh).tolist()}


def jitter_blob(rng, b, err):
    r = np.sqrt(b["rx"] * b["ry"])
    s = np.exp(rng.normal(0, err))
    return {"cx": b["cx"] + rng.normal(0, err * r), "cy": b["cy"] + rng.normal(0, err * r),
            "rx": b["rx"] * s * np.exp(rng.normal(0, err / 2)), "ry": b["ry"] * s * np.exp(rng.normal(0, err / 2)),
            "rot": b["rot"] + rng.normal(0, err),
            "amp": [a * np.exp(rng.normal(0, 0.3)) for a in b["amp"]],
            "phase": [p + rng.normal(0, 0.4) for p in b["phase"]]}


def blob_mask(b, W, H):
    """(y0, x0, mask) of the blob clipped to the image, or None."""
    R = max(b["rx"], b["ry"]) * (1 + sum(b["amp"])) + 1
    x0, x1 = max(0, int(b["cx"] - R)), min(W, int(b["cx"] + R) + 1)
    y0, y1 = max(0, int(b["cy"] - R)), min(H, int(b["cy"] + R) + 1)
    if x1 <= x0 or y1 <= y0:
        return None
    dx = (np.arange(x0, x1, dtype=np.float32) + np.float32(0.5 - b["cx"]))[None, :]
    dy = (np.arange(y0, y1, dtype=np.float32) + np.float32(0.5 - b["cy"]))[:, None]
    c, s = np.float32(np.cos(b["rot"])), np.float32(np.sin(b["rot"]))
    u, v = (c * dx + s * dy) / np.float32(b["rx"]), (-s * dx + c * dy) / np.float32(b["ry"])
    th = np.arctan2(v, u)
    rad = np.ones_like(th)
    for k, (a, p) in enumerate(zip(b["amp"], b["phase"])):
        rad += np.float32(a) * np.cos(np.float32(k + 2) * th + np.float32(p))
    m = u * u + v * v <= rad * rad
    if not m.any():
        return None
    return y0, x0, m


def paint(lab, b, value, W, H, where=None):
    r = blob_mask(b, W, H)
    if r is None:
        return
    y0, x0, m = r
    view = lab[y0:y0 + m.shape[0], x0:x0 + m.shape[1]]
    if where is not None:
        m = m & where[y0:y0 + m.shape[0], x0:x0 + m.shape[1]]
    view[m] = value


def voronoi(seeds, warp, W, H):
    """Index of the nearest (warped) seed per pixel, and the gap between the
    two nearest distances (for boundary bands)."""
    ys, xs = np.mgrid[0:H, 0:W].astype(np.float32)
    wx = xs + warp[0] * np.sin(2 * np.pi * ys / H * warp[1] + warp[2])
    wy = ys + warp[3] * np.sin(2 * np.pi * xs / W * warp[4] + warp[5])
    near = np.zeros((H, W), np.int64)
    d1 = np.full((H, W), np.inf, np.float32)
    d2 = np.full((H, W), np.inf, np.float32)
    for k, (sx, sy, wt) in enumerate(seeds):
        d = np.sqrt((wx - sx) ** 2 + (wy - sy) ** 2) * np.float32(wt)
        closer = d < d1
        np.copyto(d2, np.where(closer, d1, np.minimum(d2, d)))
        np.copyto(d1, np.where(closer, d, d1))
        near[closer] = k
    gap = d2 - d1
    return near, gap


def draw_area(rng, W, H):
    u = rng.random()
    lo, hi = (12, 32 ** 2) if u < 0.42 else ((32 ** 2, 96 ** 2) if u < 0.76 else (96 ** 2, 0.5 * W * H))
    return float(np.exp(rng.uniform(np.log(lo), np.log(max(hi, lo + 1)))))


def new_ids(rng, n, taken):
    out = []
    while len(out) < n:
        v = int(rng.integers(1, 1 << 24))
        if v not in taken:
            taken.add(v)
            out.append(v)
    return out


def to_png(lab, path):
    rgb = np.empty(lab.shape + (3,), np.uint8)
    rgb[..., 0] = lab & 255
    rgb[..., 1] = (lab >> 8) & 255
    rgb[..., 2] = (lab >> 16) & 255
    Image.fromarray(rgb, "RGB").save(path)


def finish(lab, segs, min_area):
    """Drop / void segments by pixel count; fill area and bbox. segs: id -> dict."""
    ids, cnt = np.unique(lab, return_counts=True)
    cnt = dict(zip(ids.tolist(), cnt.tolist()))
    small = [i for i in segs if 0 < cnt.get(i, 0) < min_area]
    if small:
        lab[np.isin(lab, small)] = 0
    out = []
    for sid, s in segs.items():
        a = cnt.get(sid, 0)
        if a < min_area:
            continue
        m = lab == sid
        ys = np.flatnonzero(m.any(axis=1))
        xs = np.flatnonzero(m.any(axis=0))
        s = dict(s, id=sid, area=int(a),
                 bbox=[int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)])
        out.append(s)
    out.sort(key=lambda s: s["id"])
    return out


# ----------------------------------------------------------------------------
# One image
# ----------------------------------------------------------------------------

def gen_image(job):
    seed, k, img, tw, sw, out = job
    rng = np.random.default_rng([seed, k])
    W, H = img["width"], img["height"]
    taken = set()

    # --- GT stuff: warped Voronoi cells, each cell a stuff category.
    n_stuff_cats = int(rng.integers(3, 10))
    scats = rng.choice(STUFF_IDS, size=n_stuff_cats, replace=False, p=sw).tolist()
    n_cells = n_stuff_cats + int(rng.integers(0, 4))
    cell_cat = scats + rng.choice(scats, size=n_cells - n_stuff_cats).tolist()
    seeds = [(float(rng.uniform(0, W)), float(rng.uniform(0, H)), float(np.exp(rng.normal(0, 0.25))))
             for _ in range(n_cells)]
    warp = [float(rng.uniform(0, 25)), float(rng.uniform(0.5, 3)), float(rng.uniform(0, 6.3)),
            float(rng.uniform(0, 25)), float(rng.uniform(0.5, 3)), float(rng.uniform(0, 6.3))]
    stuff_id = dict(zip(scats, new_ids(rng, len(scats), taken)))
    near, gap = voronoi(seeds, warp, W, H)
    cell_ids = np.array([stuff_id[c] for c in cell_cat], np.uint32)
    gt = cell_ids[near]
    gsegs = {stuff_id[c]: {"category_id": int(c), "iscrowd": 0} for c in scats}
    if rng.random() < 0.5:
        gt[gap < rng.uniform(1.0, 3.0)] = 0                 # VOID band along stuff boundaries

    # --- GT crowd (before things: instances occlude it).
    crowd = None
    if rng.random() < 0.08:
        ccat = int(rng.choice(THING_IDS, p=tw))
        cid = new_ids(rng, 1, taken)[0]
        cx, cy = rng.uniform(0.2 * W, 0.8 * W), rng.uniform(0.2 * H, 0.8 * H)
        parts = []
        for _ in range(int(rng.integers(3, 8))):
            b = blob_params(rng, W, H, rng.uniform(0.005, 0.03) * W * H)
            b["cx"], b["cy"] = cx + rng.normal(0, 0.12 * W), cy + rng.normal(0, 0.12 * H)
            parts.append(b)
            paint(gt, b, cid, W, H)
        gsegs[cid] = {"category_id": ccat, "iscrowd": 1}
        crowd = (cid, ccat, parts)

    # --- GT things, painted back to front.
    n_things = 1 + int(rng.negative_binomial(1.3, 1.3 / (1.3 + 12.5)))
    n_things = min(n_things, 60)
    tcats = rng.choice(THING_IDS, size=n_things, p=tw).tolist()
    things = []
    tids = new_ids(rng, n_things, taken)
    areas = [draw_area(rng, W, H) for _ in range(n_things)]
    for i in sorted(range(n_things), key=lambda i: -areas[i]):        # big ones first (behind)
        b = blob_params(rng, W, H, areas[i])
        things.append((tids[i], int(tcats[i]), b, areas[i]))
        paint(gt, b, tids[i], W, H)
        gsegs[tids[i]] = {"category_id": int(tcats[i]), "iscrowd": 0}

    if rng.random() < 0.35:                                 # unlabelled blob
        paint(gt, blob_params(rng, W, H, draw_area(rng, W, H)), 0, W, H)
    gt_info = finish(gt, gsegs, MIN_AREA)

    # --- Predictions.
    ptaken = set()
    psegs = {}
    pscats = list(scats)
    if rng.random() < 0.05 and len(pscats) > 1:             # missed stuff: absorbed by another
        j = int(rng.integers(len(pscats)))
        pscats[j] = pscats[(j + 1) % len(pscats)]
    if rng.random() < 0.05:                                 # confused stuff category
        j = int(rng.integers(len(pscats)))
        pscats = [int(rng.choice(STUFF_IDS)) if c == scats[j] else c for c in pscats]
    pcell_cat = [pscats[scats.index(c)] for c in cell_cat]
    pseeds = [(sx + rng.normal(0, 0.03 * W), sy + rng.normal(0, 0.03 * H), wt * np.exp(rng.normal(0, 0.05)))
              for sx, sy, wt in seeds]
    if rng.random() < 0.3:                                  # false stuff cell
        pseeds.append((float(rng.uniform(0, W)), float(rng.uniform(0, H)), 1.3))
        pcell_cat.append(int(rng.choice(STUFF_IDS, p=sw)))
    pwarp = [warp[0] * np.exp(rng.normal(0, 0.2)), warp[1], warp[2] + rng.normal(0, 0.2),
             warp[3] * np.exp(rng.normal(0, 0.2)), warp[4], warp[5] + rng.normal(0, 0.2)]
    ucats = sorted(set(pcell_cat))
    pstuff = dict(zip(ucats, new_ids(rng, len(ucats), ptaken)))
    pnear, _ = voronoi(pseeds, pwarp, W, H)
    pred = np.array([pstuff[c] for c in pcell_cat], np.uint32)[pnear]
    for c, sid in pstuff.items():
        psegs[sid] = {"category_id": int(c)}

    if crowd is not None:                                   # instances inside the crowd
        cid, ccat, parts = crowd
        for b in parts:
            if rng.random() < 0.7:
                bb = jitter_blob(rng, b, 0.15)
                bb["rx"] *= 0.6
                bb["ry"] *= 0.6
                sid = new_ids(rng, 1, ptaken)[0]
                paint(pred, bb, sid, W, H)
                psegs[sid] = {"category_id": ccat}

    merged = {}                                             # category -> pred id of a merge target
    for tid, cat, b, area in things:
        p_miss = 0.3 if area < 32 ** 2 else (0.1 if area < 96 ** 2 else 0.04)
        if rng.random() < p_miss:
            continue
        err = 0.12 if area < 32 ** 2 else (0.07 if area < 96 ** 2 else 0.04)
        err *= np.exp(rng.normal(0, 0.4))
        bb = jitter_blob(rng, b, err)
        pcat = cat
        if rng.random() < 0.05:
            pcat = int(rng.choice(THING_IDS, p=tw))
        if pcat in merged and rng.random() < 0.08:
            sid = merged[pcat]                              # merge with an earlier instance
        else:
            sid = new_ids(rng, 1, ptaken)[0]
            merged[pcat] = sid
            psegs[sid] = {"category_id": pcat}
        if rng.random() < 0.05:                             # split in two along a line
            sid2 = new_ids(rng, 1, ptaken)[0]
            psegs[sid2] = {"category_id": pcat}
            ys, xs = np.mgrid[0:H, 0:W]
            ang = rng.uniform(0, np.pi)
            side = (np.cos(ang) * (xs - bb["cx"]) + np.sin(ang) * (ys - bb["cy"])) > 0
            paint(pred, bb, sid, W, H, where=~side)
            paint(pred, bb, sid2, W, H, where=side)
        else:
            paint(pred, bb, sid, W, H)
    for _ in range(int(rng.poisson(1.5))):                  # false segments
        sid = new_ids(rng, 1, ptaken)[0]
        paint(pred, blob_params(rng, W, H, draw_area(rng, W, H)), sid, W, H)
        psegs[sid] = {"category_id": int(rng.choice(THING_IDS, p=tw))}
    if rng.random() < 0.3:                                  # unassigned pixels
        paint(pred, blob_params(rng, W, H, draw_area(rng, W, H) * 0.5), 0, W, H)
    pred_info = [{"id": s["id"], "category_id": s["category_id"]} for s in finish(pred, psegs, 1)]

    png = img["file_name"].replace(".jpg", ".png")
    to_png(gt, os.path.join(out, "gt", png))
    to_png(pred, os.path.join(out, "pred", png))
    return ({"image_id": img["id"], "file_name": png, "segments_info": gt_info},
            {"image_id": img["id"], "file_name": png, "segments_info": pred_info})


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=2017)
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    t0 = time.time()
    os.makedirs(os.path.join(args.out, "gt"), exist_ok=True)
    os.makedirs(os.path.join(args.out, "pred"), exist_ok=True)
    images, tw, sw = make_skeleton(args.seed, args.images)
    jobs = [(args.seed, k, img, tw, sw, args.out) for k, img in enumerate(images)]
    if args.workers > 1:
        with multiprocessing.Pool(args.workers) as pool:
            res = pool.map(gen_image, jobs, chunksize=16)
    else:
        res = [gen_image(j) for j in jobs]
    cats = categories()
    gt = {"info": {"description": "synthetic COCO-panoptic-val-scale set (gen_panoptic_val.py)",
                   "seed": args.seed},
          "images": images, "annotations": [r[0] for r in res], "categories": cats}
    pred = {"annotations": [r[1] for r in res]}
    with open(os.path.join(args.out, "gt.json"), "w") as f:
        json.dump(gt, f, separators=(",", ":"))
    with open(os.path.join(args.out, "pred.json"), "w") as f:
        json.dump(pred, f, separators=(",", ":"))
    isthing = {c["id"]: c["isthing"] for c in cats}
    g = [s for a in gt["annotations"] for s in a["segments_info"]]
    p = [s for a in pred["annotations"] for s in a["segments_info"]]
    summ = {
        "seed": args.seed, "workers": args.workers, "seconds": round(time.time() - t0, 1),
        "images": len(images),
        "gt_segments": len(g), "gt_things": sum(isthing[s["category_id"]] for s in g),
        "gt_crowd": sum(s["iscrowd"] for s in g),
        "gt_segments_per_image": round(len(g) / max(1, len(images)), 2),
        "pred_segments": len(p), "pred_segments_per_image": round(len(p) / max(1, len(images)), 2),
        "categories_used_gt": len({s["category_id"] for s in g}),
    }
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summ, f, indent=1)
    print("gen_panoptic_val: " + json.dumps(summ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
