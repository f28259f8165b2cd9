#!/usr/bin/env python3
"""Independent re-computation of the recorded panoptic fixtures.

    check_rules.py [tests/data/panoptic]

Implements PQ / Boundary PQ from the rules written in REFERENCE.md (numpy +
Pillow only, no reference code) and compares every recorded number bit for
bit (after checking the inputs' sha256): per-category (iou, tp, fp, fn), per-class pq/sq/rq, All/Things/Stuff for
chunk counts 1, 2, 7, Boundary PQ for both dilation ratios, and the per-image
stats. Needs no network and no reference checkout, so CI can run it as a
check of the fixtures and of REFERENCE.md itself.
"""
import hashlib
import json
import math
import os
import sys

import numpy as np
from PIL import Image

OFF = 1 << 24


def load_ids(path):
    a = np.array(Image.open(path), dtype=np.uint32)
    if a.ndim != 3:
        raise TypeError("not an RGB(A) PNG")
    return a[:, :, 0] + 256 * a[:, :, 1] + 65536 * a[:, :, 2]


def dilation(h, w, r):
    return max(1, int(round(r * math.sqrt(h * h + w * w))))   # round = ties-to-even


def band(mask, d):
    """mask AND NOT (mask eroded by a (2d+1)^2 square, image outside = 0)."""
    h, w = mask.shape
    p = np.zeros((h + 2 + 2 * d, w + 2 + 2 * d), dtype=bool)
    p[:, :] = True                       # beyond the 1-px zero frame: neutral
    p[d:d + h + 2, d:d + w + 2] = False  # zero frame
    p[d + 1:d + 1 + h, d + 1:d + 1 + w] = mask
    # separable running min (window 2d+1)
    r = np.ones((p.shape[0], w), dtype=bool)
    for k in range(2 * d + 1):
        r &= p[:, k + 1:k + 1 + w]
    e = np.ones((h, w), dtype=bool)
    for k in range(2 * d + 1):
        e &= r[k + 1:k + 1 + h, :]
    return mask & ~e


def boundary_map(ids, segs, bid, d):
    m = ids.copy()
    areas = {}
    for s in segs:
        msk = m == s["id"]
        b = band(msk, d)
        m[msk] = bid
        m[b] = s["id"]
        areas[s["id"]] = int(b.sum())
    return m, areas


def hist(a, b):
    k, c = np.unique(a.astype(np.uint64) * OFF + b.astype(np.uint64), return_counts=True)
    return {(int(x) // OFF, int(x) % OFF): int(n) for x, n in zip(k, c)}


def image_stats(gt_ann, pred_ann, gdir, pdir, cats, ratio=None):
    """Returns list of (category, kind, value) events in reference order."""
    g = load_ids(os.path.join(gdir, gt_ann["file_name"]))
    p = load_ids(os.path.join(pdir, pred_ann["file_name"]))
    gsegs = {s["id"]: s for s in gt_ann["segments_info"]}
    psegs = {s["id"]: dict(s) for s in pred_ann["segments_info"]}
    ids, cnt = np.unique(p, return_counts=True)
    for i, c in zip(ids.tolist(), cnt.tolist()):
        if i != 0:
            psegs[i]["area"] = c
    H = hist(g, p)
    if ratio is not None:
        bid = max(cats) + 1
        d = dilation(g.shape[0], g.shape[1], ratio)
        gb, garea = boundary_map(g, gt_ann["segments_info"], bid, d)
        pb, parea = boundary_map(p, pred_ann["segments_info"], bid, d)
        HB = hist(gb, pb)
    ev = []
    gm, pm = set(), set()
    for (gi, pi), inter in H.items():          # ascending gi, then pi
        if gi not in gsegs or pi not in psegs:
            continue
        gs, ps = gsegs[gi], psegs[pi]
        if gs["iscrowd"] == 1 or gs["category_id"] != ps["category_id"]:
            continue
        union = ps["area"] + gs["area"] - inter - H.get((0, pi), 0)
        iou = np.float64(inter) / np.float64(union) if union != 0 else (math.inf if inter else math.nan)
        if ratio is not None:
            bi = HB.get((gi, pi), 0)
            bu = parea[pi] + garea[gi] - bi - HB.get((0, pi), 0)
            iou = min(iou, bi / bu)
        if iou > 0.5:
            ev.append((gs["category_id"], "tp", float(iou)))
            gm.add(gi)
            pm.add(pi)
    crowd = {}
    for gi, gs in gsegs.items():
        if gi in gm:
            continue
        if gs["iscrowd"] == 1:
            crowd[gs["category_id"]] = gi
            continue
        ev.append((gs["category_id"], "fn", None))
    for pi, ps in psegs.items():
        if pi in pm:
            continue
        ign = H.get((0, pi), 0)
        if ps["category_id"] in crowd:
            ign += H.get((crowd[ps["category_id"]], pi), 0)
        if ign / ps["area"] > 0.5:
            continue
        ev.append((ps["category_id"], "fp", None))
    return ev


def fold(stats, ev):
    for c, kind, v in ev:
        s = stats.setdefault(c, {"iou": 0.0, "tp": 0, "fp": 0, "fn": 0})
        if kind == "tp":
            s["tp"] += 1
            s["iou"] += v
        else:
            s[kind] += 1


def evaluate(setdir, chunks, ratio=None):
    gt = json.load(open(os.path.join(setdir, "gt.json")))
    pred = json.load(open(os.path.join(setdir, "pred.json")))
    cats = {c["id"]: c for c in gt["categories"]}
    pa = {a["image_id"]: a for a in pred["annotations"]}
    pairs = [(a, pa[a["image_id"]]) for a in gt["annotations"]]
    n = len(pairs)
    sizes = [n // chunks + (1 if i < n % chunks else 0) for i in range(chunks)]
    total, pos, per_image = {}, 0, {}
    for sz in sizes:
        chunk = {}
        for ga, pr in pairs[pos:pos + sz]:
            ev = image_stats(ga, pr, os.path.join(setdir, "gt"), os.path.join(setdir, "pred"), cats, ratio)
            fold(chunk, ev)
            one = {}
            fold(one, ev)
            per_image[str(ga["image_id"])] = one
        pos += sz
        for c, s in chunk.items():
            t = total.setdefault(c, {"iou": 0.0, "tp": 0, "fp": 0, "fn": 0})
            for k in s:
                t[k] += s[k]
    groups, per_class = {}, {}
    for name, want in (("All", None), ("Things", 1), ("Stuff", 0)):
        pq = sq = rq = 0
        k = 0
        for cid, c in cats.items():
            if want is not None and (c["isthing"] == 1) != (want == 1):
                continue
            s = total.get(cid, {"iou": 0.0, "tp": 0, "fp": 0, "fn": 0})
            if s["tp"] + s["fp"] + s["fn"] == 0:
                per_class[cid] = {"pq": 0.0, "sq": 0.0, "rq": 0.0}
                continue
            k += 1
            den = s["tp"] + 0.5 * s["fp"] + 0.5 * s["fn"]
            pc = {"pq": s["iou"] / den, "sq": s["iou"] / s["tp"] if s["tp"] else 0, "rq": s["tp"] / den}
            if name == "All":
                per_class[cid] = pc
            pq += pc["pq"]; sq += pc["sq"]; rq += pc["rq"]
        groups[name] = {"error": "ZeroDivisionError: division by zero"} if k == 0 else \
            {"pq": pq / k, "sq": sq / k, "rq": rq / k, "n": k}
    return total, groups, per_class, per_image, cats


def enc(v):
    return repr(v) if isinstance(v, float) and not math.isfinite(v) else v


def compare(tag, rec, setdir, chunks, ratio, bad):
    total, groups, per_class, per_image, cats = evaluate(setdir, chunks, ratio)
    for cid in cats:
        s = {k: enc(v) for k, v in total.get(cid, {"iou": 0.0, "tp": 0, "fp": 0, "fn": 0}).items()}
        if rec["per_category"][str(cid)] != s:
            bad.append("%s cat %s: %r != %r" % (tag, cid, s, rec["per_category"][str(cid)]))
    for g, v in groups.items():
        v = {k: enc(x) for k, x in v.items()}
        if rec[g] != v:
            bad.append("%s %s: %r != %r" % (tag, g, v, rec[g]))
    if "per_class" in rec:
        for cid, v in per_class.items():
            v = {k: enc(x) for k, x in v.items()}
            if rec["per_class"][str(cid)] != v:
                bad.append("%s per_class %s: %r != %r" % (tag, cid, v, rec["per_class"][str(cid)]))
    return per_image


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data", "panoptic")
    nbad = 0
    for name in sorted(os.listdir(root)):
        setdir = os.path.join(root, name)
        if name == "errors" or not os.path.isfile(os.path.join(setdir, "expected.json")):
            continue
        exp = json.load(open(os.path.join(setdir, "expected.json")))
        bad = []
        for rel, h in exp["inputs_sha256"].items():
            with open(os.path.join(setdir, rel), "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != h:
                    bad.append("%s: sha256 mismatch for %s" % (name, rel))
        for k in (1, 2, 7):
            pi = compare("%s pq chunks_%d" % (name, k), exp["pq"]["chunks_%d" % k], setdir, k, None, bad)
            if k == 1:
                want = {i: {str(c): {m: enc(x) for m, x in s.items()} for c, s in sorted(v.items())} for i, v in pi.items()}
                got = {i: {c: s for c, s in v.items()} for i, v in exp["per_image"]["pq"].items()}
                if json.dumps(want, sort_keys=True) != json.dumps(got, sort_keys=True):
                    bad.append("%s per_image pq differs" % name)
            for r in ("0.02", "0.005"):
                compare("%s bpq %s chunks_%d" % (name, r, k), exp["boundary_pq"][r]["chunks_%d" % k], setdir, k,
                        float(r), bad)
        print("%-16s %s" % (name, "OK" if not bad else "%d MISMATCHES" % len(bad)))
        for b in bad[:20]:
            print("   ", b)
        nbad += len(bad)
    sys.exit(1 if nbad else 0)


if __name__ == "__main__":
    main()
