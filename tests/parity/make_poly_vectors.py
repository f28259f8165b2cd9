#!/usr/bin/env python3
"""Writes tests/data/poly_vectors.json: random polygons (sub-pixel, negative,
outside the image, self-intersecting, repeated vertices, long thin edges) with
the compressed RLE pycocotools 2.0.11 produces for each, so the C unit test
tests/unit/test_poly.c checks the rasterizer without Python.

    python tests/parity/make_poly_vectors.py --out tests/data/poly_vectors.json
    python tests/parity/make_poly_vectors.py --check tests/data/poly_vectors.json
"""
import argparse
import json
import random

from pycocotools import mask as mask_utils


def random_polygon(r):
    h, w = r.randint(1, 60), r.randint(1, 60)
    k = r.randint(3, 12)
    style = r.choice(["int", "half", "quarter", "float", "fifth"])
    spread = r.choice([1.0, 1.0, 1.5, 3.0])
    pts = []
    for _ in range(k):
        x = r.uniform(-spread * 0.3 * w - 2, spread * w + 2)
        y = r.uniform(-spread * 0.3 * h - 2, spread * h + 2)
        if style == "int":
            x, y = float(round(x)), float(round(y))
        elif style == "half":
            x, y = round(x * 2) / 2, round(y * 2) / 2
        elif style == "quarter":
            x, y = round(x * 4) / 4, round(y * 4) / 4
        elif style == "fifth":
            x, y = round(x * 5) / 5 + 0.1, round(y * 5) / 5 - 0.1
        pts.append((x, y))
    if r.random() < 0.2:  # repeated vertex
        i = r.randrange(len(pts))
        pts.insert(i, pts[i])
    if r.random() < 0.1:  # a long, nearly vertical edge
        pts.append((pts[-1][0] + 0.4, pts[-1][1] + 5 * h))
    flat = [c for p in pts for c in p]
    return h, w, flat


def rle_string(flat, h, w):
    rle = mask_utils.merge(mask_utils.frPyObjects([flat], h, w))
    return rle["counts"].decode("ascii")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out")
    ap.add_argument("--check")
    ap.add_argument("--n", type=int, default=600)
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args()
    if args.check:
        with open(args.check) as f:
            vecs = json.load(f)["polygons"]
        bad = sum(rle_string(v["xy"], v["h"], v["w"]) != v["counts"] for v in vecs)
        print(f"{len(vecs) - bad}/{len(vecs)} match pycocotools")
        raise SystemExit(1 if bad else 0)
    r = random.Random(args.seed)
    vecs = []
    for _ in range(args.n):
        h, w, flat = random_polygon(r)
        vecs.append({"h": h, "w": w, "xy": flat, "counts": rle_string(flat, h, w)})
    with open(args.out, "w") as f:
        json.dump({"generator": "tests/parity/make_poly_vectors.py --seed %d --n %d" % (args.seed, args.n),
                   "reference": "pycocotools 2.0.11 frPyObjects + merge",
                   "polygons": vecs}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
