#!/usr/bin/env python3
"""Record Boundary AP reference fixtures from bowenc0221/boundary-iou-api.

    record_reference.py --boundary-iou-api DIR --out tests/data/boundary
                        [--commit HASH] [--only CASE[,CASE...]] [--no-bands]

DIR is a checkout (or `git archive` extract) of boundary-iou-api whose root
holds the package folder `boundary_iou/`. Its code is imported from there and
never copied into this repository. The commit is read with `git -C DIR
rev-parse HEAD` when DIR is a git work tree; otherwise pass --commit. The
sha256 of the three reference files that matter is recorded as well.

This script is NOT run in CI (CI has neither GitHub access nor
boundary-iou-api). It writes:

  OUT/<case>.json        one Boundary AP case (schema: tests/boundary/REFERENCE.md)
  OUT/bands.json         mask_to_boundary unit vectors
  OUT/inputs/<set>/      gt.json + dt.json of the hand-built sets (committed;
                         the generated sets are re-made by tests/parity/gen_coco.py
                         and checked against the recorded sha256)

Run with a python that has numpy, pycocotools 2.0.11, opencv-python(-headless)
and matplotlib (boundary_iou/coco_instance_api/coco.py imports it at the top),
e.g. /work/main/.venv/bin/python. Shims (monkeypatches applied here, the
reference files are not edited) are listed in SHIMS and recorded in every
output file.
"""

import argparse
import base64
import contextlib
import hashlib
import io
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import pycocotools
from pycocotools import mask as mask_utils

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
GEN_COCO = os.path.join(REPO, "tests", "parity", "gen_coco.py")

REF_FILES = ("boundary_iou/coco_instance_api/cocoeval.py",
             "boundary_iou/coco_instance_api/coco.py",
             "boundary_iou/utils/boundary_utils.py")

SHIMS = []      # filled by install_shims(): human-readable description of each

# ----------------------------------------------------------------------------
# Cases
# ----------------------------------------------------------------------------

# (name, source, seed/set, dilation ratio, record E.ious?)
# source "gen": tests/parity/gen_coco.py --seed N --profile P
# source "hand": a set built by make_hand_sets() below, stored under inputs/
GEN_CASES = [
    ("default_s1_r0.02", "default", 1, 0.02),
    ("default_s2_r0.005", "default", 2, 0.005),
    ("default_s3_r0.05", "default", 3, 0.05),
    ("default_s4_r0.25", "default", 4, 0.25),
    ("crowd_heavy_s5_r0.02", "crowd_heavy", 5, 0.02),
    ("crowd_heavy_s6_r0.05", "crowd_heavy", 6, 0.05),
    ("tiny_s7_r0.02", "tiny", 7, 0.02),
    ("tiny_s8_r0.25", "tiny", 8, 0.25),
    ("ties_s9_r0.02", "ties", 9, 0.02),
    ("ties_s10_r0.005", "ties", 10, 0.005),
    ("many_dets_s11_r0.02", "many_dets", 11, 0.02),
    ("many_dets_s12_r0.05", "many_dets", 12, 0.05),
    ("segm_nobbox_s13_r0.02", "segm_nobbox", 13, 0.02),
    ("bbox_only_s14_r0.02", "bbox_only", 14, 0.02),
    ("many_cats_s15_r0.02", "many_cats", 15, 0.02),
    ("default_s1_nocats_r0.02", "default", 1, 0.02),
]
HAND_CASES = [
    ("hand_sizes_r0.02", "sizes", 0.02),
    ("hand_sizes_r0.005", "sizes", 0.005),
    ("hand_sizes_r0.25", "sizes", 0.25),
    ("hand_boxres_r0.02", "boxres", 0.02),
    ("hand_segmres_r0.05", "segmres", 0.05),
    ("hand_sizes_nocats_r0.02", "sizes", 0.02),
]
# Params changed after COCOeval() and before evaluate() (only useCats here).
OVERRIDES = {"default_s1_nocats_r0.02": {"useCats": 0}, "hand_sizes_nocats_r0.02": {"useCats": 0}}
# Cases that also record the per-(image, category) IoU matrices and the bands.
DEBUG_CASES = {"hand_sizes_r0.02", "crowd_heavy_s5_r0.02"}


# ----------------------------------------------------------------------------
# Reference import and shims
# ----------------------------------------------------------------------------

def install_shims():
    """Compatibility monkeypatches for running 2021 code on numpy 2.x."""
    if not hasattr(np, "float"):      # numpy >= 1.24 removed the alias
        np.float = float
        SHIMS.append("numpy.float = float: cocoeval.py lines 434-435 (accumulate) call "
                     ".astype(dtype=np.float), removed in numpy 1.24; np.float was the "
                     "builtin float, i.e. float64, so results are unchanged")


def import_reference(ref_dir):
    sys.path.insert(0, os.path.abspath(ref_dir))
    install_shims()
    from boundary_iou.coco_instance_api.coco import COCO
    from boundary_iou.coco_instance_api.cocoeval import COCOeval
    from boundary_iou.utils import mask_to_boundary
    return COCO, COCOeval, mask_to_boundary


def reference_info(ref_dir, commit):
    if commit is None:
        try:
            commit = subprocess.run(["git", "-C", ref_dir, "rev-parse", "HEAD"], check=True,
                                    capture_output=True, text=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            sys.exit("DIR is not a git work tree; pass --commit HASH")
    import cv2
    return {
        "repository": "https://github.com/bowenc0221/boundary-iou-api",
        "commit": commit,
        "file_sha256": {p: sha256_file(os.path.join(ref_dir, p)) for p in REF_FILES},
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pycocotools": getattr(pycocotools, "__version__", None) or pkg_version("pycocotools"),
        "opencv": cv2.__version__,
        "shims": list(SHIMS),
    }


def pkg_version(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # noqa: BLE001
        return None


# ----------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------

def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def b64_array(a):
    """{"shape", "dtype": "<f8", "order": "C", "encoding": "zlib+base64", "data"}:
    data = base64(zlib.compress(little-endian float64 bytes in C order, level 9)).
    (zlib because the raw arrays of all cases are ~26 MB and compress ~150x.)"""
    a = np.ascontiguousarray(np.asarray(a, dtype="<f8"))
    return {"shape": list(a.shape), "dtype": "<f8", "order": "C", "encoding": "zlib+base64",
            "data": base64.b64encode(zlib.compress(a.tobytes(order="C"), 9)).decode("ascii")}


def unb64_array(blk):
    raw = zlib.decompress(base64.b64decode(blk["data"]))
    return np.frombuffer(raw, dtype="<f8").reshape(blk["shape"])


def rle_counts(mask):
    rle = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    return rle["counts"].decode("ascii")


def dilation_of(h, w, ratio):
    """d exactly as boundary_utils.py lines 19-23 compute it, plus the raw product."""
    raw = ratio * np.sqrt(h ** 2 + w ** 2)
    d = int(round(raw))
    return float(raw), max(d, 1)


def band_independent(mask, d):
    """Closed-form inner band (spec semantic_panoptic.md section 4), numpy only.

    A mask pixel is in the band iff a zero of the 1-padded mask lies within
    Chebyshev distance d (pixels beyond the padding do not erode)."""
    m = mask.astype(bool)
    h, w = m.shape
    zeros = np.pad(~m, 1, constant_values=True).astype(np.int64)      # (h+2, w+2)
    ps = np.zeros((h + 3, w + 3), dtype=np.int64)
    ps[1:, 1:] = zeros.cumsum(0).cumsum(1)
    r = np.arange(1, h + 1)
    c = np.arange(1, w + 1)
    r0 = np.clip(r - d, 0, h + 2)[:, None]
    r1 = np.clip(r + d + 1, 0, h + 2)[:, None]
    c0 = np.clip(c - d, 0, w + 2)[None, :]
    c1 = np.clip(c + d + 1, 0, w + 2)[None, :]
    nz = ps[r1, c1] - ps[r0, c1] - ps[r1, c0] + ps[r0, c0]
    return m & (nz > 0)


@contextlib.contextmanager
def quiet():
    with contextlib.redirect_stdout(io.StringIO()):
        yield


# ----------------------------------------------------------------------------
# Hand-built sets (bigger images than gen_coco, border / full / empty masks)
# ----------------------------------------------------------------------------

def _rect(h, w, x, y, bw, bh):
    m = np.zeros((h, w), dtype=bool)
    m[max(0, y):max(0, min(h, y + bh)), max(0, x):max(0, min(w, x + bw))] = True
    return m


def _ellipse(h, w, cx, cy, rx, ry):
    yy, xx = np.mgrid[0:h, 0:w]
    return ((xx + 0.5 - cx) / rx) ** 2 + ((yy + 0.5 - cy) / ry) ** 2 <= 1.0


def _shift(m, dy, dx):
    out = np.zeros_like(m)
    h, w = m.shape
    ys, yd = (slice(0, h - dy), slice(dy, h)) if dy >= 0 else (slice(-dy, h), slice(0, h + dy))
    xs, xd = (slice(0, w - dx), slice(dx, w)) if dx >= 0 else (slice(-dx, w), slice(0, w + dx))
    out[yd, xd] = m[ys, xs]
    return out


def _jitter(rng, m, amount):
    """Boundary noise: flip a random subset of pixels near the contour."""
    h, w = m.shape
    band = band_independent(m, 1) | band_independent(~m, 1)
    ys, xs = np.nonzero(band)
    out = m.copy()
    for i in range(len(ys)):
        if rng.random() < amount:
            out[ys[i], xs[i]] = not out[ys[i], xs[i]]
    return out


def _bbox(m):
    ys, xs = np.nonzero(m)
    if xs.size == 0:
        return [0, 0, 0, 0]
    return [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]


def _rle(m):
    return {"size": [int(m.shape[0]), int(m.shape[1])], "counts": rle_counts(m)}


def _uncompressed(m):
    flat = m.ravel(order="F").astype(np.int8)
    starts = np.flatnonzero(np.diff(flat)) + 1
    bounds = np.concatenate(([0], starts, [flat.size]))
    runs = [int(v) for v in np.diff(bounds)]
    if flat.size and flat[0]:
        runs.insert(0, 0)
    return {"size": [int(m.shape[0]), int(m.shape[1])], "counts": runs}


def make_hand_sets():
    """Return {set_name: (gt dict, dt list, description)}; deterministic."""
    rng = random.Random(20210404)
    sets = {}

    # ---- "sizes": many image sizes, border-touching / full / empty / thin masks
    sizes = [(1001, 375, 500), (1002, 480, 640), (1003, 427, 640), (1004, 1, 200),
             (1005, 200, 1), (1006, 45, 60), (1007, 3, 4), (1008, 120, 160),
             (1009, 1, 1), (1010, 300, 300)]
    images = [{"id": i, "height": h, "width": w, "file_name": "hand_%d.png" % i} for i, h, w in sizes]
    cats = [{"id": 1, "name": "a", "supercategory": "x"}, {"id": 2, "name": "b", "supercategory": "x"},
            {"id": 3, "name": "c", "supercategory": "x"}]
    anns, dets = [], []

    def gt(img_id, cat, m, seg="rle", crowd=0, area=None, ignore=None):
        if seg == "rle":
            s = _rle(m)
        elif seg == "urle":
            s = _uncompressed(m)
        else:
            s = seg            # polygon given by caller
        a = {"id": len(anns) + 1, "image_id": img_id, "category_id": cat, "segmentation": s,
             "area": float(m.sum()) if area is None else area, "bbox": _bbox(m), "iscrowd": crowd}
        if ignore is not None:
            a["ignore"] = ignore
        anns.append(a)

    def dt(img_id, cat, m, score):
        dets.append({"image_id": img_id, "category_id": cat, "segmentation": _rle(m),
                     "bbox": _bbox(m), "score": score})

    # 375x500: d(0.02) = round(12.5) = 12 (ties to even)
    H, W = 375, 500
    g1 = _rect(H, W, 40, 30, 200, 150)
    gt(1001, 1, g1)
    dt(1001, 1, _shift(g1, 5, 3), 0.9)                    # near match
    dt(1001, 1, _shift(g1, 25, 20), 0.8)                  # mask IoU ok-ish, band IoU low
    g2 = _ellipse(H, W, 380, 260, 90, 70)
    gt(1001, 1, g2, seg="urle")
    dt(1001, 1, _jitter(rng, g2, 0.3), 0.85)
    g3 = _rect(H, W, 0, 0, W, H)                          # image-sized mask
    gt(1001, 2, g3)
    dt(1001, 2, _rect(H, W, 0, 0, W, H - 10), 0.7)
    dt(1001, 2, _rect(H, W, 10, 10, W - 20, H - 20), 0.6)  # interior only: band off the border
    g4 = _rect(H, W, 0, 200, 120, 175)                    # touching left and bottom border
    gt(1001, 3, g4, seg=[[0, 200, 0, 375, 120, 375, 120, 200]], area=120.0 * 175)
    dt(1001, 3, _rect(H, W, 0, 205, 118, 170), 0.95)
    dt(1001, 3, np.zeros((H, W), dtype=bool), 0.5)         # empty detection

    # 480x640: d(0.02) = 16 exactly; crowd + explicit ignore field
    H, W = 480, 640
    g = _ellipse(H, W, 200, 200, 120, 90)
    gt(1002, 1, g)
    dt(1002, 1, _shift(g, -4, 6), 0.75)
    dt(1002, 1, _shift(g, -4, 6), 0.75)                   # duplicate, same score
    c = _rect(H, W, 380, 40, 220, 300)
    gt(1002, 1, c, seg="urle", crowd=1)                   # crowd: plain crowd mask IoU
    dt(1002, 1, _rect(H, W, 400, 60, 60, 60), 0.65)       # inside the crowd region
    dt(1002, 1, _rect(H, W, 390, 50, 200, 280), 0.64)
    gi = _rect(H, W, 50, 350, 150, 100)
    gt(1002, 2, gi, ignore=1)                             # ignore field, iscrowd 0
    dt(1002, 2, _shift(gi, 2, 2), 0.9)
    gn = _rect(H, W, 300, 380, 150, 90)
    gt(1002, 2, gn, ignore=0)
    dt(1002, 2, _shift(gn, 3, -2), 0.4)
    gt(1002, 3, np.zeros((H, W), dtype=bool))             # empty GT mask (area 0)
    dt(1002, 3, _rect(H, W, 10, 10, 30, 30), 0.3)

    # 427x640: d = 15; ring (mask with a hole), thin line
    H, W = 427, 640
    ring = _ellipse(H, W, 320, 210, 150, 150) & ~_ellipse(H, W, 320, 210, 100, 100)
    gt(1003, 1, ring)
    dt(1003, 1, _ellipse(H, W, 320, 210, 150, 150), 0.8)  # filled disk: mask IoU ~0.56
    dt(1003, 1, _jitter(rng, ring, 0.5), 0.7)
    line = _rect(H, W, 20, 100, 600, 3)
    gt(1003, 2, line)
    dt(1003, 2, _rect(H, W, 20, 101, 600, 3), 0.9)
    # polygon GT with fractional coordinates
    poly = [[100.5, 300.25, 180.75, 280.0, 260.0, 350.5, 210.25, 410.0, 120.0, 400.75]]
    pm = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(poly, H, W))).astype(bool)
    gt(1003, 3, pm, seg=poly, area=float(pm.sum()))
    dt(1003, 3, _shift(pm, 1, 1), 0.55)
    dt(1003, 3, _shift(pm, 8, -6), 0.45)

    # 1x200 and 200x1 images: everything is band
    H, W = 1, 200
    g = _rect(H, W, 20, 0, 100, 1)
    gt(1004, 1, g)
    dt(1004, 1, _rect(H, W, 30, 0, 100, 1), 0.9)
    dt(1004, 1, _rect(H, W, 0, 0, 200, 1), 0.2)
    H, W = 200, 1
    g = _rect(H, W, 0, 50, 1, 150)
    gt(1005, 2, g)
    dt(1005, 2, _rect(H, W, 0, 40, 1, 150), 0.6)
    # 45x60: d(0.02) = round(1.5) = 2
    H, W = 45, 60
    g = _rect(H, W, 5, 5, 30, 20)
    gt(1006, 1, g)
    dt(1006, 1, _rect(H, W, 6, 5, 30, 21), 0.5)
    dt(1006, 1, _rect(H, W, 7, 7, 26, 16), 0.5)
    # 3x4 and 1x1
    gt(1007, 1, _rect(3, 4, 0, 0, 4, 3))
    dt(1007, 1, _rect(3, 4, 0, 0, 3, 3), 0.5)
    gt(1009, 1, np.ones((1, 1), dtype=bool))
    dt(1009, 1, np.ones((1, 1), dtype=bool), 0.99)
    # 120x160 noise blobs
    H, W = 120, 160
    blob = _ellipse(H, W, 80, 60, 50, 40)
    gt(1008, 1, blob)
    for k in range(6):
        dt(1008, 1, _jitter(rng, _shift(blob, k - 3, 2 * k - 5), 0.1 * k), round(0.3 + 0.1 * k, 2))
    # 300x300: many small GTs and >100 detections on one (image, category)
    H, W = 300, 300
    smalls = []
    for k in range(12):
        x, y = rng.randrange(0, W - 20), rng.randrange(0, H - 20)
        m = _rect(H, W, x, y, rng.randint(4, 20), rng.randint(4, 20))
        smalls.append(m)
        gt(1010, 1, m)
    for k in range(130):
        base = smalls[rng.randrange(len(smalls))]
        dt(1010, 1, _shift(base, rng.randint(-3, 3), rng.randint(-3, 3)), round(rng.random(), 3))
    rng.shuffle(dets)
    sets["sizes"] = ({"info": {"description": "maskeval boundary hand set 'sizes'"}, "images": images,
                      "annotations": anns, "categories": cats}, dets,
                     "10 image sizes (375x500 d=12.5->12, 480x640 d=16, 427x640, 1x200, 200x1, "
                     "45x60 d=1.5->2, 3x4, 120x160, 1x1, 300x300); image-sized, border-touching, "
                     "empty, ring, thin-line, polygon and uncompressed-RLE GT; crowd; explicit "
                     "'ignore' field; duplicate detections; score ties; >100 detections")

    # ---- "boxres": bbox-only results (segmentation rasterized from the box polygon)
    H, W = 375, 500
    images = [{"id": 1, "height": H, "width": W, "file_name": "a.png"},
              {"id": 2, "height": 480, "width": 640, "file_name": "b.png"}]
    cats = [{"id": 7, "name": "a", "supercategory": "x"}]
    anns = []
    g = _rect(H, W, 50, 60, 100, 80)
    gt(1, 7, g)
    g = _ellipse(H, W, 300, 200, 80, 60)
    gt(1, 7, g)
    g = _rect(480, 640, 0, 0, 640, 480)
    gt(2, 7, g)
    dets = [
        {"image_id": 1, "category_id": 7, "bbox": [52, 61, 100, 80], "score": 0.9},
        {"image_id": 1, "category_id": 7, "bbox": [50.5, 60.5, 99.25, 79.75], "score": 0.8},
        {"image_id": 1, "category_id": 7, "bbox": [220.0, 140.0, 160.0, 120.0], "score": 0.7},
        {"image_id": 1, "category_id": 7, "bbox": [228.3, 147.1, 143.2, 105.9], "score": 0.6},
        {"image_id": 2, "category_id": 7, "bbox": [0, 0, 640, 480], "score": 0.5},
        {"image_id": 2, "category_id": 7, "bbox": [-10, -10, 700, 500], "score": 0.4},
        {"image_id": 2, "category_id": 7, "bbox": [5, 5, 0, 0], "score": 0.3},
    ]
    sets["boxres"] = ({"info": {"description": "maskeval boundary hand set 'boxres'"}, "images": images,
                       "annotations": anns, "categories": cats}, dets,
                      "bbox-only results: loadRes rasterizes the box polygon and bands it; "
                      "fractional, out-of-image and zero-size boxes; box area used for area ranges")

    # ---- "segmres": results without bbox (segm branch: area = mask area)
    H, W = 240, 320
    images = [{"id": 5, "height": H, "width": W, "file_name": "c.png"}]
    cats = [{"id": 1, "name": "a", "supercategory": "x"}, {"id": 2, "name": "b", "supercategory": "x"}]
    anns = []
    g = _ellipse(H, W, 100, 100, 40, 25)
    gt(5, 1, g, area=1024.0)                             # GT 'area' on the small/medium bound
    g2 = _rect(H, W, 200, 0, 120, 100)
    gt(5, 2, g2)
    dets = []
    for k, (dy, dx) in enumerate([(0, 0), (1, 0), (0, 3), (5, 5), (-9, 2)]):
        dets.append({"image_id": 5, "category_id": 1, "segmentation": _rle(_shift(g, dy, dx)),
                     "score": 0.9 - 0.1 * k})
    dets.append({"image_id": 5, "category_id": 2, "segmentation": _rle(_rect(H, W, 198, 0, 122, 102)),
                 "score": 0.5})
    dets.append({"image_id": 5, "category_id": 2, "segmentation": _rle(np.zeros((H, W), dtype=bool)),
                 "score": 0.5})
    sets["segmres"] = ({"info": {"description": "maskeval boundary hand set 'segmres'"}, "images": images,
                        "annotations": anns, "categories": cats}, dets,
                       "segm results without bbox (area = RLE area), GT area exactly 1024, "
                       "empty detection, mask touching the top/right border")
    return sets


def dumps(obj):
    return json.dumps(obj, separators=(",", ":")) + "\n"


# ----------------------------------------------------------------------------
# Running the reference
# ----------------------------------------------------------------------------

def run_reference(COCO, COCOeval, gt_path, dt_path, ratio, drop_ignore=False, overrides=None):
    """The exact flow of tools/coco_instance_evaluation.py, iouType 'boundary'."""
    with quiet():
        if drop_ignore:
            with open(gt_path) as f:
                ds = json.load(f)
            for a in ds["annotations"]:
                a.pop("ignore", None)
            fd, tmp = tempfile.mkstemp(suffix=".json")
            with os.fdopen(fd, "w") as f:
                json.dump(ds, f)
            gt_path_used = tmp
        else:
            gt_path_used = gt_path
        cocoGt = COCO(gt_path_used, get_boundary=True, dilation_ratio=ratio)
        cocoDt = cocoGt.loadRes(dt_path)
        E = COCOeval(cocoGt, cocoDt, iouType="boundary", dilation_ratio=ratio)
        for k, v in (overrides or {}).items():
            setattr(E.params, k, v)
        E.evaluate()
        E.accumulate()
        E.summarize()
        if drop_ignore:
            os.unlink(tmp)
    return E


def result_block(E):
    return {
        "stats": [float(v) for v in E.stats],
        "precision": b64_array(E.eval["precision"]),
        "recall": b64_array(E.eval["recall"]),
        "scores": b64_array(E.eval["scores"]),
    }


def check_bands(E, mask_to_boundary, ratio):
    """Every annotation's 'boundary' equals the closed form (guards against an
    OpenCV behaviour change); returns the number checked."""
    n = 0
    for coco in (E.cocoGt, E.cocoDt):
        for a in coco.dataset["annotations"]:
            m = coco.annToMask(a)
            _, d = dilation_of(m.shape[0], m.shape[1], ratio)
            band = mask_utils.decode(a["boundary"]).astype(bool)
            if not np.array_equal(band, band_independent(m, d)):
                sys.exit("band mismatch for annotation %r" % a["id"])
            n += 1
    return n


def debug_block(E):
    """E.ious per (image, category) with the row / column ids, the separate mask
    and band IoUs, and every annotation's band."""
    p = E.params
    entries = []
    for (img, cat), ious in sorted(E.ious.items()):
        if isinstance(ious, list) and len(ious) == 0:
            continue                                    # no GT and no DT: reference stores []
        gt = E._gts[img, cat]
        dt = E._dts[img, cat]
        inds = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in inds][:p.maxDets[-1]]
        crowd = [int(g["iscrowd"]) for g in gt]
        mi = mask_utils.iou([d["segmentation"] for d in dt], [g["segmentation"] for g in gt], crowd)
        bi = mask_utils.iou([d["boundary"] for d in dt], [g["boundary"] for g in gt], crowd)
        entries.append({
            "image_id": int(img), "category_id": int(cat),
            "dt_ids": [int(d["id"]) for d in dt], "gt_ids": [int(g["id"]) for g in gt],
            "gt_iscrowd": crowd,
            "ious": b64_array(np.asarray(ious)),
            "mask_ious": b64_array(np.asarray(mi)),
            "boundary_ious": b64_array(np.asarray(bi)),
        })
    bands = {"gt": {str(a["id"]): {"size": [int(v) for v in a["boundary"]["size"]],
                                   "counts": a["boundary"]["counts"].decode("ascii")}
                    for a in E.cocoGt.dataset["annotations"]},
             "dt": {str(a["id"]): {"size": [int(v) for v in a["boundary"]["size"]],
                                   "counts": a["boundary"]["counts"].decode("ascii")}
                    for a in E.cocoDt.dataset["annotations"]}}
    return entries, bands


def image_d(gt_path, ratio):
    with open(gt_path) as f:
        ds = json.load(f)
    out = []
    for img in sorted(ds["images"], key=lambda i: i["id"]):
        raw, d = dilation_of(img["height"], img["width"], ratio)
        out.append([int(img["id"]), int(img["height"]), int(img["width"]), raw, d])
    return out


def has_ignore_differing(gt_path):
    with open(gt_path) as f:
        ds = json.load(f)
    return any("ignore" in a and bool(a["ignore"]) != bool(a["iscrowd"]) for a in ds["annotations"])


def record_case(ref, info, name, params, gt_path, dt_path, ratio, out_dir, debug):
    COCO, COCOeval, mask_to_boundary = ref
    ov = OVERRIDES.get(name, {})
    E = run_reference(COCO, COCOeval, gt_path, dt_path, ratio, overrides=ov)
    n_checked = check_bands(E, mask_to_boundary, ratio)
    p = E.params
    case = {
        "case": name,
        "params": params,
        "dilation_ratio": ratio,
        "gt_sha256": sha256_file(gt_path),
        "dt_sha256": sha256_file(dt_path),
        "reference": info,
        "eval_overrides": ov,
        "eval_params": {
            "iouType": "boundary", "useCats": int(p.useCats),
            "iouThrs": [float(v) for v in p.iouThrs], "recThrs_count": len(p.recThrs),
            "maxDets": [int(v) for v in p.maxDets], "areaRng": [[float(a), float(b)] for a, b in p.areaRng],
            "imgIds": [int(v) for v in p.imgIds], "catIds": [int(v) for v in p.catIds],
        },
        "image_dilation": image_d(gt_path, ratio),
        "bands_checked_against_closed_form": n_checked,
        "gt_ignore_field_differs_from_iscrowd": has_ignore_differing(gt_path),
    }
    case.update(result_block(E))
    if case["gt_ignore_field_differs_from_iscrowd"]:
        E2 = run_reference(COCO, COCOeval, gt_path, dt_path, ratio, drop_ignore=True, overrides=ov)
        case["ignore_field_dropped"] = result_block(E2)
        case["ignore_field_dropped"]["stats_differ"] = case["ignore_field_dropped"]["stats"] != case["stats"]
    if debug:
        case["ious"], case["bands"] = debug_block(E)
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        f.write(json.dumps(case, indent=1) + "\n")
    return case


# ----------------------------------------------------------------------------
# bands.json
# ----------------------------------------------------------------------------

def make_band_masks(rng):
    """(name, mask) pairs: ~40 masks, 1x1 .. 120x160."""
    out = []

    def add(name, m):
        out.append((name, np.ascontiguousarray(m.astype(bool))))

    add("1x1 empty", np.zeros((1, 1)))
    add("1x1 full", np.ones((1, 1)))
    add("1x7 full row", np.ones((1, 7)))
    add("9x1 full column", np.ones((9, 1)))
    add("3x4 full", np.ones((3, 4)))
    add("6x8 full", np.ones((6, 8)))
    add("45x60 full", np.ones((45, 60)))
    add("120x160 full", np.ones((120, 160)))
    add("120x160 empty", np.zeros((120, 160)))
    add("30x40 empty", np.zeros((30, 40)))
    m = np.zeros((50, 70)); m[25, 3:60] = 1
    add("50x70 horizontal line", m)
    m = np.zeros((64, 33)); m[:, 16] = 1
    add("64x33 vertical line spanning", m)
    m = np.eye(40, 55)
    add("40x55 diagonal line", m)
    m = np.zeros((100, 100)); m[20:80, 20:80] = 1
    add("100x100 square 20..79", m)
    m = np.zeros((20, 30)); m[0:10, 0:15] = 1
    add("20x30 corner block", m)
    m = np.zeros((80, 120)); m[:, 60:] = 1
    add("80x120 right half (3 borders)", m)
    m = np.ones((70, 90)); m[30:40, 40:50] = 0
    add("70x90 full with hole", m)
    yy, xx = np.mgrid[0:101, 0:131]
    add("101x131 disk", ((xx - 65) ** 2 + (yy - 50) ** 2) <= 45 ** 2)
    add("101x131 ring", (((xx - 65) ** 2 + (yy - 50) ** 2) <= 45 ** 2) & (((xx - 65) ** 2 + (yy - 50) ** 2) > 30 ** 2))
    add("32x32 checkerboard", (np.add.outer(np.arange(32), np.arange(32)) % 2) == 0)
    m = np.zeros((17, 23)); m[8, 11] = 1
    add("17x23 single pixel", m)
    m = np.zeros((5, 5)); m[1:4, 1:4] = 1
    add("5x5 3x3 block", m)
    m = np.zeros((2, 2)); m[0, 0] = 1
    add("2x2 one pixel", m)
    while len(out) < 42:
        h = rng.randint(1, 120)
        w = rng.randint(1, 160)
        kind = rng.choice(["noise", "sparse", "rects", "blobs", "stripes"])
        if kind == "noise":
            p = rng.uniform(0.3, 0.9)
            m = np.array([[rng.random() < p for _ in range(w)] for _ in range(h)])
        elif kind == "sparse":
            m = np.array([[rng.random() < 0.05 for _ in range(w)] for _ in range(h)])
        elif kind == "rects":
            m = np.zeros((h, w), dtype=bool)
            for _ in range(rng.randint(1, 5)):
                x, y = rng.randint(-5, w), rng.randint(-5, h)
                m |= _rect(h, w, x, y, rng.randint(1, w + 5), rng.randint(1, h + 5))
        elif kind == "blobs":
            m = np.zeros((h, w), dtype=bool)
            for _ in range(rng.randint(1, 4)):
                m |= _ellipse(h, w, rng.uniform(0, w), rng.uniform(0, h),
                              rng.uniform(0.5, w / 1.5 + 1), rng.uniform(0.5, h / 1.5 + 1))
        else:
            m = np.zeros((h, w), dtype=bool)
            step = rng.randint(2, 9)
            if rng.random() < 0.5:
                m[::step, :] = True
            else:
                m[:, ::step] = True
        add("%dx%d random %s" % (h, w, kind), m)
    return out


BAND_RATIOS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
# sizes/ratios whose product is a .5 tie or an exact integer
TIE_VECTORS = [((3, 4), 0.5), ((45, 60), 0.02), ((6, 8), 0.25), ((3, 4), 0.1), ((3, 4), 0.3),
               ((100, 100), 0.05), ((20, 30), 0.02), ((6, 8), 0.2), ((120, 160), 0.0125),
               ((120, 160), 0.0375), ((30, 40), 0.05), ((30, 40), 0.15)]


def record_bands(ref, info, out_dir):
    _, _, mask_to_boundary = ref
    rng = random.Random(4242)
    masks = make_band_masks(rng)
    vectors = []

    def one(name, m, ratio):
        h, w = m.shape
        raw, d = dilation_of(h, w, ratio)
        band = mask_to_boundary(m.astype(np.uint8), ratio)
        assert band.dtype == np.uint8 and band.shape == (h, w)
        if not np.array_equal(band.astype(bool), band_independent(m, d)):
            sys.exit("bands: reference and closed form disagree on %s ratio %r" % (name, ratio))
        vectors.append({"name": name, "size": [h, w], "mask": rle_counts(m), "mask_area": int(m.sum()),
                        "ratio": ratio, "d_raw": raw, "d": d,
                        "band": rle_counts(band.astype(bool)), "band_area": int(band.sum())})

    for name, m in masks:
        for ratio in sorted(rng.sample(BAND_RATIOS, 3)):
            one(name, m, ratio)
    for (h, w), ratio in TIE_VECTORS:
        m = np.ones((h, w), dtype=bool)
        m[h // 3:, :w // 2] = False
        one("%dx%d L-shape (d tie/exact)" % (h, w), m, ratio)
    doc = {
        "description": "mask_to_boundary(mask, ratio) of boundary-iou-api "
                       "(boundary_iou/utils/boundary_utils.py). Masks and bands are pycocotools "
                       "compressed RLE counts strings of size [h, w] (column-major). d_raw = "
                       "ratio * sqrt(h^2 + w^2) in float64, d = max(1, round-half-even(d_raw)).",
        "generator": "tests/boundary/record_reference.py (random.Random(4242))",
        "reference": info,
        "vectors": vectors,
    }
    with open(os.path.join(out_dir, "bands.json"), "w") as f:
        f.write(json.dumps(doc, indent=1) + "\n")
    return len(vectors)


# ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--boundary-iou-api", required=True, help="checkout of bowenc0221/boundary-iou-api")
    ap.add_argument("--out", required=True, help="output folder, e.g. tests/data/boundary")
    ap.add_argument("--commit", help="commit of the checkout when it is not a git work tree")
    ap.add_argument("--only", help="comma list of case names")
    ap.add_argument("--no-bands", action="store_true")
    args = ap.parse_args()
    ref = import_reference(args.boundary_iou_api)
    info = reference_info(args.boundary_iou_api, args.commit)
    os.makedirs(args.out, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None

    hand = make_hand_sets()
    for set_name, (gt, dt, desc) in hand.items():
        d = os.path.join(args.out, "inputs", set_name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "gt.json"), "w") as f:
            f.write(dumps(gt))
        with open(os.path.join(d, "dt.json"), "w") as f:
            f.write(dumps(dt))

    with tempfile.TemporaryDirectory() as tmp:
        for name, profile, seed, ratio in GEN_CASES:
            if only and name not in only:
                continue
            d = os.path.join(tmp, name)
            subprocess.run([sys.executable, GEN_COCO, "--seed", str(seed), "--profile", profile,
                            "--out", d], check=True)
            params = {"source": "gen_coco", "profile": profile, "seed": seed, "dilation_ratio": ratio,
                      "command": "tests/parity/gen_coco.py --seed %d --profile %s --out DIR" % (seed, profile)}
            c = record_case(ref, info, name, params, os.path.join(d, "gt.json"), os.path.join(d, "dt.json"),
                            ratio, args.out, name in DEBUG_CASES)
            print("%-26s stats[0]=%.6f  K=%d" % (name, c["stats"][0], c["precision"]["shape"][2]))
    for name, set_name, ratio in HAND_CASES:
        if only and name not in only:
            continue
        d = os.path.join(args.out, "inputs", set_name)
        params = {"source": "hand", "set": set_name, "dilation_ratio": ratio,
                  "gt": "tests/data/boundary/inputs/%s/gt.json" % set_name,
                  "dt": "tests/data/boundary/inputs/%s/dt.json" % set_name,
                  "description": hand[set_name][2]}
        c = record_case(ref, info, name, params, os.path.join(d, "gt.json"), os.path.join(d, "dt.json"),
                        ratio, args.out, name in DEBUG_CASES)
        print("%-26s stats[0]=%.6f  K=%d" % (name, c["stats"][0], c["precision"]["shape"][2]))
    if not args.no_bands and not only:
        n = record_bands(ref, info, args.out)
        print("bands.json: %d vectors" % n)
    print("shims:", "; ".join(SHIMS) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
