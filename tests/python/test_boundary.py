#!/usr/bin/env python3
"""maskeval.COCOeval(..., iouType="boundary", dilation_ratio=R) against the outputs
recorded from boundary-iou-api (tests/data/boundary; the tool is not on PyPI):

- stats ==, precision / recall / scores byte for byte, for every recorded case,
  through COCO objects built from dicts and from files (the C loaders);
- where a case recorded its IoU matrices, `.ious` (numpy bands in closed form)
  equal them, and the bands recorded there equal `_band`'s;
- every IoU the C matcher used for a match equals `.ious`' entry;
- both backends give the same arrays; a bad dilation_ratio is refused.

    test_boundary.py [--data tests/data/boundary] [--backend cpu --backend opencl]
"""
import argparse
import base64
import contextlib
import io
import json
import os
import sys
import tempfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "boundary"))
import run_fixtures  # noqa: E402  (the fixtures' input generation)
from c_records import matched_iou_mismatches  # noqa: E402

import maskeval  # noqa: E402
from maskeval.cocoeval import _band  # noqa: E402

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def arr(rec):
    a = np.frombuffer(zlib.decompress(base64.b64decode(rec["data"])), "<f8")
    return a.reshape(rec["shape"]) if "shape" in rec else a


def evaluate(gt_path, dt_path, ratio, use_cats, backend, from_files):
    with contextlib.redirect_stdout(io.StringIO()):
        if from_files:
            gt = maskeval.COCO(gt_path)
            dt = gt.loadRes(dt_path)
        else:
            with open(gt_path) as f:
                gd = json.load(f)
            with open(dt_path) as f:
                dd = json.load(f)
            gt = maskeval.COCO()
            gt.dataset = gd
            gt.createIndex()
            dt = gt.loadRes(dd)
        E = maskeval.COCOeval(gt, dt, "boundary", ratio, backend=backend)
        if not use_cats:
            E.params.useCats = 0
        E.evaluate()
        E.accumulate()
        E.summarize()
    return E


def check_match_ious(tag, E):
    """The IoU of every match in the C records == `.ious` (area range 0)."""
    p = E._paramsEval
    n, bad = matched_iou_mismatches(
        E, E.evalImgs, lambda i, k: E.ious[i, k],
        lambda i, k: E._gts[i, k] if p.useCats else [g for c in p.catIds for g in E._gts[i, c]])
    if bad:
        fail("%s: %d of %d matched IoUs differ from .ious" % (tag, bad, n))
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data", "boundary"))
    ap.add_argument("--backend", action="append")
    a = ap.parse_args()
    backends = a.backend or ["cpu"]
    cases = matched = ious_checked = bands_checked = 0
    for path in sorted(os.listdir(a.data)):
        if not path.endswith(".json") or path == "bands.json":
            continue
        with open(os.path.join(a.data, path)) as f:
            case = json.load(f)
        name, ratio = case["case"], case["dilation_ratio"]
        use_cats = case["eval_overrides"].get("useCats", 1) != 0
        with tempfile.TemporaryDirectory() as tmp:
            gt, dt = run_fixtures.inputs(case, tmp, a.data)
            got = {}
            for be in backends:
                for files in (False, True):
                    tag = "%s [%s, %s]" % (name, be, "files" if files else "dicts")
                    try:
                        E = evaluate(gt, dt, ratio, use_cats, be, files)
                    except Exception as e:  # noqa: BLE001 - reported as a failure
                        fail("%s: %s: %s" % (tag, type(e).__name__, e))
                        continue
                    if [float(x) for x in E.stats] != case["stats"]:
                        fail("%s: stats %s != %s" % (tag, list(E.stats), case["stats"]))
                    for k in ("precision", "recall", "scores"):
                        if E.eval[k].astype("<f8").tobytes() != \
                                zlib.decompress(base64.b64decode(case[k]["data"])):
                            fail("%s: %s differs" % (tag, k))
                    got[be, files] = E
                    cases += 1
            E = got.get((backends[0], False))
            if E is None:
                continue
            matched += check_match_ious(name, E)
            for cell in case.get("ious", []):
                key = (cell["image_id"], cell["category_id"] if use_cats else -1)
                want = arr(cell["ious"])
                have = np.asarray(E.ious.get(key, []), np.float64)
                if have.size != want.size or have.tobytes() != want.tobytes():
                    fail("%s: .ious%s differs from boundary-iou-api's" % (name, key))
                ious_checked += 1
            for side, coco in (("gt", E.cocoGt), ("dt", E.cocoDt)):
                for ann_id, rle in case.get("bands", {}).get(side, {}).items():
                    ann = coco.anns[int(ann_id)]
                    seg = ann["segmentation"]
                    if not (isinstance(seg, dict) and isinstance(seg.get("counts"), (str, bytes))):
                        seg = coco.annToRLE(ann)
                    b = _band(seg, ratio)
                    counts = b["counts"].decode() if isinstance(b["counts"], bytes) else b["counts"]
                    if counts != rle["counts"] or list(b["size"]) != list(rle["size"]):
                        fail("%s: band of %s %s differs" % (name, side, ann_id))
                    bands_checked += 1
    # boundary-iou-api's driver: COCO(gt, get_boundary=True, dilation_ratio=R); then the
    # COCO's ratio wins over COCOeval's
    with tempfile.TemporaryDirectory() as tmp:
        case = json.load(open(os.path.join(a.data, "default_s2_r0.005.json")))
        gt, dt = run_fixtures.inputs(case, tmp, a.data)
        with contextlib.redirect_stdout(io.StringIO()):
            G = maskeval.COCO(gt, get_boundary=True, dilation_ratio=case["dilation_ratio"])
            E = maskeval.COCOeval(G, G.loadRes(dt), "boundary", dilation_ratio=0.3)
            E.evaluate()
            E.accumulate()
            E.summarize()
        if [float(x) for x in E.stats] != case["stats"]:
            fail("COCO(get_boundary=True, dilation_ratio=%g): its ratio was not used"
                 % case["dilation_ratio"])
        cases += 1
    # a bad ratio
    with tempfile.TemporaryDirectory() as tmp:
        case = json.load(open(os.path.join(a.data, "default_s1_r0.02.json")))
        gt, dt = run_fixtures.inputs(case, tmp, a.data)
        for bad in (0, -1, float("nan"), float("inf")):
            try:
                evaluate(gt, dt, bad, True, backends[0], False)
                fail("dilation_ratio %r was accepted" % bad)
            except ValueError:
                pass
    print("boundary (Python): %d evaluations, %d matched IoUs, %d IoU cells, %d bands; "
          "%d failures" % (cases, matched, ious_checked, bands_checked, len(failures)))
    return 1 if failures or cases == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
