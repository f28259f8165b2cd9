"""panopticapi's pq_compute (and Boundary PQ), evaluated by the maskeval C library.

    from maskeval.panoptic import pq_compute
    results = pq_compute(gt_json, pred_json, gt_folder, pred_folder)
    results["All"]["pq"], results["per_class"][category_id]["sq"], ...

The same call and the same result dict as panopticapi.evaluation.pq_compute:
"All", "Things" and "Stuff" with pq, sq, rq and n, and "per_class" (the All
group's categories) with pq, sq and rq; sq is the int 0 for a category
without true positives, and a group without categories raises
ZeroDivisionError, as there. panopticapi sums the IoUs per process over
multiprocessing.cpu_count() chunks of the images, so its SQ / PQ depend on
the core count in the last bits: `chunks` (default: this machine's
cpu_count(), as panopticapi here) reproduces a run on that many processes
bit for bit. dilation_ratio > 0 gives Boundary PQ (boundary-iou-api's
panoptic evaluation; its default ratio is 0.02). It prints panopticapi's
table and time; errors name the file, image and segment (ValueError for bad
input).
"""
import ctypes as C
import os
import time

from . import _lib
from ._lib import lib

_P, _SZ = _lib.P, _lib.SZ


class _Params(C.Structure):
    _fields_ = [("struct_size", _SZ), ("gt_json", C.c_char_p), ("pred_json", C.c_char_p),
                ("gt_dir", C.c_char_p), ("pred_dir", C.c_char_p), ("chunks", C.c_uint32),
                ("dilation_ratio", C.c_double), ("max_image_pixels", C.c_uint64),
                ("shard_index", C.c_uint32), ("shard_count", C.c_uint32)]


class _Class(C.Structure):
    _fields_ = [("id", C.c_int64), ("name", C.c_char_p), ("isthing", C.c_int),
                ("iou", C.c_double), ("tp", C.c_uint64), ("fp", C.c_uint64),
                ("fn", C.c_uint64), ("pq", C.c_double), ("sq", C.c_double),
                ("rq", C.c_double)]


class _Summary(C.Structure):
    _fields_ = [("pq", C.c_double), ("sq", C.c_double), ("rq", C.c_double), ("n", _SZ)]


_lib._sig("maskeval_panoptic_params_init", None, C.POINTER(_Params))
_lib._sig("maskeval_panoptic_evaluate", _lib.st_t, _P, C.POINTER(_Params), C.POINTER(_P))
_lib._sig("maskeval_panoptic_destroy", None, _P)
_lib._sig("maskeval_panoptic_n_classes", _SZ, _P)
_lib._sig("maskeval_panoptic_class", _lib.st_t, _P, _SZ, C.POINTER(_Class))
_lib._sig("maskeval_panoptic_summary", None, _P, C.c_int, C.POINTER(_Summary))

_GROUPS = (("All", 0, None), ("Things", 1, True), ("Stuff", 2, False))


def _path(p):
    return None if p is None else os.fsencode(p)


def pq_compute(gt_json_file, pred_json_file, gt_folder=None, pred_folder=None, *,
               chunks=None, dilation_ratio=0.0, backend="cpu", threads=0):
    """panopticapi.evaluation.pq_compute; folders default to the JSON paths
    without ".json", as there. Prints its lines, except the per-process
    progress."""
    t0 = time.time()
    if chunks is None:
        chunks = os.cpu_count() or 1
    if gt_folder is None:
        gt_folder = os.fsdecode(gt_json_file).replace(".json", "")
    if pred_folder is None:
        pred_folder = os.fsdecode(pred_json_file).replace(".json", "")
    print("Evaluation panoptic segmentation metrics:")
    print("Ground truth:")
    print("\tSegmentation folder: {}".format(gt_folder))
    print("\tJSON file: {}".format(gt_json_file))
    print("Prediction:")
    print("\tSegmentation folder: {}".format(pred_folder))
    print("\tJSON file: {}".format(pred_json_file))
    if not os.path.isdir(gt_folder):
        raise Exception("Folder {} with ground truth segmentations doesn't exist".format(gt_folder))
    if not os.path.isdir(pred_folder):
        raise Exception("Folder {} with predicted segmentations doesn't exist".format(pred_folder))
    c = _lib.Context(backend, threads)
    prm = _Params()
    lib.maskeval_panoptic_params_init(C.byref(prm))
    prm.gt_json, prm.pred_json = _path(gt_json_file), _path(pred_json_file)
    prm.gt_dir, prm.pred_dir = _path(gt_folder), _path(pred_folder)
    prm.chunks = int(chunks)
    prm.dilation_ratio = float(dilation_ratio)
    h = _P()
    c.check(lib.maskeval_panoptic_evaluate(c.h, C.byref(prm), C.byref(h)))
    try:
        classes = []
        for i in range(lib.maskeval_panoptic_n_classes(h)):
            k = _Class()
            c.check(lib.maskeval_panoptic_class(h, i, C.byref(k)))
            classes.append((k.id, k.isthing, k.tp, k.fp, k.fn, k.pq, k.sq, k.rq))
        sums = []
        for _name, g, _isthing in _GROUPS:
            s = _Summary()
            lib.maskeval_panoptic_summary(h, g, C.byref(s))
            sums.append((s.pq, s.sq, s.rq, s.n))
    finally:
        lib.maskeval_panoptic_destroy(h)
    results = {}
    for (name, _g, isthing), (pq, sq, rq, n) in zip(_GROUPS, sums):
        if n == 0:
            raise ZeroDivisionError("division by zero")  # pq_average's pq / n
        results[name] = {"pq": pq, "sq": sq, "rq": rq, "n": int(n)}
        if isthing is None:
            per_class = {}
            for cid, _thing, tp, fp, fn, cpq, csq, crq in classes:
                if tp + fp + fn == 0:
                    per_class[cid] = {"pq": 0.0, "sq": 0.0, "rq": 0.0}
                else:  # iou / tp if tp != 0 else 0: the int 0
                    per_class[cid] = {"pq": cpq, "sq": csq if tp != 0 else 0, "rq": crq}
            results["per_class"] = per_class
    print("{:10s}| {:>5s}  {:>5s}  {:>5s} {:>5s}".format("", "PQ", "SQ", "RQ", "N"))
    print("-" * (10 + 7 * 4))
    for name, _g, _isthing in _GROUPS:
        r = results[name]
        print("{:10s}| {:5.1f}  {:5.1f}  {:5.1f} {:5d}".format(
            name, 100 * r["pq"], 100 * r["sq"], 100 * r["rq"], r["n"]))
    print("Time elapsed: {:0.2f} seconds".format(time.time() - t0))
    return results
