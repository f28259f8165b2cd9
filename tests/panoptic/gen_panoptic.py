#!/usr/bin/env python3
"""Deterministic generator of COCO-panoptic test sets for `maskeval panoptic`.

    gen_panoptic.py --seed N --out DIR [--profile edge|quirks|nostuff|random|large]

Writes DIR/gt.json, DIR/gt/*.png, DIR/pred.json, DIR/pred/*.png.
PNGs are 8-bit RGB, segment id = R + 256*G + 65536*B, id 0 = VOID.
All randomness comes from one random.Random(seed); numpy is only used to build
arrays and Pillow only to write the PNGs, so the output is byte-identical for a
given seed / profile / Pillow zlib.

Profiles (see tests/panoptic/REFERENCE.md for what every image exercises):
  edge     hand-built images, one scenario each (crowd, void, IoU 0.5, ...)
  quirks   inputs the reference accepts silently but that are unusual
           (GT ids missing from segments_info, phantom GT segments, GT
           categories missing from `categories`, float / wrong `area`, ...)
  nostuff  no stuff category ever occurs -> reference divides by zero (Stuff)
  random   realistic-looking data: blobs / rectangles / polygons, predictions
           are perturbed GT plus noise, small images (<= 160x120)
  large    like random, 4 images at 480x640, 375x500, 300x400, 427x640
"""
import argparse
import json
import math
import os
import random

import numpy as np
from PIL import Image


# ----------------------------------------------------------------------------
# helpers

def id2rgb(ids):
    ids = np.asarray(ids, dtype=np.uint32)
    rgb = np.zeros(ids.shape + (3,), dtype=np.uint8)
    rgb[..., 0] = ids & 255
    rgb[..., 1] = (ids >> 8) & 255
    rgb[..., 2] = (ids >> 16) & 255
    return rgb


def write_png(path, ids):
    Image.fromarray(id2rgb(ids), mode="RGB").save(path, format="PNG", optimize=True)


def bbox_of(mask):
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return [0, 0, 0, 0]
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


class SetWriter:
    """Collects images and writes the COCO panoptic set."""

    def __init__(self, out, categories):
        self.out = out
        self.categories = categories
        self.images = []
        self.gt_anns = []
        self.pred_anns = []
        os.makedirs(os.path.join(out, "gt"), exist_ok=True)
        os.makedirs(os.path.join(out, "pred"), exist_ok=True)

    def add(self, image_id, name, gt, gt_segs, pred, pred_segs, pred_file_name=None):
        """gt / pred: uint32 id arrays of equal shape.
        gt_segs: list of dicts {id, category_id, iscrowd[, area][, area_delta]}
                 (area defaults to the PNG pixel count; area_delta is added to it).
        pred_segs: list of dicts {id, category_id} (extra keys are written as is)."""
        h, w = gt.shape
        assert pred.shape == gt.shape
        self.images.append({"id": image_id, "file_name": name + ".jpg", "height": h, "width": w})
        infos = []
        for s in gt_segs:
            m = gt == s["id"]
            cnt = int(m.sum())
            area = s.get("area", cnt + s.get("area_delta", 0))
            info = {"id": s["id"], "category_id": s["category_id"], "iscrowd": s.get("iscrowd", 0),
                    "area": area, "bbox": bbox_of(m)}
            infos.append(info)
        gname = name + ".png"
        write_png(os.path.join(self.out, "gt", gname), gt)
        self.gt_anns.append({"image_id": image_id, "file_name": gname, "segments_info": infos})
        pname = pred_file_name or gname
        write_png(os.path.join(self.out, "pred", pname), pred)
        self.pred_anns.append({"image_id": image_id, "file_name": pname,
                               "segments_info": [dict(s) for s in pred_segs]})

    def finish(self, rng, shuffle_pred=True, extra_pred_anns=()):
        pred_anns = list(self.pred_anns) + list(extra_pred_anns)
        if shuffle_pred:
            rng.shuffle(pred_anns)  # pairing is by image_id, never by position
        gt = {"info": {"description": "maskeval panoptic fixture"}, "images": self.images,
              "annotations": self.gt_anns, "categories": self.categories}
        with open(os.path.join(self.out, "gt.json"), "w") as f:
            json.dump(gt, f, indent=1)
        with open(os.path.join(self.out, "pred.json"), "w") as f:
            json.dump({"annotations": pred_anns}, f, indent=1)


def cat(cid, name, isthing):
    return {"id": cid, "name": name, "supercategory": "thing" if isthing else "stuff",
            "isthing": 1 if isthing else 0, "color": [(cid * 37) % 256, (cid * 91) % 256, (cid * 53) % 256]}


def canvas(h, w, fill=0):
    return np.full((h, w), fill, dtype=np.uint32)


def rect(a, r0, r1, c0, c1, v):
    """inclusive row/col ranges"""
    a[r0:r1 + 1, c0:c1 + 1] = v


# ----------------------------------------------------------------------------
# edge profile

EDGE_CATS = [
    # deliberately not sorted by id: the reference averages in this list order
    cat(200, "wall", False),
    cat(1, "person", True),
    cat(2, "car", True),
    cat(3, "bicycle", True),      # never occurs
    cat(10, "sky", False),
    cat(11, "road", False),
    cat(12, "grass", False),      # never occurs
]


def gen_edge(out, rng):
    W = SetWriter(out, EDGE_CATS)
    P, C, SKY, ROAD, WALL = 1, 2, 10, 11, 200

    # e01 crowd: pred fully / mostly / exactly half / just under half inside a
    # person crowd; pred of another category inside the crowd is not shielded.
    gt = canvas(12, 14)
    rect(gt, 0, 5, 0, 13, 70000)          # person crowd, 84 px
    rect(gt, 6, 11, 0, 13, 16777215)      # road, 84 px
    pr = canvas(12, 14)
    rect(pr, 6, 11, 0, 13, 0xFFFFFE)      # road pred
    rect(pr, 0, 1, 0, 3, 65536)           # 8 px, all in crowd -> ignored
    rect(pr, 4, 7, 5, 6, 256)             # 8 px, 4 in crowd (rows 4,5) exactly half -> FP
    pr[3:6, 8] = 257; pr[6:10, 8] = 257   # 7 px, 3 in crowd -> just under half -> FP
    pr[2:6, 10] = 258; pr[6:9, 10] = 258  # 7 px, 4 in crowd -> mostly -> ignored
    rect(pr, 0, 1, 12, 13, 259)           # car, 4 px fully in person crowd -> FP
    W.add(1, "e01_crowd", gt,
          [{"id": 70000, "category_id": P, "iscrowd": 1}, {"id": 16777215, "category_id": ROAD}],
          pr, [{"id": 0xFFFFFE, "category_id": ROAD}, {"id": 65536, "category_id": P},
               {"id": 256, "category_id": P}, {"id": 257, "category_id": P},
               {"id": 258, "category_id": P}, {"id": 259, "category_id": C}])

    # e02 two crowd segments of one category: only the LAST one in segments_info
    # shields predictions (crowd_labels_dict keeps the last id).
    gt = canvas(9, 16)
    rect(gt, 0, 8, 0, 7, 1)               # crowd A (listed first)
    rect(gt, 0, 8, 8, 15, 2)              # crowd B (listed second)
    pr = canvas(9, 16)
    rect(pr, 1, 3, 1, 3, 11)              # in crowd A only -> FP
    rect(pr, 1, 3, 10, 12, 12)            # in crowd B only -> ignored
    rect(pr, 5, 7, 6, 9, 13)              # 12 px: 6 in A, 6 in B -> 6/12 from B -> FP
    rect(pr, 5, 7, 11, 13, 14)            # stuff pred (sky) in a person crowd -> FP
    W.add(2, "e02_two_crowds", gt,
          [{"id": 1, "category_id": P, "iscrowd": 1}, {"id": 2, "category_id": P, "iscrowd": 1}],
          pr, [{"id": 11, "category_id": P}, {"id": 12, "category_id": P},
               {"id": 13, "category_id": P}, {"id": 14, "category_id": SKY}])

    # e03 VOID in GT: pred mostly / exactly half / just under half on VOID,
    # and void + crowd adding up.
    gt = canvas(10, 20)
    rect(gt, 0, 9, 0, 9, 0)               # left half VOID
    rect(gt, 0, 4, 10, 19, 0x00FF00)      # sky (65280)
    rect(gt, 5, 9, 10, 14, 0x0000FF)      # car crowd (255), 25 px
    rect(gt, 5, 9, 15, 19, 0xFF0000)      # car (16711680), 25 px
    pr = canvas(10, 20)
    rect(pr, 0, 4, 10, 19, 0x010101)      # sky = GT sky -> TP 1.0
    rect(pr, 0, 2, 0, 2, 0x020000)        # car 9 px all void -> ignored
    rect(pr, 5, 5, 6, 13, 0x030000)       # car 8 px: 4 void, 4 crowd -> 8/8 ignored
    rect(pr, 7, 7, 7, 10, 0x040000)       # car 4 px: 3 void + 1 crowd = 4/4 ignored
    rect(pr, 9, 9, 8, 11, 0x050000)       # person 4 px: 2 void, 2 in car crowd -> 2/4 FP
    # person 6 px: 3 void + 3 sky -> exactly half -> FP
    rect(pr, 0, 0, 7, 12, 0x060000)       # cols 7..9 void (3), 10..12 sky (3) -> FP
    rect(pr, 1, 1, 6, 12, 0x070000)       # 7 px: 4 void, 3 sky -> mostly void -> ignored
    rect(pr, 2, 2, 7, 13, 0x080000)       # 7 px: 3 void, 4 sky -> just under half -> FP
    rect(pr, 6, 8, 15, 19, 0x090000)      # car 15 px inside GT car (25) -> IoU 0.6 TP
    W.add(3, "e03_void", gt,
          [{"id": 0x00FF00, "category_id": SKY}, {"id": 0x0000FF, "category_id": C, "iscrowd": 1},
           {"id": 0xFF0000, "category_id": C}],
          pr, [{"id": 0x010101, "category_id": SKY}, {"id": 0x020000, "category_id": C},
               {"id": 0x030000, "category_id": C}, {"id": 0x040000, "category_id": C},
               {"id": 0x050000, "category_id": P}, {"id": 0x060000, "category_id": P},
               {"id": 0x070000, "category_id": P}, {"id": 0x080000, "category_id": P},
               {"id": 0x090000, "category_id": C}])

    # e04 IoU exactly 0.5 (not a match) and just above / just below.
    gt = canvas(21, 23)
    rect(gt, 0, 9, 0, 9, 5)               # person g1 100 px
    rect(gt, 0, 9, 12, 21, 6)             # person g2 100 px
    rect(gt, 11, 20, 0, 19, 7)            # car g3 200 px
    gt[11:21, 20:23] = 8                  # wall 30 px
    gt[0:11, 22] = 0; gt[10, :] = 0       # void row / column
    pr = canvas(21, 23)
    rect(pr, 0, 4, 0, 9, 105)             # 50 px inside g1: IoU 50/100 = 0.5 -> FN+FP
    rect(pr, 0, 4, 12, 21, 106); pr[5, 12] = 106   # 51 px inside g2: 0.51 -> TP
    rect(pr, 11, 15, 0, 19, 107)          # 100 px inside g3
    pr[16, 0] = 107                       # +1 inside g3 (101)
    pr[10, 0] = 107                       # +1 on VOID: union 102+200-101-1 = 200 -> 101/200 TP
    rect(pr, 11, 20, 20, 22, 108)         # wall exact
    W.add(4, "e04_iou_half", gt,
          [{"id": 5, "category_id": P}, {"id": 6, "category_id": P},
           {"id": 7, "category_id": C}, {"id": 8, "category_id": WALL}],
          pr, [{"id": 105, "category_id": P}, {"id": 106, "category_id": P},
               {"id": 107, "category_id": C}, {"id": 108, "category_id": WALL}])

    # e05 IoU exactly 0.5 after VOID subtraction, and 99/200 just below.
    gt = canvas(12, 20)
    rect(gt, 0, 9, 0, 19, 9)              # car 200 px
    pr = canvas(12, 20)
    rect(pr, 0, 4, 0, 19, 109)            # 100 px in car
    rect(pr, 10, 11, 0, 9, 109)           # +20 px on VOID: union 120+200-100-20 = 200 -> 0.5
    W.add(5, "e05_half_void", gt, [{"id": 9, "category_id": C}],
          pr, [{"id": 109, "category_id": C}])

    # e06 tiny 1-pixel segments: matched, unmatched GT, unmatched pred.
    gt = canvas(5, 7)
    gt[:, :] = 20                         # sky
    gt[1, 1] = 21                         # person 1 px
    gt[3, 5] = 22                         # person 1 px (no pred -> FN)
    pr = canvas(5, 7)
    pr[:, :] = 120
    pr[1, 1] = 121                        # exact -> TP 1.0
    pr[0, 6] = 123                        # person 1 px on sky -> FP
    pr[3, 5] = 120                        # sky pred covers the missed person
    W.add(6, "e06_tiny", gt,
          [{"id": 20, "category_id": SKY}, {"id": 21, "category_id": P}, {"id": 22, "category_id": P}],
          pr, [{"id": 120, "category_id": SKY}, {"id": 121, "category_id": P}, {"id": 123, "category_id": P}])

    # e07 image-sized segments (exact match, odd size).
    gt = canvas(13, 11, 16777215)
    pr = canvas(13, 11, 1)
    W.add(7, "e07_full_match", gt, [{"id": 16777215, "category_id": ROAD}],
          pr, [{"id": 1, "category_id": ROAD}])

    # e08 image-sized segments with category mismatch -> FN + FP.
    gt = canvas(7, 9, 300)
    pr = canvas(7, 9, 400)
    W.add(8, "e08_full_mismatch", gt, [{"id": 300, "category_id": SKY}],
          pr, [{"id": 400, "category_id": WALL}])

    # e09 category mismatch between things, same pixels.
    gt = canvas(8, 8, 31)
    rect(gt, 2, 5, 2, 5, 32)              # person
    pr = canvas(8, 8, 131)
    rect(pr, 2, 5, 2, 5, 132)             # car on the person -> FN person, FP car
    W.add(9, "e09_cat_mismatch", gt, [{"id": 31, "category_id": WALL}, {"id": 32, "category_id": P}],
          pr, [{"id": 131, "category_id": WALL}, {"id": 132, "category_id": C}])

    # e10 prediction with zero segments (all VOID) -> every non-crowd GT is FN.
    gt = canvas(6, 10, 41)
    rect(gt, 0, 2, 0, 4, 42)
    rect(gt, 3, 5, 5, 9, 43)              # crowd car -> not FN
    pr = canvas(6, 10)
    W.add(10, "e10_empty_pred", gt,
          [{"id": 41, "category_id": SKY}, {"id": 42, "category_id": P},
           {"id": 43, "category_id": C, "iscrowd": 1}], pr, [])

    # e11 GT all VOID with no segments; predictions all ignored.
    gt = canvas(6, 6)
    pr = canvas(6, 6)
    rect(pr, 0, 2, 0, 5, 51)
    rect(pr, 3, 5, 0, 2, 52)
    W.add(11, "e11_gt_void", gt, [], pr,
          [{"id": 51, "category_id": SKY}, {"id": 52, "category_id": P}])

    # e12 GT JSON `area` differs from the PNG count: the JSON value is used.
    gt = canvas(10, 10, 61)
    rect(gt, 0, 3, 0, 4, 62)              # person 20 px, JSON area 40 -> IoU 20/40 = 0.5 -> no match
    rect(gt, 5, 9, 0, 5, 63)              # person 30 px, JSON 31 -> IoU 30/31
    rect(gt, 0, 3, 6, 9, 64)              # car 16 px, JSON 15 -> IoU 16/15 > 1 (!)
    pr = canvas(10, 10, 161)
    rect(pr, 0, 3, 0, 4, 162)
    rect(pr, 5, 9, 0, 5, 163)
    rect(pr, 0, 3, 6, 9, 164)
    W.add(12, "e12_json_area", gt,
          [{"id": 61, "category_id": ROAD, "area_delta": -2},
           {"id": 62, "category_id": P, "area_delta": 20},
           {"id": 63, "category_id": P, "area_delta": 1},
           {"id": 64, "category_id": C, "area_delta": -1}],
          pr, [{"id": 161, "category_id": ROAD}, {"id": 162, "category_id": P},
               {"id": 163, "category_id": P}, {"id": 164, "category_id": C}])

    # e13 several preds on one GT (none > 0.5), unmatched GT and pred, crowd
    # stuff, crowd vs non-crowd of one category overlapped by one pred.
    gt = canvas(15, 17, 71)               # sky
    rect(gt, 0, 5, 0, 5, 72)              # person 36
    rect(gt, 8, 14, 0, 6, 73)             # person crowd 49
    rect(gt, 8, 14, 7, 10, 74)            # person 28 (next to crowd)
    rect(gt, 0, 4, 10, 16, 75)            # car 35, never predicted -> FN
    rect(gt, 8, 14, 12, 16, 76)           # road crowd 35
    pr = canvas(15, 17, 171)
    rect(pr, 0, 5, 0, 2, 172)             # 18 px of g72 -> 0.5 -> FP
    rect(pr, 0, 5, 3, 5, 173)             # 18 px of g72 -> FP
    rect(pr, 8, 14, 5, 10, 174)           # 42 px: 14 crowd + 28 g74 -> IoU 28/42 TP
    rect(pr, 8, 14, 12, 16, 176)          # road pred exactly on road crowd -> ignored
    rect(pr, 6, 6, 11, 16, 177)           # car 6 px on sky -> FP
    W.add(13, "e13_misc", gt,
          [{"id": 71, "category_id": SKY}, {"id": 72, "category_id": P},
           {"id": 73, "category_id": P, "iscrowd": 1}, {"id": 74, "category_id": P},
           {"id": 75, "category_id": C}, {"id": 76, "category_id": ROAD, "iscrowd": 1}],
          pr, [{"id": 171, "category_id": SKY}, {"id": 172, "category_id": P},
               {"id": 173, "category_id": P}, {"id": 174, "category_id": P},
               {"id": 176, "category_id": ROAD}, {"id": 177, "category_id": C}])

    # e14 prediction VOID on GT segments (pred-side VOID is never subtracted),
    # all-three-byte ids.
    gt = canvas(11, 13, 0x123456)
    rect(gt, 0, 10, 0, 5, 0xABCDEF)       # wall 66 px
    pr = canvas(11, 13, 0xFEDCBA)
    rect(pr, 0, 10, 0, 5, 0)              # pred VOID over the wall -> FN wall
    rect(pr, 0, 10, 6, 7, 0)              # pred VOID on part of road
    rect(pr, 0, 0, 0, 0, 0x010203)        # wall 1 px -> 1/66 -> FP
    W.add(14, "e14_pred_void", gt,
          [{"id": 0x123456, "category_id": ROAD}, {"id": 0xABCDEF, "category_id": WALL}],
          pr, [{"id": 0xFEDCBA, "category_id": ROAD}, {"id": 0x010203, "category_id": WALL}])

    # e15 random-ish blobs on an odd-size image to mix it all.
    gt, gsegs, pr, psegs = random_image(rng, 37, 29, RANDOM_THINGS_EDGE, RANDOM_STUFF_EDGE)
    W.add(15, "e15_blobs", gt, gsegs, pr, psegs)

    W.finish(rng)


RANDOM_THINGS_EDGE = [1, 2]
RANDOM_STUFF_EDGE = [10, 11, 200]


# ----------------------------------------------------------------------------
# quirks profile: accepted by the reference, unusual

def gen_quirks(out, rng):
    cats = [cat(1, "person", True), cat(2, "car", True), cat(10, "sky", False), cat(11, "road", False)]
    W = SetWriter(out, cats)
    P, C, SKY, ROAD = 1, 2, 10, 11

    # q01 GT PNG id absent from segments_info: treated like VOID for matching
    # but NOT subtracted from the union and NOT counted as ignored area for FPs.
    gt = canvas(8, 10, 1)
    rect(gt, 0, 3, 0, 4, 999)             # id 999 not listed
    rect(gt, 4, 7, 0, 4, 2)               # person 20
    pr = canvas(8, 10, 101)
    rect(pr, 0, 3, 0, 4, 102)             # person on unlisted id -> FP (not ignored)
    rect(pr, 4, 7, 0, 4, 103); pr[3, 0:4] = 103   # 24 px: 20 on g2, 4 on unlisted -> IoU 20/24 TP
    W.add(1, "q01_unlisted_gt_id", gt,
          [{"id": 1, "category_id": SKY}, {"id": 2, "category_id": P}],
          pr, [{"id": 101, "category_id": SKY}, {"id": 102, "category_id": P}, {"id": 103, "category_id": P}])

    # q02 phantom GT segment (in segments_info, no pixels) -> FN;
    # GT segment whose category is not in `categories` -> silently dropped;
    # float `area` in JSON; iscrowd = 2 (only == 1 means crowd).
    gt = canvas(9, 9, 11)
    rect(gt, 0, 2, 0, 2, 12)              # person, area written as float
    rect(gt, 4, 8, 4, 8, 13)              # category 77 (unknown)
    rect(gt, 6, 8, 0, 2, 14)              # car iscrowd 2 -> ordinary GT
    pr = canvas(9, 9, 111)
    rect(pr, 0, 2, 0, 2, 112)
    rect(pr, 4, 8, 4, 8, 113)             # car on the unknown-category GT -> FP car
    rect(pr, 6, 8, 0, 2, 114)             # car exact on iscrowd=2 -> TP
    gsegs = [{"id": 11, "category_id": SKY}, {"id": 12, "category_id": P, "area": 9.0},
             {"id": 13, "category_id": 77}, {"id": 14, "category_id": C, "iscrowd": 2},
             {"id": 15, "category_id": P, "area": 12}]   # phantom
    W.add(2, "q02_phantom_unknown", gt, gsegs,
          pr, [{"id": 111, "category_id": SKY}, {"id": 112, "category_id": P},
               {"id": 113, "category_id": C}, {"id": 114, "category_id": C}])

    # q03 prediction file_name differs from GT file_name; pred segments_info
    # carries a wrong `area` and extra keys (ignored: area recomputed from PNG).
    gt = canvas(6, 7, 21)
    rect(gt, 1, 4, 1, 3, 22)
    pr = canvas(6, 7, 121)
    rect(pr, 1, 4, 1, 4, 122)             # 16 px vs 12 -> IoU 12/16
    W.add(3, "q03_renamed_pred", gt, [{"id": 21, "category_id": ROAD}, {"id": 22, "category_id": P}],
          pr, [{"id": 121, "category_id": ROAD, "area": 1, "iscrowd": 1, "score": 0.3},
               {"id": 122, "category_id": P, "area": 1000, "bbox": [0, 0, 1, 1]}],
          pred_file_name="other_name_q03.png")

    # q04 GT segment whose PNG id equals BOUNDARY_ID of boundary-iou-api
    # (max category id + 1 = 12): in boundary mode interiors of previously
    # processed GT segments are relabelled 12 and then merged into it.
    gt = canvas(12, 12, 12)               # sky with id 12 (== BOUNDARY_ID)
    rect(gt, 2, 9, 2, 9, 40)              # road 64 px, listed BEFORE id 12
    pr = canvas(12, 12, 140)
    rect(pr, 2, 9, 2, 9, 141)
    W.add(4, "q04_boundary_id_collision", gt,
          [{"id": 40, "category_id": ROAD}, {"id": 12, "category_id": SKY}],
          pr, [{"id": 140, "category_id": SKY}, {"id": 141, "category_id": ROAD}])

    # q05 GT json lists the same image twice? (not done: it would be a second
    # annotation with the same image_id; the reference would simply evaluate it
    # twice.)  Instead: extra prediction annotations for image ids that are not
    # in the GT are ignored (no error), see finish() below.
    gt = canvas(5, 5, 31)
    pr = canvas(5, 5, 131)
    W.add(5, "q05_plain", gt, [{"id": 31, "category_id": SKY}], pr, [{"id": 131, "category_id": SKY}])

    # q06 JSON `area` far too small: two predictions both get IoU > 0.5 with
    # one GT segment and BOTH count as TP (the reference never checks whether a
    # GT segment is already matched; uniqueness only holds for true areas).
    gt = canvas(6, 8, 51)
    rect(gt, 0, 3, 0, 4, 52)              # person 20 px, JSON area 2
    pr = canvas(6, 8, 151)
    rect(pr, 0, 1, 0, 4, 152)             # 10 px: IoU 10 / (10 + 2 - 10) = 5.0
    rect(pr, 2, 3, 0, 4, 153)             # 10 px: IoU 5.0
    W.add(6, "q06_double_match", gt,
          [{"id": 51, "category_id": ROAD}, {"id": 52, "category_id": P, "area": 2}],
          pr, [{"id": 151, "category_id": ROAD}, {"id": 152, "category_id": P}, {"id": 153, "category_id": P}])

    extra = [{"image_id": 9999, "file_name": "does_not_exist.png",
              "segments_info": [{"id": 5, "category_id": 1}]}]
    W.finish(rng, extra_pred_anns=extra)


def gen_nostuff(out, rng):
    cats = [cat(1, "person", True), cat(2, "car", True), cat(10, "sky", False)]
    W = SetWriter(out, cats)
    gt = canvas(6, 8)
    rect(gt, 0, 3, 0, 3, 1)
    rect(gt, 0, 3, 4, 7, 2)
    pr = canvas(6, 8)
    rect(pr, 0, 3, 0, 2, 101)             # 12/16 TP
    rect(pr, 4, 5, 4, 7, 102)             # car on VOID -> ignored
    W.add(1, "n01", gt, [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 2}],
          pr, [{"id": 101, "category_id": 1}, {"id": 102, "category_id": 2}])
    W.finish(rng)


# ----------------------------------------------------------------------------
# random profile

RANDOM_CATS = [
    cat(1, "person", True), cat(2, "bicycle", True), cat(3, "car", True), cat(5, "bus", True),
    cat(18, "dog", True), cat(44, "bottle", True), cat(90, "toothbrush", True),   # 90 never occurs
    cat(100, "sky", False), cat(101, "road", False), cat(102, "grass", False),
    cat(118, "wall", False), cat(150, "snow", False),                              # 150 never occurs
]
RANDOM_THINGS = [1, 2, 3, 5, 18, 44]
RANDOM_STUFF = [100, 101, 102, 118]


def shape_mask(rng, h, w, kind=None, scale=1.0):
    yy, xx = np.mgrid[0:h, 0:w]
    kind = kind or rng.choice(["blob", "rect", "poly"])
    cy, cx = rng.uniform(0, h), rng.uniform(0, w)
    ry = max(0.6, rng.uniform(0.05, 0.35) * h * scale)
    rx = max(0.6, rng.uniform(0.05, 0.35) * w * scale)
    if kind == "rect":
        return (np.abs(yy - cy) <= ry) & (np.abs(xx - cx) <= rx)
    if kind == "blob":
        # ellipse with a wobbly radius
        ang = np.arctan2(yy - cy, xx - cx)
        k1, k2 = rng.randint(2, 5), rng.uniform(0, 2 * math.pi)
        amp = rng.uniform(0.0, 0.35)
        r = np.sqrt(((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2)
        return r <= 1.0 + amp * np.sin(k1 * ang + k2)
    # polygon: even-odd rule on pixel centres
    n = rng.randint(3, 8)
    angs = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    pts = [(cy + ry * rng.uniform(0.4, 1.3) * math.sin(a), cx + rx * rng.uniform(0.4, 1.3) * math.cos(a))
           for a in angs]
    py, px = yy + 0.5, xx + 0.5
    inside = np.zeros((h, w), dtype=bool)
    for i in range(n):
        (y0, x0), (y1, x1) = pts[i], pts[(i + 1) % n]
        if y0 == y1:
            continue
        cond = ((y0 <= py) & (py < y1)) | ((y1 <= py) & (py < y0))
        xint = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= cond & (px < xint)
    return inside


def shift(mask, dy, dx):
    out = np.zeros_like(mask)
    h, w = mask.shape
    ys0, ys1 = max(0, dy), min(h, h + dy)
    xs0, xs1 = max(0, dx), min(w, w + dx)
    out[ys0:ys1, xs0:xs1] = mask[ys0 - dy:ys1 - dy, xs0 - dx:xs1 - dx]
    return out


def grow(mask, n):
    """n > 0: 4-neighbour dilation n times; n < 0: erosion."""
    m = mask.copy()
    for _ in range(abs(n)):
        p = np.pad(m, 1, constant_values=(n < 0))
        nb = [p[1:-1, 1:-1], p[:-2, 1:-1], p[2:, 1:-1], p[1:-1, :-2], p[1:-1, 2:]]
        m = np.logical_or.reduce(nb) if n > 0 else np.logical_and.reduce(nb)
    return m


class IdPool:
    def __init__(self, rng):
        self.rng, self.used = rng, set()

    def new(self):
        while True:
            r = self.rng.random()
            # mix of small ids, 2-byte ids and full 3-byte ids
            if r < 0.3:
                v = self.rng.randint(1, 255)
            elif r < 0.6:
                v = self.rng.randint(256, 65535)
            else:
                v = self.rng.randint(65536, 16777215)
            if v not in self.used:
                self.used.add(v)
                return v


def random_image(rng, h, w, things, stuff, void_frac=0.04, crowd_p=0.08, area_err_p=0.03):
    ids = IdPool(rng)
    gt = canvas(h, w)
    gsegs = []
    # stuff: split the image with random lines into regions
    ns = rng.randint(1, 3)
    yy, xx = np.mgrid[0:h, 0:w]
    label = np.zeros((h, w), dtype=np.int32)
    for k in range(1, ns + 1):
        a = rng.uniform(0, math.pi)
        c = rng.uniform(-0.3, 0.3) * (h + w)
        side = (np.cos(a) * (xx - w / 2) + np.sin(a) * (yy - h / 2)) > c
        label[side] = k
    stuff_ids = {}
    for k in np.unique(label):
        sid = ids.new()
        gt[label == k] = sid
        c_ = rng.choice(stuff)
        stuff_ids[sid] = c_
    thing_list = []
    for _ in range(rng.randint(0, 9)):
        m = shape_mask(rng, h, w, scale=rng.choice([0.2, 0.3, 0.6, 1.0]))
        if rng.random() < 0.05:
            m = np.zeros((h, w), bool); m[rng.randrange(h), rng.randrange(w)] = True   # 1 px thing
        if not m.any():
            continue
        tid = ids.new()
        gt[m] = tid
        thing_list.append((tid, rng.choice(things), 1 if rng.random() < crowd_p else 0))
    # VOID: thin bands on segment borders + occasional blob
    if void_frac > 0:
        edge = np.zeros((h, w), bool)
        edge[:, 1:] |= gt[:, 1:] != gt[:, :-1]
        edge[1:, :] |= gt[1:, :] != gt[:-1, :]
        keep = np.array([[rng.random() < 0.5 for _ in range(w)] for _ in range(h)])
        gt[edge & keep] = 0
        if rng.random() < 0.4:
            gt[shape_mask(rng, h, w, "blob", 0.3)] = 0
    present = set(int(v) for v in np.unique(gt))
    for sid, c_ in stuff_ids.items():
        if sid in present:
            gsegs.append({"id": sid, "category_id": c_, "iscrowd": 0})
    for tid, c_, crowd in thing_list:
        if tid in present:
            gsegs.append({"id": tid, "category_id": c_, "iscrowd": crowd})
    for s in gsegs:
        if rng.random() < area_err_p:
            s["area_delta"] = rng.choice([-3, -1, 1, 2, 5])

    # prediction: perturbed GT + noise
    pr = canvas(h, w)
    psegs = []
    catmap = {s["id"]: s["category_id"] for s in gsegs}
    order = [s for s in gsegs if s["id"] in stuff_ids] + [s for s in gsegs if s["id"] not in stuff_ids]
    for s in order:
        if rng.random() < 0.12:
            continue                       # missed segment
        m = gt == s["id"]
        op = rng.random()
        if op < 0.4:
            m = shift(m, rng.randint(-2, 2), rng.randint(-2, 2))
        elif op < 0.6:
            m = grow(m, rng.choice([-1, 1, 2]))
        elif op < 0.7:
            m = shift(m, rng.randint(-6, 6), rng.randint(-6, 6))
        if s["id"] in stuff_ids:
            m = m | (gt == 0) & (rng.random() < 0.5)
        if not m.any():
            continue
        pid = ids.new()
        pr[m] = pid
        c_ = catmap[s["id"]]
        if rng.random() < 0.08:
            c_ = rng.choice(things if c_ in things else stuff)   # category confusion
        psegs.append([pid, c_])
    for _ in range(rng.randint(0, 3)):     # false-positive blobs
        m = shape_mask(rng, h, w, scale=0.4)
        if not m.any():
            continue
        pid = ids.new()
        pr[m] = pid
        psegs.append([pid, rng.choice(things + stuff)])
    # salt noise: a few pixels set to VOID
    for _ in range(rng.randint(0, max(1, h * w // 200))):
        pr[rng.randrange(h), rng.randrange(w)] = 0
    present = set(int(v) for v in np.unique(pr))
    psegs = [{"id": p, "category_id": c_} for p, c_ in psegs if p in present]
    rng.shuffle(psegs)
    return gt, gsegs, pr, psegs


def gen_random(out, rng, n=30, sizes=None, max_hw=(120, 160)):
    W = SetWriter(out, RANDOM_CATS)
    for i in range(n):
        if sizes:
            h, w = sizes[i % len(sizes)]
        else:
            h = rng.randint(20, max_hw[0])
            w = rng.randint(20, max_hw[1])
            if rng.random() < 0.3:
                h |= 1; w |= 1             # odd sizes
        image_id = 1000 + 7 * i if rng.random() < 0.8 else rng.randint(1, 10 ** 9)
        while any(im["id"] == image_id for im in W.images):
            image_id += 1
        gt, gsegs, pr, psegs = random_image(rng, h, w, RANDOM_THINGS, RANDOM_STUFF)
        if rng.random() < 0.07:
            pr[:, :] = 0; psegs = []       # zero predicted segments
        W.add(image_id, "r%03d_%dx%d" % (i, h, w), gt, gsegs, pr, psegs)
    W.finish(rng)


def gen_large(out, rng):
    gen_random(out, rng, n=4, sizes=[(480, 640), (375, 500), (300, 400), (427, 640)])


PROFILES = {"edge": gen_edge, "quirks": gen_quirks, "nostuff": gen_nostuff,
            "random": gen_random, "large": gen_large}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--profile", default="random", choices=sorted(PROFILES))
    a = ap.parse_args()
    PROFILES[a.profile](a.out, random.Random(a.seed))


if __name__ == "__main__":
    main()
