#!/usr/bin/env python3
"""maskeval.COCOeval against pycocotools 2.0.11 through the Python API.

    test_cocoeval_parity.py [--seeds 1-24] [--backend cpu|opencl]

For every generated parity set (tests/parity/gen_coco.py, fixed seeds, every
profile) and iou type segm and bbox: COCO(gt), loadRes(dt), COCOeval
evaluate / accumulate / summarize in both packages (maskeval twice: straight
from the files, and from the dicts after reading them); `stats` must be ==, the
precision / recall / scores arrays byte-equal, `evalImgs` equal entry by entry
(types and dtypes included), `ious` equal, and the printed summary identical.
Also non-default parameters: recThrs, iouThrs, maxDets [100, 300, 1000] and
[1, 10], three and six area ranges, useCats = 0, catIds / imgIds subsets.

iouType "keypoints" on the generated keypoint sets (gen_keypoints.py, --kp-seeds):
the same comparisons, and every matched detection's OKS as the C library
computed it (its match records) equal to pycocotools' computeOks value.
Exit status 0 when everything matches.
"""
import argparse
import contextlib
import copy
import io
import json
import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
import gen_coco  # noqa: E402
import gen_keypoints  # noqa: E402
from c_records import matched_iou_mismatches  # noqa: E402

from pycocotools.coco import COCO as RefCOCO  # noqa: E402
from pycocotools.cocoeval import COCOeval as RefEval  # noqa: E402

import maskeval  # noqa: E402

FAILS = []
n_acc = 0  # accumulate(p) comparisons
RUN_PATHS = []  # maskeval: False = evaluated straight from the files


def fail(msg):
    FAILS.append(msg)
    print("FAIL " + msg)


def same_value(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, float) and a != a:
        return b != b
    return a == b


def run(mod_coco, mod_eval, gt_path, dt_path, iou_type, tweak, dicts=False):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        gt = mod_coco(gt_path)
        dt = gt.loadRes(dt_path)
        if dicts:  # read the dicts first: maskeval then evaluates from them, not the files
            assert len(gt.anns) >= 0 and len(dt.anns) >= 0
        E = mod_eval(gt, dt, iou_type)
        tweak(E.params)
        E.evaluate()
        RUN_PATHS.append(getattr(E, "_prepared", None))
        E.accumulate()
        try:
            E.summarize()
            err = None
        except Exception as e:  # e.g. IndexError for fewer than 3 maxDets
            err = type(e).__name__
    lines = [ln for ln in out.getvalue().splitlines() if "(t=" not in ln]
    return E, lines, err


TWEAKS = {
    "default": lambda p: None,
    "recthrs": lambda p: setattr(p, "recThrs", np.linspace(0, 1, 41)),
    "recthrs_f32": lambda p: setattr(p, "recThrs", np.linspace(0, 1, 101).astype(np.float32)
                                     .astype(np.float64)),
    "iouthrs": lambda p: setattr(p, "iouThrs", np.array([0.5, 0.75, 0.3])),
    "maxdets_mmdet": lambda p: setattr(p, "maxDets", [100, 300, 1000]),
    "maxdets_two": lambda p: setattr(p, "maxDets", [10, 1]),
    "areas3": lambda p: (setattr(p, "areaRng", [[0, 1e10], [32 ** 2, 96 ** 2],
                                                [96 ** 2, 1e10]]),
                         setattr(p, "areaRngLbl", ["all", "medium", "large"])),
    "areas6": lambda p: (setattr(p, "areaRng", [[0, 1e10], [0, 16 ** 2], [16 ** 2, 32 ** 2],
                                                [32 ** 2, 96 ** 2], [96 ** 2, 1e10],
                                                [100, 2000]]),
                         setattr(p, "areaRngLbl", ["all", "tiny", "small", "medium", "large",
                                                   "mid"])),
    "nocats": lambda p: setattr(p, "useCats", 0),
    "subset": lambda p: (setattr(p, "catIds", p.catIds[::2]),
                         setattr(p, "imgIds", p.imgIds[1::2])),
}


ACC_TWEAKS = {  # accumulate(p) with p other than the evaluated parameters
    "cats_every_other": lambda p: setattr(p, "catIds", p.catIds[::2]),
    "cats_reversed": lambda p: setattr(p, "catIds", p.catIds[::-1]),
    "imgs_prefix": lambda p: setattr(p, "imgIds", p.imgIds[:len(p.imgIds) // 2]),
    "imgs_every_other": lambda p: setattr(p, "imgIds", p.imgIds[1::2]),
    "maxdets_unsorted": lambda p: setattr(p, "maxDets", [p.maxDets[-1], p.maxDets[0]]),
    "areas_two": lambda p: setattr(p, "areaRng", [p.areaRng[0], p.areaRng[-1]]),
    "recthrs": lambda p: setattr(p, "recThrs", np.linspace(0, 1, 11)),
    "iouthrs_more": lambda p: setattr(p, "iouThrs", np.linspace(0.5, 0.95, 12)),
    "iouthrs_fewer": lambda p: setattr(p, "iouThrs", np.array([0.5, 0.75])),
    "nocats": lambda p: setattr(p, "useCats", 0),
}


def run_accumulate_p(mod_coco, mod_eval, gt_path, dt_path, iou_type, tweak, sig):
    """evaluate() with the defaults, then accumulate(p) with a tweaked copy."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = mod_coco(gt_path)
        E = mod_eval(gt, gt.loadRes(dt_path), iou_type)
        if sig is not None:
            E.params.kpt_oks_sigmas = sig
        E.evaluate()
        p = copy.deepcopy(E.params)
        tweak(p)
        try:
            E.accumulate(p)
        except Exception as e:
            return type(e).__name__
    return {k: E.eval[k] for k in ("precision", "recall", "scores", "counts")}


def check_accumulate_p(tag, gp, dp, iou_type, sig=None):
    n = 0
    for name, tweak in ACC_TWEAKS.items():
        ref = run_accumulate_p(RefCOCO, RefEval, gp, dp, iou_type, tweak, sig)
        got = run_accumulate_p(maskeval.COCO, maskeval.COCOeval, gp, dp, iou_type, tweak, sig)
        if not same_value(ref, got):
            fail("%s accumulate(p) %s: %s vs %s" % (tag, name, ref if isinstance(ref, str)
                                                    else "arrays", got if isinstance(got, str)
                                                    else "arrays differ"))
        n += 1
    return n


def compare(tag, ref, got, check_cells):
    R, rl, rerr = ref
    M, ml, merr = got
    if rerr != merr:
        fail("%s: summarize error %s vs %s" % (tag, rerr, merr))
    if rl != ml:
        fail("%s: printed output differs:\n  %s\n  %s" % (tag, rl, ml))
    if not same_value(np.asarray(R.stats), np.asarray(M.stats)):
        fail("%s: stats %r vs %r" % (tag, R.stats, M.stats))
    for k in ("precision", "recall", "scores"):
        if not same_value(R.eval[k], M.eval[k]):
            d = np.argwhere(R.eval[k] != M.eval[k])
            fail("%s: eval[%s] differs (%d entries, first %s: %r vs %r)" % (
                tag, k, len(d), d[:1].tolist(), R.eval[k][tuple(d[0])] if len(d) else None,
                M.eval[k][tuple(d[0])] if len(d) else None))
    if R.eval["counts"] != M.eval["counts"]:
        fail("%s: counts %r vs %r" % (tag, R.eval["counts"], M.eval["counts"]))
    if not check_cells:
        return
    if len(R.evalImgs) != len(M.evalImgs):
        fail("%s: evalImgs length %d vs %d" % (tag, len(R.evalImgs), len(M.evalImgs)))
        return
    bad = [i for i, (a, b) in enumerate(zip(R.evalImgs, M.evalImgs)) if not same_value(a, b)]
    if bad:
        i = bad[0]
        a, b = R.evalImgs[i], M.evalImgs[i]
        keys = [k for k in a if not same_value(a[k], b[k])] if a and b else "None"
        fail("%s: %d evalImgs entries differ, first %d keys %s" % (tag, len(bad), i, keys))
    if R.ious.keys() != M.ious.keys():
        fail("%s: ious keys differ" % tag)
    else:
        badk = [k for k in R.ious if not same_value(R.ious[k], M.ious[k])]
        if badk:
            fail("%s: %d ious entries differ, first %r" % (tag, len(badk), badk[0]))


KP_TWEAKS = {
    "default": lambda p: None,
    "nocats": lambda p: setattr(p, "useCats", 0),
    "subset": lambda p: (setattr(p, "catIds", p.catIds[:1]),
                         setattr(p, "imgIds", p.imgIds[1::2])),
    "iouthrs": lambda p: setattr(p, "iouThrs", np.array([0.5, 0.75, 0.3, 0.95])),
    "maxdets": lambda p: setattr(p, "maxDets", [5, 20]),
    "areas4": lambda p: (setattr(p, "areaRng", [[0, 1e10], [0, 32 ** 2], [32 ** 2, 96 ** 2],
                                                [96 ** 2, 1e10]]),
                         setattr(p, "areaRngLbl", ["all", "small", "medium", "large"])),
}


def check_match_oks(tag, R, M):
    """The OKS the C library matched with (its records' match IoU) against
    pycocotools' ious, for every matched detection of area range 0."""
    p = M._paramsEval
    # pycocotools' computeOks column order: the cell's GT, or every category's
    n, bad = matched_iou_mismatches(
        M, R.evalImgs, lambda i, k: R.ious[i, k],
        lambda i, k: R._gts[i, k] if p.useCats else [g for c in p.catIds for g in R._gts[i, c]])
    if bad:
        fail("%s: %d of %d matched OKS values differ from pycocotools'" % (tag, bad, n))
    return n


def check_c_summary(tag, ref, got):
    """The C library's own summarize() (maskeval_coco_result_stats / _summary,
    _summarizeKps for keypoints) against pycocotools' stats and lines."""
    R, rl, _ = ref
    run_ = got[0]._run
    if run_.c_stats is None or not same_value(np.asarray(run_.c_stats), np.asarray(R.stats)):
        fail("%s: the C library's stats %r vs %r" % (tag, run_.c_stats, R.stats))
    lines = [ln for ln in rl if ln.startswith(" Average")]
    if run_.c_summary != lines:
        fail("%s: the C library's summary lines differ:\n  %s\n  %s" % (tag, run_.c_summary,
                                                                          lines))


def keypoint_sets(lo, hi, tmp):
    global n_acc
    n = n_oks = 0
    for seed in range(lo, hi + 1):
        gt, dt, k = gen_keypoints.make(seed)
        d = os.path.join(tmp, "kp%d" % seed)
        os.makedirs(d)
        gp, dp = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
        with open(gp, "w") as f:
            json.dump(gt, f)
        with open(dp, "w") as f:
            json.dump(dt, f)
        sig = gen_keypoints.sigmas_for(k)
        names = list(KP_TWEAKS) if seed % 3 == 0 else ["default"]
        for name in names:
            def tweak(p, t=KP_TWEAKS[name]):
                if sig is not None:
                    p.kpt_oks_sigmas = sig
                t(p)
            tag = "keypoint seed %d %s" % (seed, name)
            ref = run(RefCOCO, RefEval, gp, dp, "keypoints", tweak)
            for dicts in (False, True):
                got = run(maskeval.COCO, maskeval.COCOeval, gp, dp, "keypoints", tweak, dicts)
                compare(tag + (" (dicts)" if dicts else " (files)"), ref, got, check_cells=True)
                n += 1
            n_oks += check_match_oks(tag, ref[0], got[0])
            if name == "default" and len(ref[0].params.areaRng) <= 4:
                check_c_summary(tag, ref, got)
        if seed % 3 == 0:
            n_acc += check_accumulate_p("keypoint seed %d" % seed, gp, dp, "keypoints", sig)
    return n, n_oks


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", default="1-24")
    ap.add_argument("--kp-seeds", default="0-29")
    ap.add_argument("--backend", default="cpu")
    args = ap.parse_args()
    lo, hi = (int(x) for x in args.seeds.split("-"))
    os.environ["MASKEVAL_BACKEND"] = args.backend
    n = n_files = 0
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(lo, hi + 1):
            gt, dt = gen_coco.generate(seed, "auto")
            d = os.path.join(tmp, str(seed))
            os.makedirs(d)
            gp, dp = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
            with open(gp, "w") as f:
                f.write(gen_coco.dumps(gt))
            with open(dp, "w") as f:
                f.write(gen_coco.dumps(dt))
            types = ["bbox"] if not any("segmentation" in r for r in dt) else ["segm", "bbox"]
            if not any("bbox" in r and r["bbox"] for r in dt[:1]) and "segm" in types:
                types = ["segm", "bbox"]
            for iou_type in types:
                if seed % 4 == 1:
                    global n_acc
                    n_acc += check_accumulate_p("seed %d %s" % (seed, iou_type), gp, dp, iou_type)
                names = list(TWEAKS) if seed % 4 == 1 else ["default"]
                for name in names:
                    tag = "seed %d %s %s" % (seed, iou_type, name)
                    ref = run(RefCOCO, RefEval, gp, dp, iou_type, TWEAKS[name])
                    for dicts in (False, True):
                        got = run(maskeval.COCO, maskeval.COCOeval, gp, dp, iou_type,
                                  TWEAKS[name], dicts)
                        files_path = RUN_PATHS[-1] is False
                        if dicts and files_path:
                            fail(tag + ": dicts were read, yet the files were evaluated")
                        n_files += files_path
                        compare(tag + (" (dicts)" if dicts else " (files)"), ref, got,
                                check_cells=True)
                        if name == "default":
                            check_c_summary(tag, ref, got)
                        n += 1
        klo, khi = (int(x) for x in args.kp_seeds.split("-"))
        n_kp, n_oks = keypoint_sets(klo, khi, tmp)
    print("%d evaluations compared (%d straight from the files), %d keypoint evaluations "
          "(%d matched OKS values), %d accumulate(p) comparisons, %d failures"
          % (n, n_files, n_kp, n_oks, n_acc, len(FAILS)))
    if n_files < n // 2 * 0.9:
        fail("only %d of %d file-based runs used the file path" % (n_files, n // 2))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
