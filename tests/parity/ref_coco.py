#!/usr/bin/env python3
"""Run pycocotools' COCOeval and dump everything a parity test compares.

    ref_coco.py --gt GT --dt DT --iou-type segm|bbox --out DIR
                [--no-cats] [--max-dets 1,10,100] [--iou-thrs 0.5,0.55,...]
                [--area-rng lo:hi,lo:hi,lo:hi,lo:hi] [--img-ids 1,2,3]
                [--cat-ids 4,5]

Writes into DIR:
    arrays.json        stats, array shapes and the evaluated parameters
    precision.f64      float64 little-endian, numpy C order, [T,R,K,A,M]
    recall.f64         [T,K,A,M]
    scores.f64         [T,R,K,A,M]
    summary.txt        the 12 lines summarize() printed
    per_category.json  [{"category_id", "AP"}], AP over IoU .50:.95, area 'all',
                       the last maxDets (null when the category has no entry)

The same options are accepted by `maskeval coco`, so run_parity.py passes one
option string to both.
"""

import argparse
import contextlib
import io
import json
import os
import sys

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ARRAY_NAMES = ("precision", "recall", "scores")


def int_list(text):
    return [int(v) for v in text.split(",") if v.strip()]


def float_list(text):
    return [float(v) for v in text.split(",") if v.strip()]


def area_ranges(text):
    ranges = []
    for part in text.split(","):
        lo, hi = part.split(":")
        ranges.append([float(lo), float(hi)])
    if len(ranges) != 4:
        raise argparse.ArgumentTypeError("--area-rng needs exactly 4 ranges (all, small, medium, large)")
    return ranges


def add_eval_options(ap):
    """The evaluation options shared with `maskeval coco` (parsed identically)."""
    ap.add_argument("--no-cats", action="store_true", help="useCats = 0")
    ap.add_argument("--max-dets", type=int_list, help="comma list of ints, e.g. 1,10,100")
    ap.add_argument("--iou-thrs", type=float_list, help="comma list of floats (Python float())")
    ap.add_argument("--area-rng", type=area_ranges, help="4 ranges lo:hi,... labelled all/small/medium/large")
    ap.add_argument("--img-ids", type=int_list, help="evaluate only these image ids")
    ap.add_argument("--cat-ids", type=int_list, help="evaluate only these category ids")


def build_eval(gt_path, dt_path, iou_type, opts):
    """COCOeval with Params set from the options; pycocotools' chatter is discarded."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(gt_path)
        coco_dt = coco_gt.loadRes(dt_path)
        ev = COCOeval(coco_gt, coco_dt, iou_type)
    p = ev.params
    if opts.no_cats:
        p.useCats = 0
    if opts.max_dets is not None:
        p.maxDets = list(opts.max_dets)
    if opts.iou_thrs is not None:
        p.iouThrs = np.array(opts.iou_thrs, dtype=np.float64)
    if opts.area_rng is not None:
        p.areaRng = [list(r) for r in opts.area_rng]
    if opts.img_ids is not None:
        p.imgIds = list(opts.img_ids)
    if opts.cat_ids is not None:
        p.catIds = list(opts.cat_ids)
    return ev


def run(gt_path, dt_path, iou_type, opts):
    """Evaluate and return (COCOeval, the 12 summary lines as one string)."""
    ev = build_eval(gt_path, dt_path, iou_type, opts)
    with contextlib.redirect_stdout(io.StringIO()):
        ev.evaluate()
        ev.accumulate()
    # Only summarize()'s own output goes to summary.txt.
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        ev.summarize()
    return ev, buf.getvalue()


def per_category_ap(ev):
    """AP per K index exactly as summarize averages a slice: numpy mean of the
    boolean-selected entries > -1 of precision[:, :, k, 0, -1]."""
    prec = ev.eval["precision"]
    out = []
    for k, cid in enumerate(ev.params.catIds):
        s = prec[:, :, k, 0, -1]
        s = s[s > -1]
        out.append({"category_id": int(cid), "AP": float(np.mean(s)) if s.size else None})
    return out


def dump(ev, summary, iou_type, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    p = ev.params
    meta = {"format": 1, "iou_type": iou_type, "stats": [float(v) for v in ev.stats]}
    for name in ARRAY_NAMES:
        arr = np.ascontiguousarray(ev.eval[name])
        with open(os.path.join(out_dir, name + ".f64"), "wb") as f:
            f.write(arr.astype("<f8").tobytes())
        meta[name] = {"file": name + ".f64", "shape": [int(d) for d in arr.shape]}
    # After accumulate() p.catIds is [-1] when useCats=0 (accumulate rewrites it).
    meta["cat_ids"] = [int(c) for c in p.catIds]
    meta["iou_thrs"] = [float(t) for t in p.iouThrs]
    meta["rec_thrs"] = [float(r) for r in p.recThrs]
    meta["max_dets"] = [int(m) for m in p.maxDets]
    meta["area_rng"] = [[float(lo), float(hi)] for lo, hi in p.areaRng]
    with open(os.path.join(out_dir, "arrays.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "summary.txt"), "w") as f:
        f.write(summary)
    with open(os.path.join(out_dir, "per_category.json"), "w") as f:
        json.dump(per_category_ap(ev), f, indent=1)
        f.write("\n")
    return meta


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gt", required=True)
    ap.add_argument("--dt", required=True)
    ap.add_argument("--iou-type", required=True, choices=("segm", "bbox"))
    ap.add_argument("--out", required=True)
    add_eval_options(ap)
    args = ap.parse_args(argv)
    ev, summary = run(args.gt, args.dt, args.iou_type, args)
    if summary.count("\n") != 12:
        print("ref_coco: summarize() printed %d lines, expected 12" % summary.count("\n"), file=sys.stderr)
        return 2
    dump(ev, summary, args.iou_type, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
