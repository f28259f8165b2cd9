"""pycocotools.mask, with pycocotools 2.0.11's behaviour, over maskeval's C RLE codec.

An RLE is a dict {"size": [h, w], "counts": bytes} (counts may be given as
str). Dtypes, shapes, Fortran order and the exceptions callers rely on are
pycocotools': encode takes a Fortran-contiguous uint8 (or bool) H x W or
H x W x N array, decode returns Fortran-ordered uint8, area uint32, toBbox
float64, iou a float64 (D, G) matrix or [] when a side is empty.

Deliberate differences (README "Python"): counts that do not add up to
h x w, or masks of different sizes passed to decode together, raise
ValueError where pycocotools reads or writes out of bounds; an empty
polygon raises ValueError where pycocotools reads past its end.
"""
import ctypes as C

import numpy as np

from . import _lib
from ._lib import lib, ptr

__all__ = ["encode", "decode", "area", "toBbox", "merge", "iou", "frPyObjects",
           "frPoly", "frBbox", "frUncompressedRLE"]


def _rle_dicts(strings, h, w):
    return [{"size": [h, w], "counts": s} for s in strings]


def _encode3(m):
    h, w, n = m.shape
    r = _lib.Rles()
    m8 = m.view(np.uint8) if m.dtype == np.bool_ else m
    # Fortran H x W x N: N column-major masks back to back, no copy
    r.c.check(lib.maskeval_rles_encode(r.c.h, r.h, ptr(m8), n, h, w,
                                       _lib.MASK_COL_MAJOR | _lib.MASK_RAW_VALUES, None,
                                       None))
    return _rle_dicts(r.strings(), h, w)


def _check_buffer(m, ndim):
    if not isinstance(m, np.ndarray):
        raise TypeError("Argument 'bimask' has incorrect type (expected numpy.ndarray, got %s)"
                        % type(m).__name__)
    if m.ndim != ndim:
        raise ValueError("Buffer has wrong number of dimensions (expected %d, got %d)"
                         % (ndim, m.ndim))
    if not m.flags.f_contiguous:
        raise ValueError("ndarray is not Fortran contiguous")
    if m.dtype != np.uint8 and m.dtype != np.bool_:
        raise ValueError("Buffer dtype mismatch, expected 'uint8_t' but got '%s'" % m.dtype)


def encode(bimask):
    """Fortran-contiguous uint8 H x W -> RLE dict; H x W x N -> list of N dicts."""
    if len(bimask.shape) == 3:
        _check_buffer(bimask, 3)
        return _encode3(bimask)
    if len(bimask.shape) == 2:
        h, w = bimask.shape
        m = bimask.reshape((h, w, 1), order="F")
        _check_buffer(m, 3)
        return _encode3(m)[0]
    _check_buffer(bimask, 3)
    return None


def _counts_bytes(obj):
    c = obj["counts"]
    return c.encode("utf8") if isinstance(c, str) else bytes(c)


def _unpack(rles):
    """list of RLE dicts -> (blob, offsets, h[], w[])."""
    strs, hs, ws = [], [], []
    for r in rles:
        size = r["size"]
        hs.append(size[0])
        ws.append(size[1])
        strs.append(_counts_bytes(r))
    blob, off = _lib.pack_strings(strs)
    return blob, off, np.asarray(hs, np.uint32), np.asarray(ws, np.uint32)


def decode(rleObjs):
    """RLE dict -> uint8 H x W; list -> uint8 H x W x N (Fortran order)."""
    if isinstance(rleObjs, list):
        return _decode_list(rleObjs)
    return _decode_list([rleObjs])[:, :, 0]


def _decode_list(rles):
    if len(rles) == 0:
        raise ValueError("decode of an empty list: no mask size to decode to")
    blob, off, hs, ws = _unpack(rles)
    h, w = int(hs[0]), int(ws[0])
    if np.any(hs != h) or np.any(ws != w):
        raise ValueError("decode: masks of different sizes in one list (pycocotools decodes "
                         "them all at the first one's size)")
    out = np.empty((h, w, len(rles)), dtype=np.uint8, order="F")
    c = _lib.ctx()
    c.check(lib.maskeval_rles_decode(c.h, blob, ptr(off), len(rles), h, w, ptr(out)))
    return out


def _info(rles, want_area, want_box):
    n = len(rles)
    blob, off, hs, ws = _unpack(rles)
    a = np.zeros(n, np.uint32) if want_area else None
    b = np.zeros((n, 4), np.float64) if want_box else None
    if n:
        c = _lib.ctx()
        c.check(lib.maskeval_rles_info(c.h, blob, ptr(off), n, ptr(hs), ptr(ws), ptr(a),
                                       ptr(b)))
    return a, b


def area(rleObjs):
    """RLE dict -> np.uint32; list -> uint32 (N,)."""
    if isinstance(rleObjs, list):
        return _info(rleObjs, True, False)[0]
    return _info([rleObjs], True, False)[0][0]


def toBbox(rleObjs):
    """RLE dict -> float64 (4,) [x, y, w, h]; list -> (N, 4)."""
    if isinstance(rleObjs, list):
        return _info(rleObjs, False, True)[1]
    return _info([rleObjs], False, True)[1][0]


def merge(rleObjs, intersect=0):
    """Union (or intersection) of a list of RLE dicts, one RLE dict."""
    blob, off, hs, ws = _unpack(rleObjs)
    r = _lib.Rles()
    oh, ow = C.c_uint32(), C.c_uint32()
    r.c.check(lib.maskeval_rles_merge(r.c.h, r.h, blob, ptr(off), len(rleObjs), ptr(hs),
                                      ptr(ws), 1 if intersect else 0, C.byref(oh),
                                      C.byref(ow)))
    return {"size": [oh.value, ow.value], "counts": r.strings()[0]}


def _iou_preproc(objs):
    if len(objs) == 0:
        return objs
    if isinstance(objs, np.ndarray):
        if len(objs.shape) == 1:
            objs = objs.reshape((objs[0], 1))
        if not len(objs.shape) == 2 or not objs.shape[1] == 4:
            raise Exception("numpy ndarray input is only for *bounding boxes* and should have "
                            "Nx4 dimension")
        return np.ascontiguousarray(objs, dtype=np.double)
    if isinstance(objs, list):
        isbox = all(len(o) == 4 and isinstance(o, (list, np.ndarray)) for o in objs)
        isrle = all(isinstance(o, dict) for o in objs)
        if isbox:
            objs = np.array(objs, dtype=np.double)
            if len(objs.shape) == 1:
                objs = objs.reshape((1, objs.shape[0]))
            return np.ascontiguousarray(objs)
        if isrle:
            return _RleList(objs)
        raise Exception("list input can be bounding box (Nx4) or RLEs ([RLE])")
    raise Exception("unrecognized type.  The following type: RLEs (rle), np.ndarray (box), "
                    "and list (box) are supported.")


class _RleList:
    def __init__(self, objs):
        self.n = len(objs)
        self.blob, self.off, self.h, self.w = _unpack(objs)

    def __len__(self):
        return self.n


def iou(dt, gt, pyiscrowd):
    """pycocotools' iou: float64 (D, G) (Fortran order), [] if a side is empty."""
    iscrowd = np.array(pyiscrowd, dtype=np.uint8)
    dt = _iou_preproc(dt)
    gt = _iou_preproc(gt)
    m, n = len(dt), len(gt)
    if m == 0 or n == 0:
        return []
    if type(dt) is not type(gt):
        raise Exception("The dt and gt should have the same data type, either RLEs, list or "
                        "np.ndarray")
    assert iscrowd.size == n, "iscrowd must have as many entries as gt"
    iscrowd = np.ascontiguousarray(iscrowd.reshape(-1))
    out = np.empty(m * n, np.float64)
    if isinstance(dt, _RleList):
        c = _lib.ctx()
        c.check(lib.maskeval_rles_iou(c.h, dt.blob, ptr(dt.off), m, ptr(dt.h), ptr(dt.w),
                                      gt.blob, ptr(gt.off), n, ptr(gt.h), ptr(gt.w),
                                      ptr(iscrowd), ptr(out)))
    else:
        lib.maskeval_box_iou_matrix(ptr(dt), m, ptr(gt), n, ptr(iscrowd), ptr(out))
    return out.reshape((m, n), order="F")


def frBbox(bb, h, w):
    """N x 4 float64 boxes -> list of RLE dicts (rleFrBbox)."""
    if not isinstance(bb, np.ndarray):
        raise TypeError("Argument 'bb' has incorrect type (expected numpy.ndarray, got %s)"
                        % type(bb).__name__)
    if bb.ndim != 2:
        raise ValueError("Buffer has wrong number of dimensions (expected 2, got %d)" % bb.ndim)
    if bb.dtype != np.float64:
        raise ValueError("Buffer dtype mismatch, expected 'double_t' but got '%s'" % bb.dtype)
    n = bb.shape[0]
    xs, ys = bb[:, 0], bb[:, 1]
    xe, ye = xs + bb[:, 2], ys + bb[:, 3]
    xy = np.ascontiguousarray(np.stack([xs, ys, xs, ye, xe, ye, xe, ys], axis=1))
    off = np.arange(0, 8 * n + 1, 8, dtype=np.uint64)
    return _polys(xy.reshape(-1), off, n, h, w)


def _polys(xy, off, n, h, w):
    r = _lib.Rles()
    r.c.check(lib.maskeval_rles_polygons(r.c.h, r.h, ptr(xy), ptr(off), n, h, w))
    return _rle_dicts(r.strings(), h, w)


def frPoly(poly, h, w):
    """List of polygons [x0, y0, x1, y1, ...] -> list of RLE dicts (one per polygon)."""
    arrs = [np.asarray(p, dtype=np.double).reshape(-1) for p in poly]
    off = _lib.offsets(a.size for a in arrs)
    xy = np.ascontiguousarray(np.concatenate(arrs)) if arrs else np.zeros(0)
    return _polys(xy, off, len(arrs), h, w)


def frUncompressedRLE(ucRles, h, w):
    """Uncompressed RLE dicts (counts a list of ints) -> compressed RLE dicts."""
    cnts = [np.array(o["counts"], dtype=np.uint32) for o in ucRles]
    off = _lib.offsets(c.size for c in cnts)
    flat = np.ascontiguousarray(np.concatenate(cnts)) if cnts else np.zeros(0, np.uint32)
    r = _lib.Rles()
    r.c.check(lib.maskeval_rles_counts(r.c.h, r.h, ptr(flat), ptr(off), len(cnts)))
    return [{"size": [o["size"][0], o["size"][1]], "counts": s}
            for o, s in zip(ucRles, r.strings())]


def frPyObjects(pyobj, h, w):
    """Boxes, polygons or uncompressed RLE -> RLE dict(s), dispatched as pycocotools does."""
    if type(pyobj) == np.ndarray:
        return frBbox(pyobj, h, w)
    if type(pyobj) == list and len(pyobj[0]) == 4:
        return frBbox(pyobj, h, w)
    if type(pyobj) == list and len(pyobj[0]) > 4:
        return frPoly(pyobj, h, w)
    if (type(pyobj) == list and type(pyobj[0]) == dict and "counts" in pyobj[0]
            and "size" in pyobj[0]):
        return frUncompressedRLE(pyobj, h, w)
    if type(pyobj) == dict and "counts" in pyobj and "size" in pyobj:
        return frUncompressedRLE([pyobj], h, w)[0]
    raise Exception("input type is not supported.")
