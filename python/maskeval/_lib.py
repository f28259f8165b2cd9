"""ctypes binding of libmaskeval.so (include/maskeval.h).

The library is looked up next to this file (where `pip install ./python` puts
it), else at $MASKEVAL_LIBRARY (a build tree, for the project's own tests).
Every fallible call goes through `check`, which turns a status into an
exception carrying the context's message.
"""
import ctypes as C
import os
import threading

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))


def _find_library():
    local = os.path.join(_HERE, "libmaskeval.so")
    if os.path.exists(local):
        return local
    env = os.environ.get("MASKEVAL_LIBRARY")
    if env:
        return env
    raise ImportError(
        "maskeval: libmaskeval.so is not installed next to the package; install with "
        "`pip install ./python` or set MASKEVAL_LIBRARY to a built libmaskeval.so")


lib = C.CDLL(_find_library())

P = C.c_void_p
SZ = C.c_size_t
U32P = C.POINTER(C.c_uint32)
U64P = C.POINTER(C.c_uint64)
I64P = C.POINTER(C.c_int64)
F64P = C.POINTER(C.c_double)
U8P = C.POINTER(C.c_uint8)

# enum values of maskeval.h
IOU_SEGM, IOU_BBOX, IOU_KEYPOINTS = 0, 1, 2
LOAD_SEGM, LOAD_BBOX, LOAD_KEYPOINTS = 1, 2, 8
BACKEND = {"auto": 0, "cpu": 1, "opencl": 2}
MASK_COL_MAJOR, MASK_ROW_MAJOR, MASK_RAW_VALUES = 0, 1, 2
ARRAY_PRECISION, ARRAY_RECALL, ARRAY_SCORES = 0, 1, 2
ERR_INVALID_ARG, ERR_NOMEM, ERR_PARSE, ERR_BUFFER_TOO_SMALL, ERR_LIMIT = 1, 2, 4, 5, 10


class Options(C.Structure):
    _fields_ = [("struct_size", SZ), ("backend", C.c_int), ("device_index", C.c_int),
                ("threads", C.c_int), ("max_device_mem", C.c_uint64),
                ("log_fn", P), ("log_user", P), ("malloc_fn", P), ("realloc_fn", P),
                ("free_fn", P), ("progress_fn", P), ("progress_user", P)]


class CocoParams(C.Structure):
    _fields_ = [("struct_size", SZ), ("iou_type", C.c_int), ("use_cats", C.c_int),
                ("iou_thrs", F64P), ("n_iou_thrs", SZ), ("max_dets", I64P), ("n_max_dets", SZ),
                ("area_rng", F64P), ("img_ids", I64P), ("n_img_ids", SZ), ("cat_ids", I64P),
                ("n_cat_ids", SZ), ("keep_matches", C.c_int), ("lvis", C.c_int),
                ("lvis_max_dets", C.c_int64), ("lvis_ap", C.c_int),
                ("lvis_dets_per_cat", C.c_int64), ("rec_thrs", F64P), ("n_rec_thrs", SZ),
                ("boundary_dilation_ratio", C.c_double), ("kpt_oks_sigmas", F64P),
                ("n_kpt_oks_sigmas", SZ), ("oks_exp", P), ("oks_exp_user", P)]


# void (*oks_exp)(void *user, double *x, size_t n)
OKS_EXP_FN = C.CFUNCTYPE(None, P, F64P, SZ)


class GtArrays(C.Structure):
    _fields_ = [("struct_size", SZ), ("n_images", SZ), ("image_ids", I64P), ("heights", U32P),
                ("widths", U32P), ("n_categories", SZ), ("category_ids", I64P),
                ("category_names", C.c_char_p), ("n_annotations", SZ), ("ann_ids", I64P),
                ("ann_image_ids", I64P), ("ann_category_ids", I64P), ("ann_iscrowd", U8P),
                ("ann_area", F64P), ("ann_bbox", F64P), ("ann_rle", C.c_char_p),
                ("ann_rle_off", U64P), ("n_keypoints", SZ), ("ann_keypoints", F64P),
                ("ann_ignore", U8P)]


class DetsArrays(C.Structure):
    _fields_ = [("struct_size", SZ), ("n", SZ), ("image_ids", I64P), ("category_ids", I64P),
                ("scores", F64P), ("areas", F64P), ("bbox", F64P), ("rle", C.c_char_p),
                ("rle_off", U64P), ("keypoints", F64P)]


class CocoSelect(C.Structure):
    _fields_ = [("struct_size", SZ), ("k_index", C.POINTER(SZ)), ("n_k", SZ),
                ("img_index", C.POINTER(SZ)), ("n_img", SZ), ("area_index", SZ * 4),
                ("max_dets", I64P), ("n_max_dets", SZ), ("rec_thrs", F64P), ("n_rec_thrs", SZ)]


class Record(C.Structure):
    _fields_ = [("image_id", C.c_int64), ("category_id", C.c_int64), ("n_dt", C.c_uint32),
                ("n_gt_not_ignored", C.c_uint32 * 4), ("scores", F64P), ("status", U8P),
                ("match_gt", I64P), ("match_iou", F64P)]


def _sig(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


st_t = C.c_int
_sig("maskeval_options_init", None, C.POINTER(Options))
_sig("maskeval_ctx_create", st_t, C.POINTER(Options), C.POINTER(P))
_sig("maskeval_ctx_destroy", None, P)
_sig("maskeval_errmsg", C.c_char_p, P)
_sig("maskeval_strerror", C.c_char_p, st_t)
_sig("maskeval_version", C.c_char_p)
_sig("maskeval_coco_params_init", None, C.POINTER(CocoParams))

_sig("maskeval_rles_create", st_t, P, C.POINTER(P))
_sig("maskeval_rles_destroy", None, P)
_sig("maskeval_rles_clear", None, P)
_sig("maskeval_rles_count", SZ, P)
_sig("maskeval_rles_strings", P, P, C.POINTER(U64P))
_sig("maskeval_rles_encode", st_t, P, P, P, SZ, C.c_uint32, C.c_uint32, C.c_uint, P, P)
_sig("maskeval_rles_polygons", st_t, P, P, P, P, SZ, C.c_uint32, C.c_uint32)
_sig("maskeval_rles_polygon_groups", st_t, P, P, P, P, P, SZ, P, P)
_sig("maskeval_rles_counts", st_t, P, P, P, P, SZ)
_sig("maskeval_rles_merge", st_t, P, P, P, P, SZ, P, P, C.c_int, U32P, U32P)
_sig("maskeval_rles_info", st_t, P, P, P, SZ, P, P, P, P)
_sig("maskeval_rles_decode", st_t, P, P, P, SZ, C.c_uint32, C.c_uint32, P)
_sig("maskeval_rles_iou", st_t, P, P, P, SZ, P, P, P, P, SZ, P, P, P, P)
_sig("maskeval_box_iou_matrix", None, P, SZ, P, SZ, P, P)

_sig("maskeval_gt_load_file", st_t, P, C.c_char_p, C.c_uint, C.POINTER(P))
_sig("maskeval_dets_load_file", st_t, P, P, C.c_char_p, C.POINTER(P))
_sig("maskeval_gt_image_ids", SZ, P, P, SZ)
_sig("maskeval_gt_category_ids", SZ, P, P, SZ)
_sig("maskeval_gt_from_arrays", st_t, P, C.POINTER(GtArrays), C.c_uint, C.POINTER(P))
_sig("maskeval_gt_destroy", None, P)
_sig("maskeval_dets_from_arrays", st_t, P, P, C.POINTER(DetsArrays), C.POINTER(P))
_sig("maskeval_dets_destroy", None, P)
_sig("maskeval_coco_evaluate_images", st_t, P, P, P, C.POINTER(CocoParams), C.c_uint32,
     C.c_uint32, C.POINTER(P))
_sig("maskeval_coco_partial_merge", st_t, P, C.POINTER(P), SZ, C.POINTER(P))
_sig("maskeval_coco_accumulate", st_t, P, P, C.POINTER(P))
_sig("maskeval_coco_partial_encode", st_t, P, P, P, SZ, C.POINTER(SZ))
_sig("maskeval_coco_partial_decode", st_t, P, C.c_char_p, P, SZ, C.POINTER(P))
_sig("maskeval_coco_partial_destroy", None, P)
_sig("maskeval_coco_partial_record", st_t, P, SZ, C.POINTER(Record))
_sig("maskeval_coco_result_destroy", None, P)
_sig("maskeval_coco_result_dims", None, P, C.POINTER(SZ * 5))
_sig("maskeval_coco_result_array", st_t, P, C.c_int, P, SZ, C.POINTER(SZ))
_sig("maskeval_coco_result_stats", None, P, C.POINTER(C.c_double * 12))
_sig("maskeval_coco_result_n_stats", SZ, P)
_sig("maskeval_coco_partial_select", st_t, P, P, C.POINTER(CocoSelect), C.POINTER(P))
_sig("maskeval_coco_result_summary", st_t, P, C.c_char_p, SZ, C.POINTER(SZ))


class MaskevalError(RuntimeError):
    """A failure reported by the C library (its message names the element)."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _exc_for(status):
    if status in (ERR_PARSE, ERR_INVALID_ARG, ERR_LIMIT):
        return ValueError
    if status == ERR_NOMEM:
        return MemoryError
    return MaskevalError


class Context:
    """One maskeval_ctx (thread-unsafe by contract: one per thread)."""

    def __init__(self, backend="cpu", threads=0, device_index=-1):
        opts = Options()
        lib.maskeval_options_init(C.byref(opts))
        opts.backend = BACKEND[backend]
        opts.threads = int(threads)
        opts.device_index = int(device_index)
        h = P()
        st = lib.maskeval_ctx_create(C.byref(opts), C.byref(h))
        if st != 0:
            msg = lib.maskeval_errmsg(h).decode() if h.value else ""
            lib.maskeval_ctx_destroy(h)
            raise MaskevalError(st, msg or lib.maskeval_strerror(st).decode())
        self.h = h

    def check(self, st):
        if st != 0:
            msg = lib.maskeval_errmsg(self.h).decode("utf-8", "replace")
            if not msg:
                msg = lib.maskeval_strerror(st).decode()
            exc = _exc_for(st)
            if exc is MaskevalError:
                raise MaskevalError(st, msg)
            raise exc(msg)

    def __del__(self):
        h, self.h = getattr(self, "h", None), None
        if h is not None and lib is not None:
            lib.maskeval_ctx_destroy(h)


_local = threading.local()


def ctx():
    """The calling thread's CPU context (for mask operations)."""
    c = getattr(_local, "ctx", None)
    if c is None:
        c = _local.ctx = Context("cpu", threads=int(os.environ.get("MASKEVAL_THREADS", "0")))
    return c


def ptr(a):
    """Data pointer of a contiguous numpy array (kept alive by the caller)."""
    return a.ctypes.data if a is not None and a.size else None


class Rles:
    """A maskeval_rles: compressed strings back to back."""

    def __init__(self, c=None):
        self.c = c or ctx()
        h = P()
        self.c.check(lib.maskeval_rles_create(self.c.h, C.byref(h)))
        self.h = h

    def __len__(self):
        return lib.maskeval_rles_count(self.h)

    def strings(self):
        """The strings as a list of bytes."""
        n = len(self)
        if n == 0:
            return []
        off = U64P()
        base = lib.maskeval_rles_strings(self.h, C.byref(off))
        offs = np.ctypeslib.as_array(off, shape=(n + 1,))
        blob = C.string_at(base, int(offs[n]))
        o = offs.tolist()
        return [blob[o[i]:o[i + 1]] for i in range(n)]

    def blob(self):
        """(all strings as one bytes object, uint64 offsets[n + 1])."""
        n = len(self)
        if n == 0:
            return b"", np.zeros(1, np.uint64)
        off = U64P()
        base = lib.maskeval_rles_strings(self.h, C.byref(off))
        offs = np.ctypeslib.as_array(off, shape=(n + 1,)).copy()
        return C.string_at(base, int(offs[n])), offs

    def __del__(self):
        h, self.h = getattr(self, "h", None), None
        if h is not None and lib is not None:
            lib.maskeval_rles_destroy(h)


def offsets(sizes):
    """uint64 offsets[n + 1] of n pieces of the given sizes laid end to end."""
    sizes = list(sizes)
    off = np.zeros(len(sizes) + 1, np.uint64)
    if sizes:
        np.cumsum(np.asarray(sizes, np.uint64), out=off[1:])
    return off


def pack_strings(strs):
    """bytes/str list -> (one bytes buffer, uint64 offsets[n + 1])."""
    bs = [s.encode() if isinstance(s, str) else s for s in strs]
    return b"".join(bs), offsets(len(b) for b in bs)


def version():
    return lib.maskeval_version().decode()
