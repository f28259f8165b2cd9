#!/usr/bin/env python3
"""maskeval.mask against pycocotools.mask 2.0.11: values, types, dtypes, shapes,
memory order and exception types, on random masks, boxes, polygons and RLE.

    test_mask.py [--trials 300]
"""
import argparse
import sys

import numpy as np
import pycocotools.mask as pm

import maskeval.mask as mm

FAILS = []


def check(tag, a, b):
    if type(a) is not type(b):
        FAILS.append("%s: type %s vs %s" % (tag, type(a).__name__, type(b).__name__))
        return
    if isinstance(a, np.ndarray):
        if (a.dtype, a.shape, a.flags.f_contiguous, a.flags.c_contiguous) != \
                (b.dtype, b.shape, b.flags.f_contiguous, b.flags.c_contiguous) or \
                a.tobytes() != b.tobytes():
            FAILS.append("%s: arrays differ (%s %s vs %s %s)" % (tag, a.dtype, a.shape,
                                                                  b.dtype, b.shape))
    elif isinstance(a, np.generic):
        if a.dtype != b.dtype or a != b:
            FAILS.append("%s: %r vs %r" % (tag, a, b))
    elif isinstance(a, list):
        if len(a) != len(b):
            FAILS.append("%s: length %d vs %d" % (tag, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            check("%s[%d]" % (tag, i), x, y)
    elif isinstance(a, dict):
        if a.keys() != b.keys():
            FAILS.append("%s: keys differ" % tag)
        for k in a:
            check("%s.%s" % (tag, k), a[k], b[k])
    elif a != b:
        FAILS.append("%s: %r vs %r" % (tag, a, b))


def both(tag, fn):
    """fn(module) under both; equal values, or the same exception type."""
    out = []
    for mod in (pm, mm):
        try:
            out.append(("ok", fn(mod)))
        except Exception as e:  # noqa: BLE001 - the type is what is compared
            out.append(("exc", type(e)))
    if out[0][0] != out[1][0]:
        FAILS.append("%s: pycocotools %s vs maskeval %s" % (tag, out[0], out[1]))
    elif out[0][0] == "exc":
        if out[0][1] is not out[1][1]:
            FAILS.append("%s: exception %s vs %s" % (tag, out[0][1], out[1][1]))
    else:
        check(tag, out[0][1], out[1][1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=300)
    args = ap.parse_args()
    rng = np.random.default_rng(11)
    for t in range(args.trials):
        h, w, n = (int(x) for x in (rng.integers(1, 50), rng.integers(1, 50), rng.integers(1, 6)))
        dens = rng.random()
        m = np.asfortranarray((rng.random((h, w, n)) < dens).astype(np.uint8))
        if t % 7 == 0:
            m[:] = 0
        if t % 11 == 0:
            m[:] = 1
        rle = pm.encode(m)
        both("encode %d" % t, lambda M: M.encode(m))
        both("encode2d %d" % t, lambda M: M.encode(np.asfortranarray(m[:, :, 0])))
        both("encode bool %d" % t, lambda M: M.encode(m.astype(bool)))
        m4 = np.asfortranarray(rng.integers(0, 4, (h, w, n)).astype(np.uint8))
        m4[:, : w // 2] = m4[0, 0, 0]  # long runs of one value, for the word-wise scan
        both("encode raw values %d" % t, lambda M: M.encode(m4))
        both("decode %d" % t, lambda M: M.decode(rle))
        both("decode1 %d" % t, lambda M: M.decode(rle[0]))
        strs = [{"size": r["size"], "counts": r["counts"].decode()} for r in rle]
        both("decode str %d" % t, lambda M: M.decode(strs))
        both("area %d" % t, lambda M: M.area(rle))
        both("area1 %d" % t, lambda M: M.area(rle[0]))
        both("toBbox %d" % t, lambda M: M.toBbox(rle))
        both("toBbox1 %d" % t, lambda M: M.toBbox(strs[0]))
        both("merge %d" % t, lambda M: M.merge(rle))
        both("merge and %d" % t, lambda M: M.merge(rle, intersect=1))
        crowd = rng.integers(0, 2, n).tolist()
        both("iou rle %d" % t, lambda M: M.iou(rle, rle[::-1], crowd))
        boxes = rng.random((n, 4)) * 40
        both("iou box %d" % t, lambda M: M.iou(boxes, boxes[::-1], crowd))
        both("iou box list %d" % t, lambda M: M.iou(boxes.tolist(), list(boxes), crowd))
        both("iou box f32 %d" % t, lambda M: M.iou(boxes.astype(np.float32), boxes, crowd))
        both("frBbox %d" % t, lambda M: M.frPyObjects(boxes, h, w))
        polys = [(rng.random(2 * int(rng.integers(3, 9))) * (max(h, w) + 10) - 5).tolist()
                 for _ in range(n)]
        both("frPoly %d" % t, lambda M: M.frPyObjects(polys, h, w))
        both("frPoly merge %d" % t, lambda M: M.merge(M.frPyObjects(polys, h, w)))
        if n > 1:
            short = [polys[0], polys[1][:3], polys[1][:2]]
            both("frPoly short %d" % t, lambda M: M.frPyObjects(short, h, w))
        counts = [int(v) for v in np.diff(np.r_[0, np.sort(rng.integers(0, h * w, 4)), h * w])]
        uc = {"size": [h, w], "counts": counts}
        both("frUncompressed %d" % t, lambda M: M.frPyObjects(uc, h, w))
        both("frUncompressed list %d" % t, lambda M: M.frPyObjects([uc, uc], h, w))
    # row-major (C-order N x H x W) input, as the streaming evaluator passes it:
    # the 8 x 8 block transpose, its zero-block skip and ragged edges
    from maskeval import _lib
    for t in range(200):
        h, w, n = (int(x) for x in (rng.integers(1, 70), rng.integers(1, 70), rng.integers(1, 4)))
        m = (rng.random((n, h, w)) < rng.random() * 0.3).astype(np.uint8)
        m[:, : h // 3] = 0
        r = _lib.Rles()
        area = np.zeros(n, np.uint32)
        box = np.zeros((n, 4))
        r.c.check(_lib.lib.maskeval_rles_encode(r.c.h, r.h, _lib.ptr(m), n, h, w,
                                                _lib.MASK_ROW_MAJOR, _lib.ptr(area),
                                                _lib.ptr(box)))
        ref = pm.encode(np.asfortranarray(m.transpose(1, 2, 0)))
        check("row-major %d" % t, [x["counts"] for x in ref], r.strings())
        check("row-major area %d" % t, pm.area(ref), area)
        check("row-major box %d" % t, pm.toBbox(ref), box)
    # sizes that differ
    a = pm.encode(np.asfortranarray(np.ones((4, 5, 1), np.uint8)))
    b = pm.encode(np.asfortranarray(np.ones((5, 4, 1), np.uint8)))
    both("merge sizes", lambda M: M.merge(a + b))
    both("iou sizes", lambda M: M.iou(a, b, [0]))
    # empty inputs and errors callers rely on
    both("merge []", lambda M: M.merge([]))
    both("iou []", lambda M: M.iou([], a, [0]))
    both("toBbox []", lambda M: M.toBbox([]))
    both("area []", lambda M: M.area([]))
    both("encode C order", lambda M: M.encode(np.zeros((3, 4, 2), np.uint8)))
    both("encode 2d C order", lambda M: M.encode(np.zeros((3, 4), np.uint8)))
    both("encode float", lambda M: M.encode(np.asfortranarray(np.zeros((3, 4, 2)))))
    both("iou mixed", lambda M: M.iou(a, np.zeros((1, 4)), [0]))
    both("iou 5 cols", lambda M: M.iou(np.zeros((1, 5)), np.zeros((1, 5)), [0]))
    both("iou crowd length", lambda M: M.iou(np.zeros((1, 4)), np.zeros((2, 4)), [0]))
    both("frPyObjects 4-number polygon", lambda M: M.frPyObjects([[1, 2, 3, 4]], 10, 10))
    both("frPyObjects int boxes", lambda M: M.frPyObjects(np.zeros((2, 4), np.int64), 10, 10))
    both("frPyObjects 1-d", lambda M: M.frPyObjects(np.zeros(4), 10, 10))
    both("frPyObjects compressed", lambda M: M.frPyObjects(a[0], 4, 5))
    both("frPyObjects flat polygon", lambda M: M.frPyObjects([1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                                                             10, 10))
    for f in FAILS[:20]:
        print("FAIL " + f)
    print("%d trials, %d failures" % (args.trials, len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
