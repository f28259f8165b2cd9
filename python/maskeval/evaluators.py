"""Streaming evaluators for model outputs: detections per image in, metrics out.

    ev = maskeval.InstanceEvaluator(gt, iou_type="segm")
    for image_id, out in outputs:
        ev.update(image_id, masks=out.masks, scores=out.scores, labels=out.labels)
    res = ev.compute()          # res["stats"]: pycocotools' 12 statistics

InstanceEvaluator gives exactly what writing the same detections to a results
JSON (in update order) and evaluating it with COCO.loadRes + COCOeval gives:
loadRes' rules included (the first update decides its branch: with boxes, every
detection's area is w * h; with masks only, the mask's area and box). Dense
masks (N x H x W, bool or uint8, C order: what a model emits) are run-length
encoded in C on the library's threads, never copied into Fortran order; only
the compressed strings are kept.

For distributed evaluation, `partial()` gives this rank's detections as bytes
(all_gather them) and `InstanceEvaluator.merge(gt, parts)` evaluates them all:
the same numbers as one evaluator fed every image.

SemanticEvaluator counts per-class confusion over numpy label maps with the C
counting code and mmsegmentation's IoUMetric definitions.
"""
import contextlib
import copy
import ctypes as C
import io
import json

import numpy as np

from . import _ingest, _lib
from .coco import COCO
from .cocoeval import Params, _Run, summarize_eval
from ._lib import lib, ptr

__all__ = ["InstanceEvaluator", "SemanticEvaluator"]

_PART_MAGIC = b"MEVDETS1"


def _as_coco(gt):
    if isinstance(gt, COCO) or hasattr(gt, "imgToAnns"):
        return gt
    coco = COCO()
    if isinstance(gt, dict):
        coco.dataset = gt
    else:
        with open(gt) as f:
            coco.dataset = json.load(f)
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


class InstanceEvaluator:
    """COCO mAP from per-image detections.

    gt: a COCO, a ground-truth path or its dict. iou_type: "segm" or "bbox".
    params: a Params to start from (imgIds / catIds default to the ground
    truth's, as COCOeval does); max_dets, iou_thrs, rec_thrs override it.
    """

    def __init__(self, gt, iou_type="segm", *, params=None, max_dets=None, iou_thrs=None,
                 rec_thrs=None, backend=None, threads=0):
        if iou_type not in ("segm", "bbox"):
            raise ValueError("iou_type must be 'segm' or 'bbox', got %r" % (iou_type,))
        self.gt = _as_coco(gt)
        p = params if params is not None else Params(iou_type)
        p.iouType = iou_type
        if params is None:
            p.imgIds = sorted(self.gt.getImgIds())
            p.catIds = sorted(self.gt.getCatIds())
        if max_dets is not None:
            p.maxDets = list(max_dets)
        if iou_thrs is not None:
            p.iouThrs = np.asarray(iou_thrs, np.float64)
        if rec_thrs is not None:
            p.recThrs = np.asarray(rec_thrs, np.float64)
        self.params = p
        self.iou_type = iou_type
        self.backend = backend
        self.c = _lib.Context("cpu", threads=threads)
        self._branch = None  # "bbox" (areas w*h) or "segm" (mask areas), as loadRes
        self._img, self._cat, self._score, self._area, self._box = [], [], [], [], []
        self._blobs, self._offs = [], []
        self._n = 0

    def __len__(self):
        return self._n

    # --- input ------------------------------------------------------------------

    def _image_size(self, image_id):
        img = self.gt.imgs.get(image_id)
        if img is None:
            raise ValueError("update: image_id %r is not an image of the ground truth "
                             "(loadRes would fail)" % (image_id,))
        return img.get("height"), img.get("width")

    def update(self, image_id, *, scores, labels, masks=None, boxes=None, rles=None):
        """Adds the detections of one image: scores (N,), labels (N,) category ids, and
        masks (N x H x W bool/uint8, C order), rles (N RLE dicts) and/or boxes
        (N x 4, [x, y, w, h])."""
        scores = np.asarray(scores, np.float64).reshape(-1)
        labels = np.asarray(labels).reshape(-1)
        n = scores.size
        if labels.size != n:
            raise ValueError("update: %d scores but %d labels" % (n, labels.size))
        h, w = self._image_size(image_id)
        if masks is not None and rles is not None:
            raise ValueError("update: give masks or rles, not both")
        blob, off, measured = None, None, None
        if masks is not None:
            m = np.asarray(masks)
            if m.ndim == 2 and n == 1:
                m = m[None]
            if m.ndim != 3 or m.shape[0] != n:
                raise ValueError("update: masks must be N x H x W with N = %d, got shape %s"
                                 % (n, m.shape))
            if (m.shape[1], m.shape[2]) != (h, w):
                raise ValueError("update: image %r is %sx%s but masks are %dx%d"
                                 % (image_id, h, w, m.shape[1], m.shape[2]))
            if m.dtype == np.bool_:
                m = m.view(np.uint8)
            elif m.dtype != np.uint8:
                raise ValueError("update: masks must be bool or uint8, got %s" % m.dtype)
            m = np.ascontiguousarray(m)
            r = _lib.Rles(self.c)
            marea = np.zeros(n, np.uint32)
            mbox = np.zeros((n, 4), np.float64)
            self.c.check(lib.maskeval_rles_encode(self.c.h, r.h, ptr(m), n, h, w,
                                                  _lib.MASK_ROW_MAJOR, ptr(marea), ptr(mbox)))
            blob, off = r.blob()
            measured = (marea, mbox)
        elif rles is not None:
            if len(rles) != n:
                raise ValueError("update: %d scores but %d rles" % (n, len(rles)))
            for r in rles:
                if (int(r["size"][0]), int(r["size"][1])) != (h, w):
                    raise ValueError("update: image %r is %sx%s but an RLE is %sx%s"
                                     % (image_id, h, w, r["size"][0], r["size"][1]))
            blob, off = _lib.pack_strings(
                [r["counts"].encode() if isinstance(r["counts"], str) else r["counts"]
                 for r in rles])
        box = None
        if boxes is not None:
            box = np.ascontiguousarray(np.asarray(boxes, np.float64).reshape(-1, 4))
            if box.shape[0] != n:
                raise ValueError("update: %d scores but %d boxes" % (n, box.shape[0]))
        if self._branch is None and n > 0:
            self._branch = "bbox" if box is not None else "segm"
        if self._branch == "bbox" and box is None and n > 0:
            raise ValueError("update: the first detections had boxes, so every detection "
                             "needs one (loadRes' bbox branch)")
        if n > 0 and blob is None and self.iou_type == "segm":
            raise ValueError("update: segm evaluation needs masks or rles")
        if n > 0 and blob is None and box is None:
            raise ValueError("update: bbox evaluation needs boxes, masks or rles")
        area = None
        if blob is not None:
            if measured is not None:
                marea, mbox = measured
            else:
                hs = np.full(n, h, np.uint32)
                ws = np.full(n, w, np.uint32)
                marea = np.zeros(n, np.uint32)
                mbox = np.zeros((n, 4), np.float64)
                if n:
                    self.c.check(lib.maskeval_rles_info(self.c.h, blob, ptr(off), n, ptr(hs),
                                                        ptr(ws), ptr(marea), ptr(mbox)))
            if box is None:
                box = mbox
            area = marea.astype(np.float64)
        if self._branch == "bbox":
            area = box[:, 2] * box[:, 3]
        self._img.append(np.full(n, image_id, np.int64))
        self._cat.append(labels.astype(np.int64))
        self._score.append(scores)
        self._area.append(area if area is not None else np.zeros(n))
        self._box.append(box if box is not None else np.zeros((n, 4)))
        if blob is not None:
            self._blobs.append(blob)
            self._offs.append(off)
        elif self.iou_type == "segm":
            self._blobs.append(b"")
            self._offs.append(np.zeros(1, np.uint64))
        self._n += n

    # --- evaluation ------------------------------------------------------------------

    def _columns(self):
        cat = lambda xs, shape: np.concatenate(xs) if xs else np.zeros(shape)  # noqa: E731
        img = np.ascontiguousarray(cat(self._img, (0,)).astype(np.int64))
        lab = np.ascontiguousarray(cat(self._cat, (0,)).astype(np.int64))
        score = np.ascontiguousarray(cat(self._score, (0,)))
        area = np.ascontiguousarray(cat(self._area, (0,)))
        box = np.ascontiguousarray(cat(self._box, (0, 4)).reshape(-1, 4))
        blob, off = b"", np.zeros(1, np.uint64)
        if self._blobs:
            blob = b"".join(self._blobs)
            parts, base = [np.zeros(1, np.uint64)], np.uint64(0)
            for b, o in zip(self._blobs, self._offs):
                parts.append(o[1:] + base)
                base += np.uint64(len(b))
            off = np.ascontiguousarray(np.concatenate(parts))
        return img, lab, score, area, box, blob, off

    def compute(self):
        """Evaluates: {"stats": the 12 statistics, "precision", "recall", "scores"
        (pycocotools' arrays), "category_ids", "per_category_ap" (the mean of
        precision[:, :, k, 0, -1] over entries > -1; NaN without any),
        "summary" (the 12 printed lines)}."""
        p = copy.deepcopy(self.params)
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        with contextlib.redirect_stdout(io.StringIO()):
            gts, _ = _ingest.prepare(self.gt, None, p)
        img, lab, score, area, box, blob, off = self._columns()
        if self.iou_type == "segm" and len(off) != len(img) + 1:
            raise ValueError("segm evaluation: some detections have no mask")

        def make(c, gt, codes):
            keep = img if codes.identity else codes.encode(img.tolist())
            return _ingest.DetsHandle.from_arrays(
                c, gt, keep, lab, score, area, box if not gt.segm else None,
                blob if gt.segm else None, off if gt.segm else None)

        run = _Run(self.backend or "cpu", self.gt, gts, p, make)
        precision, recall, scores = run.accumulate()
        ev = {"precision": precision, "recall": recall, "scores": scores}
        lines = []
        stats = summarize_eval(p, ev, lines.append)
        cat_ids = list(p.catIds) if p.useCats else [-1]
        ap = {}
        for k, cid in enumerate(cat_ids):
            s = precision[:, :, k, 0, -1]
            s = s[s > -1]
            ap[int(cid)] = float(np.mean(s)) if s.size else float("nan")
        return {"stats": stats, "precision": precision, "recall": recall, "scores": scores,
                "category_ids": [int(c) for c in cat_ids], "per_category_ap": ap,
                "summary": lines}

    # --- distributed -----------------------------------------------------------------

    def partial(self):
        """This evaluator's detections as bytes, for all_gather + merge()."""
        img, lab, score, area, box, blob, off = self._columns()
        buf = io.BytesIO()
        np.savez(buf, img=img, lab=lab, score=score, area=area, box=box, off=off,
                 blob=np.frombuffer(blob, np.uint8),
                 meta=np.frombuffer(json.dumps({"iou_type": self.iou_type,
                                                "branch": self._branch}).encode(), np.uint8))
        return _PART_MAGIC + buf.getvalue()

    @classmethod
    def merge(cls, gt, parts, iou_type="segm", **kw):
        """An evaluator holding the detections of every partial, in the given order."""
        ev = cls(gt, iou_type, **kw)
        for i, b in enumerate(parts):
            if not isinstance(b, (bytes, bytearray)) or not bytes(b[:8]) == _PART_MAGIC:
                raise ValueError("merge: part %d is not an InstanceEvaluator.partial()" % i)
            z = np.load(io.BytesIO(bytes(b[8:])), allow_pickle=False)
            meta = json.loads(z["meta"].tobytes().decode())
            if meta["iou_type"] != iou_type:
                raise ValueError("merge: part %d was made for iou_type %r, not %r"
                                 % (i, meta["iou_type"], iou_type))
            if meta["branch"] is not None:
                if ev._branch is not None and ev._branch != meta["branch"]:
                    raise ValueError("merge: part %d has %s detections after %s ones (loadRes "
                                     "takes one branch for a whole file)"
                                     % (i, meta["branch"], ev._branch))
                ev._branch = ev._branch or meta["branch"]
            ev._img.append(z["img"])
            ev._cat.append(z["lab"])
            ev._score.append(z["score"])
            ev._area.append(z["area"])
            ev._box.append(z["box"])
            if iou_type == "segm":
                ev._blobs.append(z["blob"].tobytes())
                ev._offs.append(z["off"])
            ev._n += len(z["img"])
        return ev


class SemanticEvaluator:
    """Per-class confusion counts and mmsegmentation's IoUMetric metrics.

    update(gt, pred): two label maps of the same shape (uint8 or uint16 /
    integer arrays with values < 65536). compute(): {"aAcc", "mIoU", "mAcc",
    "mDice", "mFscore", "mPrecision", "mRecall", "fwIoU" (fractions, NaN where
    undefined), "IoU", "Acc", "Dice", "Precision", "Recall", "Fscore" (per class,
    float64 arrays), "intersect", "union", "pred", "label" (uint64 arrays)}.
    """

    def __init__(self, num_classes, ignore_index=255, reduce_zero_label=False, *,
                 threads=0, _handle=None):
        self.c = _lib.Context("cpu", threads=threads)
        if _handle is not None:
            self.h = _handle
            return
        sp = _SemParams()
        lib.maskeval_semantic_params_init(C.byref(sp))
        sp.num_classes = int(num_classes)
        sp.ignore_index = -1 if ignore_index is None else int(ignore_index)
        sp.reduce_zero_label = 1 if reduce_zero_label else 0
        h = _lib.P()
        self.c.check(lib.maskeval_semantic_create(self.c.h, C.byref(sp), C.byref(h)))
        self.h = h

    def update(self, gt, pred):
        g, q = np.asarray(gt), np.asarray(pred)
        if g.shape != q.shape:
            raise ValueError("update: ground truth %s and prediction %s differ in shape"
                             % (g.shape, q.shape))
        bpl = 1 if (g.dtype == np.uint8 and q.dtype == np.uint8) else 2
        for name, a in (("ground truth", g), ("prediction", q)):
            if not np.issubdtype(a.dtype, np.integer) and a.dtype != np.bool_:
                raise ValueError("update: %s labels must be integers, got %s" % (name, a.dtype))
            if bpl == 2 and a.size and (a.min() < 0 or a.max() > 65535):
                raise ValueError("update: %s labels must be in [0, 65535]" % name)
        dt = np.uint8 if bpl == 1 else np.uint16
        g = np.ascontiguousarray(g, dtype=dt)
        q = np.ascontiguousarray(q, dtype=dt)
        self.c.check(lib.maskeval_semantic_add(self.c.h, self.h, ptr(g), ptr(q), g.size, bpl))

    def compute(self):
        s = _SemSummary()
        self.c.check(lib.maskeval_semantic_summarize(self.h, C.byref(s)))
        k = s.num_classes
        cm = (_ClassMetrics * k)()
        self.c.check(lib.maskeval_semantic_classes(self.h, cm, k))
        out = {f: getattr(s, f) for f in ("aAcc", "mIoU", "mAcc", "mDice", "mFscore",
                                          "mPrecision", "mRecall", "fwIoU")}
        for key, f in (("IoU", "iou"), ("Acc", "acc"), ("Dice", "dice"),
                       ("Precision", "precision"), ("Recall", "recall"), ("Fscore", "fscore")):
            out[key] = np.array([getattr(m, f) for m in cm], np.float64)
        for key, f in (("intersect", "intersect"), ("union", "union_"), ("pred", "pred"),
                       ("label", "label")):
            out[key] = np.array([getattr(m, f) for m in cm], np.uint64)
        out["images"] = s.images
        return out

    def partial(self):
        n = C.c_size_t()
        st = lib.maskeval_semantic_encode(self.c.h, self.h, None, 0, C.byref(n))
        if st != _lib.ERR_BUFFER_TOO_SMALL:
            self.c.check(st)
        buf = C.create_string_buffer(n.value)
        self.c.check(lib.maskeval_semantic_encode(self.c.h, self.h, buf, n.value, C.byref(n)))
        return buf.raw[:n.value]

    @classmethod
    def merge(cls, parts):
        """One evaluator with the counts of every partial (exact, any order)."""
        out = None
        for i, b in enumerate(parts):
            c = _lib.Context("cpu")
            h = _lib.P()
            b = bytes(b)
            c.check(lib.maskeval_semantic_decode(c.h, b"part %d" % i, b, len(b), C.byref(h)))
            if out is None:
                out = cls(0, _handle=h)
                out.c = c
            else:
                try:
                    out.c.check(lib.maskeval_semantic_merge(out.c.h, out.h, h))
                finally:
                    lib.maskeval_semantic_destroy(h)
        if out is None:
            raise ValueError("merge: no partials")
        return out

    def __del__(self):
        h, self.h = getattr(self, "h", None), None
        if h is not None and lib is not None:
            lib.maskeval_semantic_destroy(h)


class _SemParams(C.Structure):
    _fields_ = [("struct_size", C.c_size_t), ("num_classes", C.c_uint32),
                ("ignore_index", C.c_int64), ("reduce_zero_label", C.c_int),
                ("label_map", C.c_void_p), ("n_label_map", C.c_size_t),
                ("pred_label_map", C.c_void_p), ("n_pred_label_map", C.c_size_t),
                ("max_image_pixels", C.c_uint64)]


class _SemSummary(C.Structure):
    _fields_ = [("num_classes", C.c_uint32)] + \
        [(f, C.c_double) for f in ("aAcc", "mIoU", "mAcc", "mDice", "mPrecision", "mRecall",
                                   "mFscore", "fwIoU")] + \
        [("images", C.c_uint64), ("invalid_pred_pixels", C.c_uint64),
         ("invalid_gt_pixels", C.c_uint64), ("decode_seconds", C.c_double),
         ("count_seconds", C.c_double)]


class _ClassMetrics(C.Structure):
    _fields_ = [(f, C.c_double) for f in ("iou", "acc", "dice", "precision", "recall",
                                          "fscore")] + \
        [(f, C.c_uint64) for f in ("intersect", "union_", "pred", "label")]


def _sig(name, restype, *args):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(args)


_sig("maskeval_semantic_params_init", None, C.POINTER(_SemParams))
_sig("maskeval_semantic_create", C.c_int, C.c_void_p, C.POINTER(_SemParams),
     C.POINTER(C.c_void_p))
_sig("maskeval_semantic_destroy", None, C.c_void_p)
_sig("maskeval_semantic_add", C.c_int, C.c_void_p, C.c_void_p, C.c_void_p, C.c_void_p,
     C.c_size_t, C.c_int)
_sig("maskeval_semantic_merge", C.c_int, C.c_void_p, C.c_void_p, C.c_void_p)
_sig("maskeval_semantic_encode", C.c_int, C.c_void_p, C.c_void_p, C.c_void_p, C.c_size_t,
     C.POINTER(C.c_size_t))
_sig("maskeval_semantic_decode", C.c_int, C.c_void_p, C.c_char_p, C.c_void_p, C.c_size_t,
     C.POINTER(C.c_void_p))
_sig("maskeval_semantic_summarize", C.c_int, C.c_void_p, C.POINTER(_SemSummary))
_sig("maskeval_semantic_classes", C.c_int, C.c_void_p, C.POINTER(_ClassMetrics), C.c_size_t)
