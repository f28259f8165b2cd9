#!/usr/bin/env python3
"""maskeval.InstanceEvaluator / SemanticEvaluator against the JSON path and numpy.

    test_streaming.py [--seeds 1-16]

Instance: for each generated parity set (tests/parity/gen_coco.py), the
results are fed per image (grouped by image, file order kept within an
image) as dense N x H x W masks (decoded from the results' RLE, C order),
as RLE dicts and as boxes; compute() must equal pycocotools 2.0.11 run on a
results JSON written in that same order (stats ==, precision / recall /
scores byte-equal), for segm and bbox. The same updates split over 3
simulated ranks (round-robin by image), partial() and merge(), must give the
same bytes as one evaluator.

Semantic: random label maps (ignore pixels, out-of-range predictions)
against a numpy bincount confusion matrix and mmsegmentation's formulas;
3-rank partial/merge equals one evaluator.
"""
import argparse
import contextlib
import io
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
import gen_coco  # noqa: E402

import pycocotools.mask as pmask  # noqa: E402
from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefEval  # noqa: E402

import maskeval  # noqa: E402

FAILS = []


def fail(msg):
    FAILS.append(msg)
    print("FAIL " + msg)


def reference(gt_path, results, iou_type, tmp):
    path = os.path.join(tmp, "stream_%s.json" % iou_type)
    with open(path, "w") as f:
        json.dump(results, f)
    with contextlib.redirect_stdout(io.StringIO()):
        gt = RefCOCO(gt_path)
        E = RefEval(gt, gt.loadRes(path), iou_type)
        E.evaluate()
        E.accumulate()
        E.summarize()
    return E


def equal(tag, ref, res):
    if not np.array_equal(np.asarray(ref.stats), res["stats"]) or \
            np.asarray(ref.stats).tobytes() != res["stats"].tobytes():
        fail("%s: stats %r vs %r" % (tag, list(ref.stats), list(res["stats"])))
    for k in ("precision", "recall", "scores"):
        if ref.eval[k].shape != res[k].shape or ref.eval[k].tobytes() != res[k].tobytes():
            fail("%s: %s differs" % (tag, k))


def by_image(dt):
    order, groups = [], {}
    for r in dt:
        if r["image_id"] not in groups:
            groups[r["image_id"]] = []
            order.append(r["image_id"])
        groups[r["image_id"]].append(r)
    return [(i, groups[i]) for i in order]


def feed(ev, groups, mode, imgs):
    """Updates ev with the groups; returns the results list the JSON path sees."""
    results = []
    for image_id, rs in groups:
        scores = [r["score"] for r in rs]
        labels = [r["category_id"] for r in rs]
        h, w = imgs[image_id]["height"], imgs[image_id]["width"]
        if mode == "boxes":
            boxes = [r["bbox"] for r in rs]
            ev.update(image_id, boxes=boxes, scores=scores, labels=labels)
            results += [{"image_id": image_id, "category_id": c, "score": s, "bbox": b}
                        for c, s, b in zip(labels, scores, boxes)]
            continue
        rles = [r["segmentation"] for r in rs]
        if mode == "dense":
            m = pmask.decode(rles) if rles else np.zeros((h, w, 0), np.uint8)
            dense = np.ascontiguousarray(np.transpose(m, (2, 0, 1))).astype(bool)
            ev.update(image_id, masks=dense, scores=scores, labels=labels)
        else:
            ev.update(image_id, rles=rles, scores=scores, labels=labels)
        results += [{"image_id": image_id, "category_id": c, "score": s,
                     "segmentation": {"size": r["size"], "counts": r["counts"]}}
                    for c, s, r in zip(labels, scores, rles)]
    return results


def instance(seeds, tmp):
    n = 0
    for seed in seeds:
        gt, dt = gen_coco.generate(seed, "auto")
        gp = os.path.join(tmp, "gt_%d.json" % seed)
        with open(gp, "w") as f:
            f.write(gen_coco.dumps(gt))
        imgs = {im["id"]: im for im in gt["images"]}
        masks_ok = all(isinstance(r.get("segmentation"), dict) and
                       isinstance(r["segmentation"].get("counts"), str) for r in dt)
        boxes_ok = all(r.get("bbox") for r in dt)
        groups = by_image(dt)
        modes = ([("segm", "dense"), ("segm", "rles"), ("bbox", "dense")] if masks_ok else []) \
            + ([("bbox", "boxes")] if boxes_ok else [])
        for iou_type, mode in modes:
            tag = "seed %d %s %s" % (seed, iou_type, mode)
            ev = maskeval.InstanceEvaluator(gp, iou_type)
            results = feed(ev, groups, mode, imgs)
            if not results:
                continue
            res = ev.compute()
            equal(tag, reference(gp, results, iou_type, tmp), res)
            ranks = [maskeval.InstanceEvaluator(gp, iou_type) for _ in range(3)]
            for i, g in enumerate(groups):
                feed(ranks[i % 3], [g], mode, imgs)
            merged = maskeval.InstanceEvaluator.merge(gp, [r.partial() for r in ranks],
                                                      iou_type).compute()
            for k in ("stats", "precision", "recall", "scores"):
                if merged[k].tobytes() != res[k].tobytes():
                    fail("%s: 3-rank merge differs in %s" % (tag, k))
            n += 1
    return n


def semantic(trials):
    rng = np.random.default_rng(7)
    for t in range(trials):
        K = int(rng.integers(2, 30))
        ev = maskeval.SemanticEvaluator(K, ignore_index=255)
        ranks = [maskeval.SemanticEvaluator(K, ignore_index=255) for _ in range(3)]
        conf = np.zeros((K, K), np.int64)
        label_extra = np.zeros(K, np.int64)  # misses predicted outside [0, K)
        for i in range(int(rng.integers(1, 6))):
            h, w = (int(x) for x in rng.integers(1, 64, 2))
            g = rng.integers(0, K, (h, w)).astype(np.uint8)
            g[rng.random((h, w)) < 0.1] = 255
            q = np.where(rng.random((h, w)) < 0.7, g, rng.integers(0, K + 3, (h, w)))
            q = q.astype(np.uint8)
            ev.update(g, q)
            ranks[i % 3].update(g, q)
            keep = (g != 255) & (q < K)
            conf += np.bincount(g[keep].astype(np.int64) * K + q[keep],
                                minlength=K * K).reshape(K, K)
            label_extra += np.bincount(g[(g != 255) & (q >= K)], minlength=K)
        res = ev.compute()
        inter = np.diag(conf)
        pred = conf.sum(0)
        label = conf.sum(1) + label_extra
        union = pred + label - inter
        if not (np.array_equal(res["intersect"], inter) and np.array_equal(res["pred"], pred)
                and np.array_equal(res["label"], label) and np.array_equal(res["union"], union)):
            fail("semantic trial %d: counts differ" % t)
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            iou = inter / union
            acc = inter / label
        if res["IoU"].tobytes() != iou.tobytes() or res["Acc"].tobytes() != acc.tobytes():
            fail("semantic trial %d: IoU/Acc differ" % t)
        if not (res["mIoU"] == np.nanmean(iou) or (np.isnan(res["mIoU"]) and
                                                   np.all(np.isnan(iou)))):
            fail("semantic trial %d: mIoU %r vs %r" % (t, res["mIoU"], np.nanmean(iou)))
        merged = maskeval.SemanticEvaluator.merge([r.partial() for r in ranks]).compute()
        for k in ("intersect", "union", "pred", "label", "IoU"):
            if merged[k].tobytes() != res[k].tobytes():
                fail("semantic trial %d: 3-rank merge differs in %s" % (t, k))
    return trials


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1-16")
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.seeds.split("-"))
    with tempfile.TemporaryDirectory() as tmp:
        n = instance(range(lo, hi + 1), tmp)
    m = semantic(40)
    print("%d instance runs, %d semantic trials, %d failures" % (n, m, len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
