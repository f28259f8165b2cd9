#!/usr/bin/env python3
"""Streaming evaluation of dense model masks: maskeval.InstanceEvaluator against
the JSON path on the same detections (issue 11).

    bench_stream.py --data DIR [--images N] [--markdown OUT]

DIR is what gen_coco_val.py wrote. Its segm results (~100 per image, image
sized) are decoded image by image into what a model emits, an N x H x W bool
array in C order; that preparation is not timed. Timed, in one process, one
after the other on the same masks:

  stream   ev.update(image_id, masks=..., scores=..., labels=...) for every
           image, then ev.compute()
  json     what a training loop does without it: pycocotools.mask.encode of
           each image's masks (it needs H x W x N Fortran order: one
           np.asfortranarray per image), counts decoded to str, the results
           list json.dump'ed to a file, then maskeval.COCO / loadRes /
           COCOeval evaluate + accumulate + summarize on that file

The two must give identical stats (checked). Reported: seconds of each, the
ratio, and the evaluation of the file alone (the json row's last step).
"""
import argparse
import contextlib
import io
import json
import os
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np
import pycocotools.mask as pmask

import maskeval


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--images", type=int, default=0, help="first N images only (0: all)")
    ap.add_argument("--markdown")
    args = ap.parse_args()
    gt_path = os.path.join(args.data, "gt.json")
    with open(os.path.join(args.data, "dt_segm.json")) as f:
        results = json.load(f)
    by_img = defaultdict(list)
    for r in results:
        by_img[r["image_id"]].append(r)
    with open(gt_path) as f:
        gt = json.load(f)
    imgs = {im["id"]: im for im in gt["images"]}
    order = [i for i in sorted(imgs) if i in by_img]
    if args.images:
        order = order[:args.images]
        keep = set(order)
        gt["images"] = [im for im in gt["images"] if im["id"] in keep]
        gt["annotations"] = [a for a in gt["annotations"] if a["image_id"] in keep]
        tmpgt = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump(gt, tmpgt)
        tmpgt.close()
        gt_path = tmpgt.name

    def dense(rs):
        m = pmask.decode([r["segmentation"] for r in rs])  # H x W x N, Fortran
        return np.ascontiguousarray(m.transpose(2, 0, 1)).astype(bool)

    n_masks = sum(len(by_img[i]) for i in order)
    t_stream = t_json_encode = 0.0
    ev = maskeval.InstanceEvaluator(gt_path, "segm")
    out_results = []
    for i in order:
        rs = by_img[i]
        m = dense(rs)  # not timed: the model's output
        scores = np.array([r["score"] for r in rs])
        labels = np.array([r["category_id"] for r in rs])
        t0 = time.perf_counter()
        ev.update(i, masks=m, scores=scores, labels=labels)
        t1 = time.perf_counter()
        rles = pmask.encode(np.asfortranarray(m.transpose(1, 2, 0).astype(np.uint8)))
        for rle, s, c in zip(rles, scores.tolist(), labels.tolist()):
            out_results.append({"image_id": i, "category_id": c, "score": s,
                                "segmentation": {"size": rle["size"],
                                                 "counts": rle["counts"].decode("utf-8")}})
        t2 = time.perf_counter()
        t_stream += t1 - t0
        t_json_encode += t2 - t1
    t0 = time.perf_counter()
    res = ev.compute()
    t_compute = time.perf_counter() - t0
    t_stream += t_compute
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "results.json")
        t0 = time.perf_counter()
        with open(path, "w") as f:
            json.dump(out_results, f)
        t_dump = time.perf_counter() - t0
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            g = maskeval.COCO(gt_path)
            E = maskeval.COCOeval(g, g.loadRes(path), "segm")
            E.evaluate()
            E.accumulate()
            E.summarize()
        t_eval = time.perf_counter() - t0
    same = np.asarray(E.stats).tobytes() == res["stats"].tobytes()
    t_json = t_json_encode + t_dump + t_eval
    lines = [
        "| path | seconds | what |",
        "|---|---:|---|",
        "| stream | %.2f | update() x %d images (%d masks) + compute() %.2f s |"
        % (t_stream, len(order), n_masks, t_compute),
        "| json | %.2f | pycocotools encode %.2f s + json.dump %.2f s + evaluate the file %.2f s |"
        % (t_json, t_json_encode, t_dump, t_eval),
        "",
        "stream / json = %.2f; stats identical: %s; AP = %.4f" % (t_stream / t_json, same,
                                                                 res["stats"][0]),
    ]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
