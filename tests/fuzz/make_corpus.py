#!/usr/bin/env python3
"""Writes the seed corpora of the libFuzzer harnesses (tests/fuzz/corpus/).

    .venv/bin/python tests/fuzz/make_corpus.py [--out tests/fuzz/corpus]

Needs numpy, pycocotools and Pillow (the project's .venv). Deterministic: the
same script writes the same files. Sources: data/gt.json, data/results.json,
tests/data/poly_vectors.json, tests/data/segmetrics/*.png, tests/parity/
gen_coco.py (tiny datasets), and hand-made edge cases. The corpus is
regenerated, not appended to: every corpus/<harness>/ is emptied first.
"""

import argparse
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

HARNESSES = ("rle_string", "poly", "gt_json", "results_json", "png_labels", "cli_args",
             "json_fast", "png_luma")


class Corpus:
    def __init__(self, out):
        self.out = out
        self.count = {}

    def add(self, harness, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        d = os.path.join(self.out, harness)
        os.makedirs(d, exist_ok=True)
        n = self.count.get(harness, 0)
        self.count[harness] = n + 1
        with open(os.path.join(d, "%03d_%s" % (n, name)), "wb") as f:
            f.write(data)


def cjson(obj):
    return json.dumps(obj, separators=(",", ":"))


def encode_mask(m):
    r = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
    return r["counts"].decode("ascii")


# ---- rle_string: mode byte, h, w, string ----------------------------------------

def rle_seed(h, w, s):
    if isinstance(s, str):
        s = s.encode("latin-1")
    if 1 <= h <= 16 and 1 <= w <= 16:
        return bytes([0, h - 1, w - 1]) + s
    if h < 65536 and w < 65536:
        return bytes([2]) + struct.pack("<HH", h, w) + s
    return bytes([3]) + struct.pack("<II", h, w) + s


def rle_corpus(c, rng):
    results = json.load(open(os.path.join(ROOT, "data", "results.json")))
    picked = rng.sample(results, 12)
    for i, r in enumerate(picked):
        h, w = r["segmentation"]["size"]
        c.add("rle_string", "results_%d" % i, rle_seed(h, w, r["segmentation"]["counts"]))
    gt = json.load(open(os.path.join(ROOT, "data", "gt.json")))
    k = 0
    for a in gt["annotations"]:
        s = a["segmentation"]
        if isinstance(s, dict) and isinstance(s["counts"], str) and k < 4:
            h, w = s["size"]
            c.add("rle_string", "gt_%d" % k, rle_seed(h, w, s["counts"]))
            k += 1
    # small masks: empty, full, one pixel, stripes, random
    for i in range(10):
        h, w = rng.randint(1, 16), rng.randint(1, 16)
        kind = i % 5
        m = np.zeros((h, w), bool)
        if kind == 1:
            m[:] = True
        elif kind == 2:
            m[rng.randrange(h), rng.randrange(w)] = True
        elif kind == 3:
            m[::2, :] = True
        elif kind == 4:
            m = np.array([[rng.random() < 0.5 for _ in range(w)] for _ in range(h)])
        c.add("rle_string", "small_%d" % i, rle_seed(h, w, encode_mask(m)))
    # a big image with few runs (large counts, many groups)
    m = np.zeros((3000, 2000), bool)
    m[1000:2500, 100:1900] = True
    c.add("rle_string", "large", rle_seed(3000, 2000, encode_mask(m)))
    # invalid and odd strings
    for name, h, w, s in [("empty", 4, 5, ""), ("zero", 4, 5, "0"), ("one_count", 4, 5, "d0"),
                          ("bad_char", 4, 5, "5x"), ("bad_high", 4, 5, "5\xff"),
                          ("truncated", 4, 5, "5P"), ("too_long", 4, 5, "ooooooo0"),
                          ("negative_delta", 4, 5, "111M"), ("overflow", 65535, 65535, "ooooooN"),
                          ("max_u32", 1, 1, "oooooo3"), ("h0", 0, 7, "1234"),
                          ("huge_hw", 4294967295, 4294967295, "0o1"),
                          ("empty_runs", 4, 5, "0000d0"), ("backslash", 16, 16, "\\\\\\")]:
        c.add("rle_string", name, rle_seed(h, w, s))


# ---- poly: mode, h, w, k, coordinates ----------------------------------------------

def poly_seed(h, w, xy, tag=4):
    k = len(xy) // 2
    assert 1 <= k <= 40 and 1 <= h <= 1024 and 1 <= w <= 1024
    b = bytes([6]) + struct.pack("<HH", h - 1, w - 1) + bytes([k - 1])
    for v in xy:
        b += bytes([tag]) + struct.pack("<d", v)
    return b


def poly_large_seed(mode, h16, w16, xy, extra=b""):
    k = len(xy) // 2
    b = bytes([mode]) + struct.pack("<HH", h16, w16) + extra + bytes([k - 1])
    for v in xy:
        b += bytes([4]) + struct.pack("<d", v)
    return b


def poly_corpus(c, rng):
    vec = json.load(open(os.path.join(ROOT, "tests", "data", "poly_vectors.json")))["polygons"]
    fits = [p for p in vec if len(p["xy"]) // 2 <= 40]
    for i, p in enumerate(rng.sample(fits, 30)):
        c.add("poly", "vector_%d" % i, poly_seed(p["h"], p["w"], p["xy"]))
    inf, nan = float("inf"), float("nan")
    for name, h, w, xy in [
        ("square", 10, 10, [1, 1, 8, 1, 8, 8, 1, 8]),
        ("triangle_subpixel", 7, 9, [0.1, 0.3, 6.7, 0.29, 3.35, 6.9]),
        ("degenerate_point", 5, 5, [2, 2, 2, 2, 2, 2]),
        ("collinear", 5, 5, [0, 0, 2, 2, 4, 4]),
        ("one_vertex", 5, 5, [1.5, 2.5]),
        ("two_vertices", 5, 5, [0, 0, 4, 4]),
        ("outside", 8, 8, [-5, -5, -1, -5, -1, -1]),
        ("covering", 8, 8, [-100, -100, 100, -100, 100, 100, -100, 100]),
        ("grid_boundaries", 6, 6, [0.1, 0.1, 2.9, 0.1, 4.9, 2.9, 0.3, 4.9]),
        ("negative_zero", 4, 4, [-0.0, -0.0, 3, 0, 3, 3]),
        ("at_limit", 16, 16, [1e6, 0, 0, 1e6, -1e6, -1e6]),
        ("beyond_limit", 16, 16, [1000000.0000000001, 0, 0, 1, 1, 1]),
        ("nan", 16, 16, [nan, 0, 1, 1, 2, 0]),
        ("inf", 16, 16, [0, 0, inf, 1, 2, 0]),
        ("tiny", 3, 3, [5e-324, 5e-324, 1e-300, 2, 2, 1e-300]),
        ("star", 32, 32, [16, 0, 20, 12, 32, 12, 22, 19, 26, 32, 16, 24, 6, 32, 10, 19, 0, 12,
                          12, 12]),
    ]:
        c.add("poly", name, poly_seed(h, w, xy))
    # large images: mode 7 (h = 1 + u16, w = 1 + (u16 & 0x1fff)), 15 (h from a u32),
    # 23 (swapped: wide)
    c.add("poly", "large_tall", poly_large_seed(7, 60000, 100, [0, 0, 90, 50000, 3, 59000]))
    c.add("poly", "large_beyond", poly_large_seed(15, 0, 4000, [0, 0, 9, 9, 0, 9],
                                                   struct.pack("<I", 4000000)))
    c.add("poly", "large_wide", poly_large_seed(23, 6000, 50, [10, 1, 5900, 20, 3000, 40]))
    c.add("poly", "max_pixels", poly_large_seed(15, 0, 0, [0, 0, 1, 0, 1, 1],
                                                 struct.pack("<I", 4294967295)))


# ---- gt_json ---------------------------------------------------------------------------

IMG = {"id": 7, "height": 4, "width": 5}
CAT = [{"id": 1, "name": "a"}]


def ann(**kw):
    a = {"id": 3, "image_id": 7, "category_id": 1, "iscrowd": 0, "area": 4, "bbox": [0, 0, 2, 2]}
    a.update(kw)
    return a


def gt_doc(anns, images=None, cats=None):
    return cjson({"images": [IMG] if images is None else images,
                  "categories": CAT if cats is None else cats, "annotations": anns})


def gt_corpus(c, rng):
    with open(os.path.join(ROOT, "data", "gt.json"), "rb") as f:
        c.add("gt_json", "sample_gt", f.read())
    gen = os.path.join(ROOT, "tests", "parity", "gen_coco.py")
    tmp = os.path.join(c.out, ".gen")
    for seed, profile in [(1, "tiny"), (2, "tiny"), (3, "tiny"), (4, "tiny"), (5, "ties"),
                          (6, "crowd_heavy"), (7, "bbox_only")]:
        subprocess.run([sys.executable, gen, "--seed", str(seed), "--profile", profile,
                        "--out", tmp], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(tmp, "gt.json"), "rb") as f:
            data = f.read()
        if len(data) <= 24000:
            c.add("gt_json", "gen_%s_%d" % (profile, seed), data)
    shutil.rmtree(tmp, ignore_errors=True)
    poly = [[0, 0, 4, 0, 4, 3]]
    cases = [
        ("minimal", gt_doc([])),
        ("no_annotations_key", cjson({"images": [IMG], "categories": CAT})),
        ("polygon", gt_doc([ann(segmentation=poly)])),
        ("multi_polygon", gt_doc([ann(segmentation=[[0, 0, 2, 0, 2, 2], [3, 1, 4.5, 1, 4, 3.9]])])),
        ("urle_crowd", gt_doc([ann(iscrowd=1, segmentation={"size": [4, 5], "counts": [6, 8, 6]})])),
        ("crle", gt_doc([ann(segmentation={"size": [4, 5], "counts": "61000;"})])),
        ("crle_escape", gt_doc([ann(segmentation={"size": [4, 5], "counts": "d0"})])),
        ("bool_crowd", gt_doc([ann(iscrowd=True, segmentation=poly)])),
        ("dup_ids", gt_doc([ann(segmentation=poly), ann(category_id=2, segmentation=poly)],
                           cats=[{"id": 1, "name": "a"}, {"id": 2, "name": "b"}])),
        ("dup_images", gt_doc([ann(segmentation=poly)],
                              images=[IMG, {"id": 7, "height": 6, "width": 5}])),
        ("orphan", gt_doc([ann(image_id=99, segmentation="not even checked")])),
        ("no_name_cat", gt_doc([], cats=[{"id": 4}, {"id": -2, "name": ""}])),
        ("big_image", gt_doc([ann(segmentation={"size": [65535, 65537],
                                                "counts": [0, 4294967295]})],
                             images=[{"id": 7, "height": 65535, "width": 65537}])),
        ("float_ids", gt_doc([ann(id=3.0, image_id=7.0, segmentation=poly)])),
        ("huge_id", gt_doc([ann(id=9007199254740992, segmentation=poly)])),
        ("area_float", gt_doc([ann(area=1e308, segmentation=poly)])),
        ("neg_box", gt_doc([ann(bbox=[-1, -2, -3, 0], segmentation=poly)])),
        ("unicode_names", cjson({"images": [IMG], "categories": [{"id": 1, "name": "\u00e9\u4e2d\\\""}],
                                 "annotations": []})),
        ("whitespace", "  \n\t{ \"images\" : [ ] ,\r\n \"categories\" : [ ] }  \n"),
        ("repeated_key", '{"images":[],"categories":[],"images":[' + cjson(IMG) + ']}'),
        ("truncated", gt_doc([ann(segmentation=poly)])[:-7]),
        ("trailing_garbage", gt_doc([]) + " x"),
        ("top_array", "[]"),
        ("empty", ""),
        ("nested_deep", '{"images":[],"categories":[],"info":' + "[" * 40 + "]" * 40 + "}"),
        ("string_escapes", '{"images":[],"categories":[{"id":1,"name":"\\u0000\\ud83d\\ude00\\n"}]}'),
        ("polygon_far", gt_doc([ann(segmentation=[[0, 0, 1e7, 0, 1, 1]])])),
        ("rle_bad_sum", gt_doc([ann(segmentation={"size": [4, 5], "counts": [3, 4]})])),
        ("rle_wrong_size", gt_doc([ann(segmentation={"size": [5, 4], "counts": "d0"})])),
    ]
    # LVIS files (the harness also loads every input with MASKEVAL_LOAD_LVIS)
    lvis_img = dict(IMG, neg_category_ids=[2], not_exhaustive_category_ids=[1])
    lvis_cats = [{"id": 1, "name": "a", "frequency": "f"}, {"id": 2, "name": "b", "frequency": "r"},
                 {"id": 3, "name": "c", "frequency": "c"}]
    lvis_ann = {"id": 3, "image_id": 7, "category_id": 1, "area": 4, "bbox": [0, 0, 2, 2],
                "segmentation": poly}
    cases += [
        ("lvis", gt_doc([lvis_ann, dict(lvis_ann, id=4, category_id=3, ignore=1),
                         dict(lvis_ann, id=5, area=0)], images=[lvis_img], cats=lvis_cats)),
        ("lvis_bad_freq", gt_doc([lvis_ann], images=[lvis_img],
                                 cats=[{"id": 1, "name": "a", "frequency": "x"}])),
    ]
    for name, text in cases:
        c.add("gt_json", name, text)


# ---- results_json (against the ground truth embedded in fuzz_results_json.c) -------

FIX_IMAGES = {1: (20, 30), 2: (16, 16), 7: (60, 80)}
FIX_CATS = [1, 3, 5]


def rand_mask(rng, h, w):
    m = np.zeros((h, w), bool)
    y0, x0 = rng.randrange(h), rng.randrange(w)
    m[y0:y0 + rng.randint(1, h), x0:x0 + rng.randint(1, w)] = True
    if rng.random() < 0.3:
        m[rng.randrange(h), rng.randrange(w)] = True
    return m


def rand_result(rng, fmt):
    img = rng.choice(list(FIX_IMAGES))
    h, w = FIX_IMAGES[img]
    r = {"image_id": img, "category_id": rng.choice(FIX_CATS + [2]),
         "score": round(rng.random(), rng.choice([1, 2, 6]))}
    box = [rng.randint(0, w - 1), rng.randint(0, h - 1), rng.randint(1, w), rng.randint(1, h)]
    if fmt in ("bbox", "bbox_rle", "bbox_poly"):
        r["bbox"] = box
    if fmt in ("segm", "bbox_rle"):
        r["segmentation"] = {"size": [h, w], "counts": encode_mask(rand_mask(rng, h, w))}
    if fmt == "bbox_poly":
        x, y, bw, bh = box
        r["segmentation"] = [[x, y, x + bw, y, x + bw / 2, y + bh]]
    return r


def results_corpus(c, rng):
    for fmt, n in [("segm", 1), ("segm", 4), ("segm", 12), ("bbox", 1), ("bbox", 5),
                   ("bbox", 20), ("bbox_rle", 3), ("bbox_rle", 8), ("bbox_poly", 3)]:
        c.add("results_json", "%s_%d" % (fmt, n), cjson([rand_result(rng, fmt) for _ in range(n)]))
    # exact matches of the ground truth boxes and masks (IoU 1 on thresholds)
    c.add("results_json", "exact_boxes", cjson([
        {"image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 8], "score": 0.9},
        {"image_id": 1, "category_id": 3, "bbox": [3, 5, 22, 13], "score": 0.9},
        {"image_id": 7, "category_id": 3, "bbox": [5, 10, 55, 40], "score": 0.5},
        {"image_id": 7, "category_id": 1, "bbox": [0, 0, 80, 60], "score": 0.5},
        {"image_id": 2, "category_id": 1, "bbox": [3, 0, 13, 12], "score": 0.5}]))
    c.add("results_json", "exact_masks", cjson([
        {"image_id": 2, "category_id": 1, "score": 0.7,
         "segmentation": {"size": [16, 16], "counts": "d18800000000000l1JZN00"}},
        {"image_id": 1, "category_id": 1, "score": 0.7, "segmentation": {"size": [20, 30],
         "counts": encode_mask(np.pad(np.ones((20, 10), bool), ((0, 0), (20, 0))))}}]))
    # mixed: first without bbox (segm branch), later ones with explicit boxes
    mixed = [rand_result(rng, "segm") for _ in range(4)]
    mixed[2]["bbox"] = [1, 1, 5, 5]
    c.add("results_json", "segm_mixed", cjson(mixed))
    # bbox branch without segmentation on some results (segm rasterizes the box)
    mb = [rand_result(rng, "bbox_rle"), rand_result(rng, "bbox"), rand_result(rng, "bbox")]
    c.add("results_json", "bbox_missing_segm", cjson(mb))
    # score ties and > 100 detections on one image
    many = [{"image_id": 7, "category_id": 3, "bbox": [i % 70, i % 50, 10, 10], "score": 0.5}
            for i in range(110)]
    c.add("results_json", "many_ties", cjson(many))
    for name, text in [
        ("empty", "[]"), ("empty_ws", " [ ]\n"), ("not_array", "{}"),
        ("unknown_image", cjson([{"image_id": 4, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])),
        ("nan_score", '[{"image_id":1,"category_id":1,"bbox":[0,0,1,1],"score":NaN}]'),
        ("empty_bbox_segm", cjson([{"image_id": 2, "category_id": 1, "bbox": [], "score": 0.1,
                                   "segmentation": {"size": [16, 16], "counts": "0`8"}}])),
        ("huge_box", cjson([{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1e200, 1e200],
                             "score": 0.3}])),
        ("far_box", cjson([{"image_id": 1, "category_id": 1, "bbox": [2e6, 0, 1, 1], "score": 0.3}])),
        ("negative_box", cjson([{"image_id": 1, "category_id": 1, "bbox": [5, 5, -3, -2],
                                 "score": -4}])),
        ("urle_in_segm", cjson([{"image_id": 2, "category_id": 1, "score": 0.1,
                                 "segmentation": {"size": [16, 16], "counts": [0, 256]}}])),
        ("wrong_size", cjson([{"image_id": 2, "category_id": 1, "score": 0.1,
                               "segmentation": {"size": [20, 30], "counts": "0`8"}}])),
        ("truncated", cjson([rand_result(rng, "segm")])[:-9]),
        ("trailing", cjson([rand_result(rng, "bbox")]) + "]"),
    ]:
        c.add("results_json", name, text)


# ---- png_labels ---------------------------------------------------------------------------

def png_chunk(tag, data):
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def pack_row(vals, depth, channels):
    if depth == 8:
        return bytes(v & 0xff for v in vals)
    if depth == 16:
        return b"".join(struct.pack(">H", v & 0xffff) for v in vals)
    out, acc, nbits = bytearray(), 0, 0
    for v in vals:
        acc = (acc << depth) | (v & ((1 << depth) - 1))
        nbits += depth
        if nbits == 8:
            out.append(acc)
            acc, nbits = 0, 0
    if nbits:
        out.append(acc << (8 - nbits))
    return bytes(out)


def make_png(w, h, depth, color, pixels, interlace=False, palette=None, extra=b"", filt=0):
    """pixels[y][x] (a tuple per pixel for colour types with several channels)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color]

    def rows(xs, ys):
        raw = b""
        for y in ys:
            vals = []
            for x in xs:
                p = pixels[y][x]
                vals.extend(p if isinstance(p, tuple) else (p,))
            raw += bytes([filt]) + pack_row(vals, depth, channels)
        return raw

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            xs, ys = list(range(x0, w, dx)), list(range(y0, h, dy))
            if xs and ys:
                raw += rows(xs, ys)
    else:
        raw = rows(list(range(w)), list(range(h)))
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, 1 if interlace else 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if palette is not None:
        out += png_chunk(b"PLTE", bytes(palette))
    out += extra + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b"")
    return out


def png_corpus(c, rng):
    for root, _, files in os.walk(os.path.join(ROOT, "tests", "data", "segmetrics")):
        for fn in sorted(files):
            if fn.endswith(".png"):
                with open(os.path.join(root, fn), "rb") as f:
                    c.add("png_labels", "fixture_" + fn, f.read())

    def pix(w, h, maxv):
        return [[rng.randint(0, maxv) for _ in range(w)] for _ in range(h)]

    for depth in (1, 2, 4, 8, 16):
        w, h = rng.randint(1, 13), rng.randint(1, 9)
        c.add("png_labels", "gray%d" % depth, make_png(w, h, depth, 0, pix(w, h, (1 << depth) - 1)))
        c.add("png_labels", "gray%d_adam7" % depth,
              make_png(w, h, depth, 0, pix(w, h, (1 << depth) - 1), interlace=True))
    for depth in (1, 2, 4, 8):
        w, h = rng.randint(1, 11), rng.randint(1, 7)
        n = 1 << depth
        pal = [rng.randrange(256) for _ in range(3 * n)]
        c.add("png_labels", "palette%d" % depth,
              make_png(w, h, depth, 3, pix(w, h, n - 1), palette=pal))
        c.add("png_labels", "palette%d_adam7" % depth,
              make_png(w, h, depth, 3, pix(w, h, n - 1), interlace=True, palette=pal,
                       extra=png_chunk(b"tRNS", bytes([0, 128]))))
    w, h = 6, 5
    c.add("png_labels", "palette_short_plte",
          make_png(w, h, 8, 3, pix(w, h, 200), palette=[1, 2, 3, 4, 5, 6]))
    c.add("png_labels", "rgb", make_png(3, 2, 8, 2, [[(1, 2, 3)] * 3] * 2))
    c.add("png_labels", "gray_alpha", make_png(3, 2, 8, 4, [[(7, 255)] * 3] * 2))
    c.add("png_labels", "rgba16", make_png(2, 2, 16, 6, [[(1, 2, 3, 4)] * 2] * 2))
    c.add("png_labels", "filters_paeth", make_png(9, 4, 8, 0, pix(9, 4, 255), filt=4))
    c.add("png_labels", "gamma_trns", make_png(4, 4, 16, 0, pix(4, 4, 65535),
                                               extra=png_chunk(b"gAMA", struct.pack(">I", 45455)) +
                                               png_chunk(b"tRNS", b"\x00\x07")))
    big = make_png(1, 1, 8, 0, [[0]])
    big = big[:16] + struct.pack(">II", 32768, 32768) + big[24:]  # CRC now wrong
    c.add("png_labels", "huge_header", big)
    c.add("png_labels", "truncated", make_png(8, 8, 8, 0, pix(8, 8, 255))[:60])
    c.add("png_labels", "not_png", b"GIF89a\x01\x00\x01\x00")
    # descriptions the harness turns into valid PNGs (first byte != 0x89):
    # selector, format index, options (bit 0 Adam7, bits 1-3 filter 0..4 / 5 mixed,
    # 0x08 tEXt, 0x10 tRNS, 0x20 gAMA, 0x40 two IDATs), zlib level, w-1, h-1, samples
    for fmt in range(12):
        opt = (fmt & 1) | (((fmt % 6) << 1) & 0x0e) | (0x40 if fmt % 3 == 0 else 0) | \
            (0x10 if fmt % 4 == 1 else 0)
        w, h = rng.randint(1, 17), rng.randint(1, 9)
        c.add("png_labels", "synth_fmt%d" % fmt,
              bytes([fmt * 7 % 64, fmt, opt, rng.randrange(10), w - 1, h - 1]) +
              bytes(rng.randrange(256) for _ in range(2 * w * h)))
    c.add("png_labels", "synth_wide", bytes([0x40, 3, 0x0b, 9]) + struct.pack("<H", 1999) +
          bytes([2]) + bytes(rng.randrange(256) for _ in range(64)))
    c.add("png_labels", "synth_corrupt", bytes([5, 8, 0x81, 6, 9, 9]) + bytes(range(100)))
    # Pillow-written files
    for mode, arr in [("L", np.arange(35, dtype=np.uint8).reshape(5, 7)),
                      ("I;16", (np.arange(12, dtype=np.uint16) * 5000).reshape(3, 4)),
                      ("1", np.eye(6, dtype=bool))]:
        b = io.BytesIO()
        Image.fromarray(arr).convert(mode).save(b, format="PNG")
        c.add("png_labels", "pillow_" + mode.replace(";", ""), b.getvalue())
    b = io.BytesIO()
    im = Image.fromarray(np.arange(20, dtype=np.uint8).reshape(4, 5) % 4, "P")
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    im.save(b, format="PNG", bits=2)
    c.add("png_labels", "pillow_P2", b.getvalue())


def luma_corpus(c, rng):
    """Cityscapes prediction masks: the fast path's layouts (8-bit gray, RGB,
    RGBA) with every filter type, as Pillow writes them, and the layouts only
    libspng reads."""
    def mask(w, h, fg, bg=0):
        m = [[bg] * w for _ in range(h)]
        y0, x0 = rng.randrange(h), rng.randrange(w)
        for y in range(y0, min(h, y0 + rng.randint(1, h))):
            for x in range(x0, min(w, x0 + rng.randint(1, w))):
                m[y][x] = fg
        return m

    for filt in range(5):
        w, h = rng.randint(9, 40), rng.randint(2, 9)
        c.add("png_luma", "gray8_f%d" % filt, make_png(w, h, 8, 0, mask(w, h, 255), filt=filt))
        c.add("png_luma", "rgb8_f%d" % filt,
              make_png(w, h, 8, 2, mask(w, h, (0, 0, 142), (1, 0, 0)), filt=filt))
        c.add("png_luma", "rgba8_f%d" % filt,
              make_png(w, h, 8, 6, mask(w, h, (220, 20, 60, 7), (0, 0, 4, 255)), filt=filt))
    c.add("png_luma", "gray8_noise", make_png(33, 5, 8, 0, [[rng.choice([0, 0, 0, 1, 255])
                                                           for _ in range(33)] for _ in range(5)]))
    for mode in ("L", "RGB", "RGBA"):
        a = np.zeros((12, 70), np.uint8)
        a[3:9, 5:61] = 255
        a[5, 20:30] = 0
        b = io.BytesIO()
        Image.fromarray(a).convert(mode).save(b, format="PNG")
        c.add("png_luma", "pillow_" + mode, b.getvalue())
    c.add("png_luma", "gray16", make_png(6, 3, 16, 0, mask(6, 3, 256)))
    c.add("png_luma", "gray1", make_png(19, 3, 1, 0, mask(19, 3, 1)))
    c.add("png_luma", "palette8", make_png(7, 4, 8, 3, mask(7, 4, 2), palette=[0, 0, 0, 1, 0, 0,
                                                                              0, 0, 142]))
    c.add("png_luma", "gray_alpha", make_png(5, 3, 8, 4, mask(5, 3, (9, 0), (0, 255))))
    c.add("png_luma", "gray8_adam7", make_png(11, 9, 8, 0, mask(11, 9, 3), interlace=True))
    c.add("png_luma", "gray8_trns", make_png(8, 3, 8, 0, mask(8, 3, 5),
                                             extra=png_chunk(b"tRNS", b"\x00\x05")))


# ---- cli_args: mode byte, arguments separated by NUL ----------------------------------------

def cli_seed(mode, args):
    return bytes([mode]) + b"\0".join(a.encode("utf-8") if isinstance(a, str) else a for a in args)


def cli_corpus(c, rng):
    coco = [
        ["--gt", "gt.json", "--dt", "dt.json", "--iou-type", "segm"],
        ["--gt=gt.json", "--dt=dt.json", "--iou-type=bbox", "--json", "-", "--quiet"],
        ["--gt", "g", "--dt", "d", "--iou-type", "bbox", "--max-dets", "1,10,100,1000",
         "--iou-thrs", "0.5,0.75", "--area-rng", "0:1e10,0:1024,1024:9216,9216:1e10"],
        ["--gt", "g", "--dt", "d", "--iou-type", "segm", "--img-ids", "1,2,-3", "--cat-ids", "4",
         "--no-cats", "--timing", "--dump-arrays", "a.json"],
        ["--gt", "g", "--dt", "d", "--iou-type", "segm", "--backend", "cpu", "--device", "0",
         "--threads", "256", "--max-device-mem", "256M"],
        ["--help"],
        ["--iou-type", "mask"],
        ["--max-dets", "1,2"],
        ["--gt"],
        ["positional"],
        ["--no-cats=1"],
        ["--gt", "\u00e9\"\\\n\t", "--dt", "\x01\x7f", "--iou-type", "segm"],
        ["--iou-thrs", "nan"],
        ["--max-device-mem", "18446744073709551615G"],
    ]
    for i, a in enumerate(coco):
        c.add("cli_args", "coco_%d" % i, cli_seed(0, a))
    c.add("cli_args", "coco_env_device",
          cli_seed(4, ["--gt", "g", "--dt", "d", "--iou-type", "segm", "3"]))
    c.add("cli_args", "coco_env_bad", cli_seed(4, ["--gt", "g", "--dt", "d", "--iou-type", "segm",
                                                   "x1"]))
    sem = [
        ["--gt", "gt", "--pred", "pred", "--num-classes", "19"],
        ["--gt", "gt", "--pred", "pred", "--num-classes", "150", "--reduce-zero-label",
         "--ignore-index", "-1", "--label-map", "cityscapes", "--pred-label-map", "map.json",
         "--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_pred", "--strict", "--json", "-"],
        ["--num-classes", "0"],
        ["--num-classes", "65536", "--gt", "a", "--pred", "b"],
        ["--help"],
        ["--ignore-index", "-2"],
        ["--gt", "a", "--pred", "b", "--num-classes", "3", "--backend", "opencl", "--threads", "x"],
    ]
    for i, a in enumerate(sem):
        c.add("cli_args", "semantic_%d" % i, cli_seed(1, a))
    c.add("cli_args", "devices", cli_seed(2, []))
    c.add("cli_args", "devices_help", cli_seed(2, ["--help"]))


# ---- json_fast: mode byte 0 + a document, 1 + a number, 3 + bytes mapped to a number ---

def json_fast_corpus(c, rng):
    docs = [
        ("result", cjson({"image_id": 1, "category_id": 3, "bbox": [1.5, 2, 3e2, -0.0],
                          "score": 0.123456789012345678,
                          "segmentation": {"size": [16, 16], "counts": "d18800000000000l1JZN00"}})),
        ("escapes", '{"a\\u0041\\n":"\\ud83d\\ude00\\/\\b\\f\\r\\t\\"\\\\","":[]}'),
        ("nul_escape", '{"k\\u0000x":"v\\u0000w"}'),
        ("lone_surrogate", '["\\ud800", "\\udc00x"]'),
        ("literals", '[true,false,null,-0,0,1,-1,1e5,1E-5,0.5e+3]'),
        ("python_ext", '[NaN, Infinity, -Infinity]'),
        ("bad_numbers", '[01, 1., .5, +1, -, 1e, 0x10]'),
        ("ws", ' \t\n\r{ "a" : [ 1 , 2 ] }\r\n'),
        ("deep", "[" * 999 + "]" * 999),
        ("too_deep", "[" * 1001 + "]" * 1001),
        ("control_char", '"a\x01b"'),
        ("trailing", '{} {}'),
        ("dup_keys", '{"x":1,"x":2}'),
        ("utf8", '"\u00e9\u4e2d\U0001F600"'.encode("utf-8").decode("unicode_escape")),
    ]
    for name, d in docs:
        c.add("json_fast", "doc_" + name, b"\0" + d.encode("utf-8"))
    nums = ["0", "-0", "0.1", "0.30000000000000004", "1e22", "1e23", "9007199254740993",
            "123456789012345678", "1234567890123456789012", "2.2250738585072011e-308",
            "2.2250738585072014e-308", "4.9e-324", "2.4703282292062328e-324",
            "1.7976931348623157e308", "1.7976931348623159e308", "1e-27", "1e27", "1e28",
            "0.000000000000000000000000001", "1.00000000000000011102230246251565404236316680908203125",
            "9223372036854775807", "18446744073709551615", "1.5e-10", "-123.456e-7",
            "7.2057594037927933e16", "0.1e1", "100000000000000000000000e-23"]
    for i, n in enumerate(nums):
        c.add("json_fast", "num_%d" % i, b"\1" + n.encode())
    alphabet = "0123456789.eE-+"
    for i, n in enumerate(["3.14159e-5", "-12345678901234567890", "9.999999999999999e22"]):
        c.add("json_fast", "mapped_%d" % i, b"\3" + bytes(alphabet.index(ch) for ch in n))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(HERE, "corpus"))
    args = ap.parse_args()
    for h in HARNESSES:
        shutil.rmtree(os.path.join(args.out, h), ignore_errors=True)
    c = Corpus(args.out)
    rle_corpus(c, random.Random(1))
    poly_corpus(c, random.Random(2))
    gt_corpus(c, random.Random(3))
    results_corpus(c, random.Random(4))
    png_corpus(c, random.Random(5))
    cli_corpus(c, random.Random(6))
    json_fast_corpus(c, random.Random(7))
    luma_corpus(c, random.Random(8))
    total = 0
    for h in HARNESSES:
        d = os.path.join(args.out, h)
        size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
        total += size
        print("%-13s %3d files %7d bytes" % (h, c.count.get(h, 0), size))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
