"""cityscapesScripts' instance-level AP (evalInstanceLevelSemanticLabeling,
version 2.3.0), evaluated by the maskeval C library.

    from maskeval import cityscapes
    res = cityscapes.evaluate(prediction_txts, gt_instance_pngs, prediction_path)
    res["averages"]["allAp"], res["averages"]["classes"]["car"]["ap50%"], ...

    # or the reference's own call, with its args object or maskeval's copy of it
    from maskeval.cityscapes import args, evaluateImgLists
    args.predictionPath = "/abs/path/to/results"
    res = evaluateImgLists(prediction_txts, gt_instance_pngs, args)

The result dict is the reference's: "averages" (allAp, allAp50%, classes.<name>.ap and
.ap50%, as numpy float64), "resultApMatrix" (1 x 8 x 10 nested lists, NaN for a class
without ground truth), "overlaps", "minRegionSizes", "distanceThresholds",
"minStereoDensities", "instLabels". The reference's AP ends in np.dot, whose last
bits depend on the OpenBLAS kernel numpy runs on; by default the kernel of the numpy
imported here is followed (see numpy_ddot_kernel), so the numbers equal the
reference's in this process.

What differs from the reference, on purpose: the ground truth is always read from the
PNGs (the reference silently reuses a gtInstances.json cache left next to its module,
even when the ground truth changed), no matches.json is written into the working
directory, and bad input raises (ValueError naming the file and line) instead of
printing and calling sys.exit.
"""
import ctypes as C
import glob
import json
import math
import os
import types

import numpy as np

from . import _lib
from ._lib import lib

_P, _SZ = _lib.P, _lib.SZ
_CLASSES, _THRESHOLDS = 8, 10
DDOT_KERNELS = {"skylakex": 0, "haswell": 1}
# OpenBLAS core names (openblas_get_corename) -> the ddot kernel they use
_CORE_KERNEL = {"skylakex": "skylakex", "cooperlake": "skylakex", "sapphirerapids": "skylakex",
                "haswell": "haswell", "zen": "haswell"}


class _Params(C.Structure):
    _fields_ = [("struct_size", _SZ), ("min_region_size", C.c_uint64),
                ("max_image_pixels", C.c_uint64), ("ddot_kernel", C.c_int)]


class _Result(C.Structure):
    _fields_ = [("ap", (C.c_double * _THRESHOLDS) * _CLASSES),
                ("class_ap", C.c_double * _CLASSES), ("class_ap50", C.c_double * _CLASSES),
                ("all_ap", C.c_double), ("all_ap50", C.c_double), ("images", C.c_uint64),
                ("gt_instances", C.c_uint64), ("predictions", C.c_uint64)]


_lib._sig("maskeval_csinst_params_init", None, C.POINTER(_Params))
_lib._sig("maskeval_csinst_create", _lib.st_t, _P, C.POINTER(_Params), C.POINTER(_P))
_lib._sig("maskeval_csinst_destroy", None, _P)
_lib._sig("maskeval_csinst_add_many", _lib.st_t, _P, _P, C.POINTER(C.c_char_p),
          C.POINTER(C.c_char_p), _SZ, C.c_char_p)
_lib._sig("maskeval_csinst_evaluate", _lib.st_t, _P, _P, C.POINTER(_Result))
_lib._sig("maskeval_csinst_class_name", C.c_char_p, C.c_int)
_lib._sig("maskeval_csinst_threshold", C.c_double, C.c_int)

INST_LABELS = [lib.maskeval_csinst_class_name(c).decode() for c in range(_CLASSES)]
_OVERLAPS = [lib.maskeval_csinst_threshold(t) for t in range(_THRESHOLDS)]

# maskeval's copy of the reference's module-level args (the fields evaluateImgLists
# reads). predictionPath must be set; JSONOutput is off here (the reference writes
# to a path inside its installed package by default).
args = types.SimpleNamespace(
    overlaps=np.arange(0.5, 1., 0.05), minRegionSizes=np.array([100, 1000, 1000]),
    distanceThs=np.array([float("inf"), 100, 50]), distanceConfs=np.array([-float("inf"), 0.5, 0.5]),
    distanceAvailable=False, JSONOutput=False, exportFile=None, quiet=False, csv=False,
    colorized=True, instLabels=[], predictionPath=None, predictionWalk=None)


def _openblas_core():
    """numpy's OpenBLAS core name, or None where it cannot be asked (another BLAS,
    a numpy built without its bundled OpenBLAS)."""
    names = ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
             "openblas_get_corename64_", "openblas_get_corename")
    libdir = os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libdir, "*openblas*"))):
        try:
            handle = C.CDLL(path)
        except OSError:
            continue
        for name in names:
            f = getattr(handle, name, None)
            if f is not None:
                f.restype = C.c_char_p
                return f().decode()
    return None


def numpy_ddot_kernel():
    """The ddot kernel ("skylakex" or "haswell") of the numpy imported here, or None
    where its BLAS is neither (then the reference's last bits can differ from both)."""
    core = _openblas_core()
    return None if core is None else _CORE_KERNEL.get(core.lower())


def evaluate(prediction_list, ground_truth_list, prediction_path, *, min_region_size=100,
             ddot_kernel="numpy", max_image_pixels=0, threads=0):
    """AP / AP50 of the pairs (prediction text file, *_gtFine_instanceIds.png), zipped
    as the reference zips them (extra entries of the longer list are ignored).
    prediction_path: every mask must lie below it (the reference's string-prefix
    test on absolute paths). ddot_kernel: "numpy" (numpy_ddot_kernel(), else
    "skylakex"), "skylakex" or "haswell". Returns the reference's result dict."""
    if ddot_kernel == "numpy":
        ddot_kernel = numpy_ddot_kernel() or "skylakex"
    if ddot_kernel not in DDOT_KERNELS:
        raise ValueError("ddot_kernel is 'numpy', 'skylakex' or 'haswell' (got %r)" % (ddot_kernel,))
    if prediction_path is None:
        raise ValueError("prediction_path (the reference's args.predictionPath) is not set")
    pairs = list(zip(prediction_list, ground_truth_list))
    preds = (C.c_char_p * max(len(pairs), 1))(*[os.fsencode(p) for p, _ in pairs])
    gts = (C.c_char_p * max(len(pairs), 1))(*[os.fsencode(g) for _, g in pairs])
    c = _lib.Context("cpu", threads)
    prm = _Params()
    lib.maskeval_csinst_params_init(C.byref(prm))
    prm.min_region_size = int(min_region_size)
    prm.max_image_pixels = int(max_image_pixels)
    prm.ddot_kernel = DDOT_KERNELS[ddot_kernel]
    h = _P()
    r = _Result()
    c.check(lib.maskeval_csinst_create(c.h, C.byref(prm), C.byref(h)))
    try:
        c.check(lib.maskeval_csinst_add_many(c.h, h, gts, preds, len(pairs),
                                             os.fsencode(prediction_path)))
        c.check(lib.maskeval_csinst_evaluate(c.h, h, C.byref(r)))
    finally:
        lib.maskeval_csinst_destroy(h)
    classes = {name: {"ap": np.float64(r.class_ap[k]), "ap50%": np.float64(r.class_ap50[k])}
               for k, name in enumerate(INST_LABELS)}
    return {
        "averages": {"allAp": np.float64(r.all_ap), "allAp50%": np.float64(r.all_ap50),
                     "classes": classes},
        "overlaps": list(_OVERLAPS),
        "minRegionSizes": [int(min_region_size), 1000, 1000],
        "distanceThresholds": [float("inf"), 100.0, 50.0],
        "minStereoDensities": [-float("inf"), 0.5, 0.5],
        "instLabels": list(INST_LABELS),
        "resultApMatrix": [[[float(v) for v in row] for row in r.ap]],
    }


def _check_args(a):
    if getattr(a, "distanceAvailable", False):
        raise NotImplementedError("maskeval: the distance-based APs (args.distanceAvailable) "
                                  "are not implemented; the reference's 2.3.0 never sets it")
    if not np.array_equal(np.asarray(a.overlaps, dtype=np.float64), np.array(_OVERLAPS)):
        raise NotImplementedError("maskeval: only the reference's overlaps "
                                  "np.arange(0.5, 1., 0.05) are implemented")


def _color(val, a):
    # the reference's getColorEntry
    if not a.colorized:
        return ""
    if not isinstance(val, float) or math.isnan(val):
        return "\033[0m"
    for limit, code in ((.20, "\033[31;1m"), (.40, "\033[33;1m"), (.60, "\033[34;1m"),
                        (.80, "\033[36;1m")):
        if val < limit:
            return code
    return "\033[32;1m"


def printResults(avgDict, args):  # noqa: N802, N803 - the reference's names
    """The reference's printResults (without the distance columns)."""
    a = args
    sep = "," if a.csv else ""
    col1 = ":" if not a.csv else ""
    no_col = "\033[0m" if a.colorized else ""
    bold = "\033[1m" if a.colorized else ""
    line_len = 50
    print("")
    if not a.csv:
        print("#" * line_len)
    print(bold + "{:<15}".format("what") + sep + col1 + "{:>15}".format("AP") + sep +
          "{:>15}".format("AP_50%") + sep + no_col)
    if not a.csv:
        print("#" * line_len)

    def row(name, ap, ap50):
        return ("{:<15}".format(name) + sep + col1 + _color(ap, a) + sep +
                "{:>15.3f}".format(ap) + sep + _color(ap50, a) + sep +
                "{:>15.3f}".format(ap50) + sep + no_col)

    for name in a.instLabels:
        cls = avgDict["classes"][name]
        print(row(name, cls["ap"], cls["ap50%"]))
    if not a.csv:
        print("-" * line_len)
    print(row("average", avgDict["allAp"], avgDict["allAp50%"]))
    print("")


def evaluateImgLists(predictionList, groundTruthList, args):  # noqa: N802, N803
    """The reference's evaluateImgLists: sets args.instLabels, evaluates the zipped
    pairs with min region size args.minRegionSizes[0] and prediction root
    args.predictionPath (made absolute), writes the result dict to args.exportFile
    when args.JSONOutput (as its writeDict2JSON), prints the table unless
    args.quiet, and returns the result dict."""
    _check_args(args)
    args.instLabels = list(INST_LABELS)
    root = args.predictionPath
    res = evaluate(predictionList, groundTruthList,
                   None if root is None else os.path.abspath(root),
                   min_region_size=int(args.minRegionSizes[0]))
    res["overlaps"] = np.asarray(args.overlaps).tolist()
    res["minRegionSizes"] = np.asarray(args.minRegionSizes).tolist()
    res["distanceThresholds"] = np.asarray(args.distanceThs).tolist()
    res["minStereoDensities"] = np.asarray(args.distanceConfs).tolist()
    if args.JSONOutput:
        path = os.path.dirname(args.exportFile)
        if path and not os.path.isdir(path):
            os.makedirs(path)
        with open(args.exportFile, "w") as f:
            f.write(json.dumps(res, default=lambda o: o.__dict__, sort_keys=True, indent=4))
    if not args.quiet:
        printResults(res["averages"], args)
    return res
