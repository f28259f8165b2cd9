"""pycocotools.cocoeval.COCOeval and Params, evaluated by the maskeval C library.

evaluate() builds column arrays from the COCO dicts (after pycocotools'
_prepare rules) and runs the C matcher, which keeps per-image evaluation
records; accumulate() integrates them in C into precision / recall / scores
arrays of pycocotools' shapes; summarize() prints and computes the 12 (or 10)
statistics with numpy exactly as pycocotools does, so `stats` equals
pycocotools' under whatever numpy is installed.

`evalImgs` and `ious` are computed on first access (they cost more than the
evaluation itself: pycocotools always builds them, few callers read them),
with pycocotools' layout, types and dtypes. `_gts` / `_dts` are filled by
evaluate() as pycocotools fills them, for subclasses such as detectron2's
COCOeval_opt.

Any number of area ranges is supported (the C engine evaluates four per pass;
more ranges take more passes), any IoU and recall thresholds, any maxDets list
(fewer than three only fails in summarize(), as in pycocotools).

iouType="keypoints" computes pycocotools' OKS in C with np.exp as its
exponential (numpy's SIMD exp differs from the C library's in the last bit;
the C library calls back into numpy once per evaluation), so OKS, matches and
arrays equal pycocotools' bit for bit.

iouType="boundary" with dilation_ratio (default 0.02) is boundary-iou-api's
Boundary AP (its COCOeval(cocoGt, cocoDt, "boundary", dilation_ratio)): the
bands and IoUs are computed in C, and `.ious` / computeIoU in numpy from the
bands' closed form, both equal to boundary-iou-api's; as there, a ground
truth's own "ignore" field is honoured.
"""
import copy
import ctypes as C
import datetime
import os
import time
from collections import defaultdict

import numpy as np

from . import _ingest, _lib
from . import mask as maskUtils
from ._lib import lib

__all__ = ["COCOeval", "Params"]

_N_AREAS = 4  # area ranges per C evaluation (MASKEVAL_N_AREAS)


class Params:
    """pycocotools' evaluation parameters (same fields, defaults and dtypes)."""

    def setDetParams(self):
        self.imgIds = []
        self.catIds = []
        self.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
        self.recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
        self.maxDets = [1, 10, 100]
        self.areaRng = [[0 ** 2, 1e5 ** 2], [0 ** 2, 32 ** 2], [32 ** 2, 96 ** 2],
                        [96 ** 2, 1e5 ** 2]]
        self.areaRngLbl = ["all", "small", "medium", "large"]
        self.useCats = 1

    def setKpParams(self):
        self.imgIds = []
        self.catIds = []
        self.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
        self.recThrs = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
        self.maxDets = [20]
        self.areaRng = [[0 ** 2, 1e5 ** 2], [32 ** 2, 96 ** 2], [96 ** 2, 1e5 ** 2]]
        self.areaRngLbl = ["all", "medium", "large"]
        self.useCats = 1
        self.kpt_oks_sigmas = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62, .62,
                                        1.07, 1.07, .87, .87, .89, .89]) / 10.0

    def __init__(self, iouType="segm"):
        if iouType in ("segm", "bbox", "boundary"):
            self.setDetParams()
        elif iouType == "keypoints":
            self.setKpParams()
        else:
            raise Exception("iouType not supported")
        self.iouType = iouType
        self.useSegm = None


def _default_backend():
    return os.environ.get("MASKEVAL_BACKEND", "cpu")


class COCOeval:
    def __init__(self, cocoGt=None, cocoDt=None, iouType="segm", dilation_ratio=0.02, *,
                 backend=None):
        """dilation_ratio: iouType="boundary" (boundary-iou-api's Boundary AP) only."""
        if not iouType:
            print("iouType not specified. use default iouType segm")
        self.cocoGt = cocoGt
        self.cocoDt = cocoDt
        self._evalImgs = defaultdict(list)
        self._evalImgs_pending = False
        self.eval = {}
        self._gts = defaultdict(list)
        self._dts = defaultdict(list)
        self.params = Params(iouType=iouType)
        # boundary-iou-api: ground truth already banded (COCO(..., get_boundary=True))
        # keeps its own ratio, and COCOeval's is not used
        self.dilation_ratio = cocoGt.dilation_ratio \
            if getattr(cocoGt, "get_boundary", False) else dilation_ratio
        self._paramsEval = {}
        self.stats = []
        self._ious = {}
        self._ious_pending = False
        self._backend = backend or _default_backend()
        self._run = None
        if cocoGt is not None:
            ids = cocoGt._sorted_ids("segm" if iouType == "boundary" else iouType) \
                if hasattr(cocoGt, "_sorted_ids") else None
            if ids is None:
                ids = cocoGt.getImgIds(), cocoGt.getCatIds()
            self.params.imgIds = sorted(ids[0])
            self.params.catIds = sorted(ids[1])

    # --- lazily computed pycocotools attributes -------------------------------------

    @property
    def evalImgs(self):
        if self._evalImgs_pending:
            self._evalImgs_pending = False
            self._evalImgs = self._build_eval_imgs()
        return self._evalImgs

    @evalImgs.setter
    def evalImgs(self, v):
        self._evalImgs_pending = False
        self._evalImgs = v

    @property
    def ious(self):
        if self._ious_pending:
            self._ious_pending = False
            p = self._paramsEval
            cat_ids = p.catIds if p.useCats else [-1]
            self._ious = {(i, k): self._compute_iou(i, k, p) for i in p.imgIds for k in cat_ids}
        return self._ious

    @ious.setter
    def ious(self, v):
        self._ious_pending = False
        self._ious = v

    def _prepared_attr(name):  # noqa: N805 - a property factory used in the class body
        """_gts / _dts: after a file-based evaluate(), built on first use."""
        def get(self):
            if not getattr(self, "_prepared", True):
                self._prepare_lazily()
            return self.__dict__[name]

        def put(self, value):
            self.__dict__[name] = value
        return property(get, put)

    _gts = _prepared_attr("_gts_")
    _dts = _prepared_attr("_dts_")
    del _prepared_attr

    def _prepare_lazily(self):
        """_gts / _dts after a file-based evaluate(), built as _prepare() builds them
        (with its effects on the dicts), under the evaluated parameters."""
        self._prepared = True
        saved_params, saved_eval = self.params, self.eval
        self.params = self._paramsEval
        try:
            gts, dts = _ingest.prepare(self.cocoGt, self.cocoDt, self.params)
        finally:
            self.params = saved_params
        by_cell = {"_gts_": defaultdict(list), "_dts_": defaultdict(list)}
        for gt in gts:
            by_cell["_gts_"][gt["image_id"], gt["category_id"]].append(gt)
        for dt in dts:
            by_cell["_dts_"][dt["image_id"], dt["category_id"]].append(dt)
        self.__dict__.update(by_cell)
        self.eval = saved_eval

    def _run_from_files(self, p):
        """The evaluation straight from the files when neither COCO's dicts were read
        (COCO(path) and its loadRes(path)): the C loaders, as the CLI. None if that
        does not apply or a C loader refuses the files (then the dict path decides)."""
        gt_path = self.cocoGt._files() if hasattr(self.cocoGt, "_files") else None
        dt_lazy = getattr(self.cocoDt, "_lazy", None)
        if gt_path is None or dt_lazy is None or dt_lazy[0] != "res" or \
                dt_lazy[2] is not self.cocoGt or p.iouType not in ("segm", "bbox", "boundary"):
            return None
        flags = _lib.LOAD_BBOX if p.iouType == "bbox" else _lib.LOAD_SEGM
        gh = self.cocoGt._c_ground_truth(flags)  # owned (and cached) by the COCO
        if gh is None:
            return None
        c = _lib.Context(self._backend)
        dh = _lib.P()
        gt = _ingest.GtHandle.borrow(gh, self.cocoGt, p.iouType != "bbox")
        if lib.maskeval_dets_load_file(c.h, gt.h, os.fsencode(dt_lazy[1]), C.byref(dh)) != 0:
            lib.maskeval_dets_destroy(dh)
            return None
        dets = _ingest.DetsHandle.adopt(dh)
        try:
            return _Run(self._backend, None, None, p, None, handles=(c, gt, dets))
        except (ValueError, TypeError):
            return None

    # --- pycocotools' steps ---------------------------------------------------------

    def _prepare(self):
        self._prepared = True
        p = self.params
        gts, dts = _ingest.prepare(self.cocoGt, self.cocoDt, p)
        self._gts = defaultdict(list)
        self._dts = defaultdict(list)
        for gt in gts:
            self._gts[gt["image_id"], gt["category_id"]].append(gt)
        for dt in dts:
            self._dts[dt["image_id"], dt["category_id"]].append(dt)
        self.evalImgs = defaultdict(list)
        self.eval = {}
        return gts, dts

    def evaluate(self):
        tic = time.time()
        print("Running per image evaluation...")
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
            print("useSegm (deprecated) is not None. Running {} evaluation".format(p.iouType))
        print("Evaluate annotation type *{}*".format(p.iouType))
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        self.params = p
        if p.iouType not in ("segm", "bbox", "keypoints", "boundary"):
            raise Exception("unknown iouType for iou computation")
        if p.iouType == "boundary" and not (self.dilation_ratio > 0 and
                                            np.isfinite(self.dilation_ratio)):
            raise ValueError("dilation_ratio must be a finite number above 0 (got %r)"
                             % (self.dilation_ratio,))
        p.dilation_ratio = float(self.dilation_ratio) if p.iouType == "boundary" else 0.0
        self._run = None
        self._prepared = True
        self._run = self._run_from_files(p)
        if self._run is None:
            gts, dts = self._prepare()
            self._run = _Run(self._backend, self.cocoGt, gts, p,
                             lambda c, gt, codes: _ingest.DetsHandle(c, gt, dts, codes))
            self._prepared = True
        else:
            self._prepared = False  # _gts / _dts on first use
        self._paramsEval = copy.deepcopy(self.params)
        self._evalImgs_pending = True
        self._ious_pending = True
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    def computeIoU(self, imgId, catId):
        return self._compute_iou(imgId, catId, self.params)

    def computeOks(self, imgId, catId):
        return self._compute_iou(imgId, catId, self.params)

    def _cell(self, imgId, catId, p):
        """The ground truth and detections of one cell, in _prepare() order (with
        useCats = 0, every category of the image in p.catIds order)."""
        if p.useCats:
            return self._gts[imgId, catId], self._dts[imgId, catId]
        return ([g for cId in p.catIds for g in self._gts[imgId, cId]],
                [d for cId in p.catIds for d in self._dts[imgId, cId]])

    def _compute_iou(self, imgId, catId, p):
        if p.iouType == "keypoints":  # computeOks looks the cell up as given, even
            gt, dt = self._gts[imgId, catId], self._dts[imgId, catId]  # catId -1
            if len(gt) == 0 or len(dt) == 0:
                return []
            order = np.argsort([-d["score"] for d in dt], kind="mergesort")
            return _oks(gt, [dt[i] for i in order][:p.maxDets[-1]], p.kpt_oks_sigmas)
        gt, dt = self._cell(imgId, catId, p)
        if len(gt) == 0 and len(dt) == 0:
            return []
        order = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in order][:p.maxDets[-1]]
        if p.iouType == "boundary":
            return _boundary_iou(gt, dt, getattr(p, "dilation_ratio", 0) or self.dilation_ratio)
        if p.iouType == "segm":
            g = [o["segmentation"] for o in gt]
            d = [o["segmentation"] for o in dt]
        elif p.iouType == "bbox":
            g = [o["bbox"] for o in gt]
            d = [o["bbox"] for o in dt]
        else:
            raise Exception("unknown iouType for iou computation")
        return maskUtils.iou(d, g, [int(o["iscrowd"]) for o in gt])

    def accumulate(self, p=None):
        print("Accumulating evaluation results...")
        tic = time.time()
        if self._eval_imgs_empty():
            print("Please run evaluate() first")
        if self._run is None:
            raise RuntimeError("maskeval.COCOeval.accumulate: evaluate() has not run")
        if p is None:
            p = self.params
        p.catIds = p.catIds if p.useCats == 1 else [-1]
        pe = self._paramsEval
        if (list(p.catIds) == (list(pe.catIds) if pe.useCats else [-1])
                and list(p.imgIds) == list(pe.imgIds) and list(p.maxDets) == list(pe.maxDets)
                and [list(a) for a in p.areaRng] == [list(a) for a in pe.areaRng]
                and np.array_equal(np.asarray(p.iouThrs), np.asarray(pe.iouThrs))
                and np.array_equal(np.asarray(p.recThrs), np.asarray(pe.recThrs))):
            precision, recall, scores = self._run.accumulate()
        else:
            precision, recall, scores = self._run.accumulate_select(p, pe)
        T, R, K, A, M = precision.shape
        self.eval = {"params": p, "counts": [T, R, K, A, M],
                     "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
                     "precision": precision, "recall": recall, "scores": scores}
        print("DONE (t={:0.2f}s).".format(time.time() - tic))

    def _eval_imgs_empty(self):
        """`not self.evalImgs`, without building it: K * A * I entries."""
        if not self._evalImgs_pending:
            return not self._evalImgs
        pe = self._paramsEval
        k = len(pe.catIds) if pe.useCats else 1
        return k * len(pe.areaRng) * len(pe.imgIds) == 0

    def summarize(self):
        if not self.eval:
            raise Exception("Please run accumulate() first")
        self.stats = summarize_eval(self.params, self.eval, print)

    def run(self):
        """evaluate(), accumulate(), summarize() (pycocotools has no run(); lvis-api does)."""
        self.evaluate()
        self.accumulate()
        self.summarize()
        return self.stats

    # --- partials, for distributed evaluation -------------------------------------------

    def partial(self):
        """The per-image records of evaluate(), as bytes (maskeval's partial format)."""
        if self._run is None:
            raise RuntimeError("evaluate() has not run")
        return self._run.encode()

    # --- evalImgs from the C records -------------------------------------------------------

    def _build_eval_imgs(self):
        p = self._paramsEval
        cat_ids = p.catIds if p.useCats else [-1]
        records = self._run.match_records()  # per area chunk: {(img code, cat): Record}
        codes = self._run.codes
        T = len(p.iouThrs)
        maxDet = p.maxDets[-1]
        img_codes = codes.encode(p.imgIds).tolist()
        out = []
        for catId in cat_ids:
            for a, aRng in enumerate(p.areaRng):
                chunk, local = divmod(a, _N_AREAS)
                recs = records[chunk]
                for imgId, code in zip(p.imgIds, img_codes):
                    out.append(self._eval_img(imgId, catId, aRng, maxDet, T, local,
                                              recs.get((code, int(catId)))))
        return out

    def _eval_img(self, imgId, catId, aRng, maxDet, T, local, rec):
        p = self._paramsEval
        gt, dt = self._cell(imgId, catId, p)
        if len(gt) == 0 and len(dt) == 0:
            return None
        for g in gt:
            g["_ignore"] = 1 if (g["ignore"] or g["area"] < aRng[0] or g["area"] > aRng[1]) \
                else 0
        gtind = np.argsort([g["_ignore"] for g in gt], kind="mergesort")
        gt = [gt[i] for i in gtind]
        dtind = np.argsort([-d["score"] for d in dt], kind="mergesort")
        dt = [dt[i] for i in dtind[0:maxDet]]
        G, D = len(gt), len(dt)
        gtm = np.zeros((T, G))
        dtm = np.zeros((T, D))
        gtIg = np.array([g["_ignore"] for g in gt])
        dtIg = np.zeros((T, D), dtype=bool)
        if rec is not None and D > 0:
            if rec.n_dt != D:
                raise AssertionError("maskeval: record of image %r category %r holds %d "
                                     "detections, expected %d" % (imgId, catId, rec.n_dt, D))
            n = D * _N_AREAS * T
            status = np.ctypeslib.as_array(rec.status, shape=(n,)).reshape(D, _N_AREAS, T)
            match = np.ctypeslib.as_array(rec.match_gt, shape=(n,)).reshape(D, _N_AREAS, T)
            dtm[:] = match[:, local, :].T
            dtIg[:] = status[:, local, :].T == 2
            gpos = {}
            for gi, g in enumerate(gt):
                gpos.setdefault(g["id"], gi)
            for t in range(T):
                for di in range(D):
                    m = match[di, local, t]
                    if m != 0:
                        gtm[t, gpos[m]] = dt[di]["id"]
        return {"image_id": imgId, "category_id": catId, "aRng": aRng, "maxDet": maxDet,
                "dtIds": [d["id"] for d in dt], "gtIds": [g["id"] for g in gt],
                "dtMatches": dtm, "gtMatches": gtm, "dtScores": [d["score"] for d in dt],
                "gtIgnore": gtIg, "dtIgnore": dtIg}



def _band(rle, ratio):
    """boundary-iou-api's mask_to_boundary of one RLE, in closed form (README
    "Boundary AP"): a mask pixel stays out of the band iff every pixel within
    Chebyshev distance d is inside the image and the mask; window sums of the
    zero-padded mask give that exactly. The band as compressed RLE."""
    m = maskUtils.decode(rle)
    h, w = m.shape
    d = int(round(ratio * np.sqrt(h ** 2 + w ** 2)))  # as mask_to_boundary
    d = max(d, 1)
    k = 2 * d + 1
    s = np.zeros((h + 2 * d + 1, w + 2 * d + 1), np.int64)
    s[1 + d:1 + d + h, 1 + d:1 + d + w] = m
    s = s.cumsum(axis=0).cumsum(axis=1)
    win = s[k:, k:] - s[:-k, k:] - s[k:, :-k] + s[:-k, :-k]
    band = (m != 0) & (win != k * k)
    return maskUtils.encode(np.asfortranarray(band.astype(np.uint8)))


def _boundary_iou(gt, dt, ratio):
    """computeBoundaryIoU: min(mask IoU, band IoU) for non-crowd columns, the
    crowd mask IoU for crowd columns (numpy; the evaluation itself is in C)."""
    g = [o["segmentation"] for o in gt]
    d = [o["segmentation"] for o in dt]
    crowd = [int(o["iscrowd"]) for o in gt]
    mask_ious = maskUtils.iou(d, g, crowd)
    if len(g) == 0 or len(d) == 0:
        return np.minimum(np.asarray(mask_ious, np.float64).reshape(-1),
                          np.asarray(mask_ious, np.float64).reshape(-1))
    band_ious = maskUtils.iou([_band(x, ratio) for x in d], [_band(x, ratio) for x in g], crowd)
    out = np.array(mask_ious, np.float64, copy=True)
    for j, c in enumerate(crowd):
        if c == 0:
            out[:, j] = np.minimum(mask_ious[:, j], band_ious[:, j])
    return out


def _oks(gts, dts, sigmas):
    """computeOks' matrix for the `.ious` attribute, with numpy as pycocotools
    (the evaluation itself computes it in C): one ground truth at a time,
    all its detections at once, the same element-wise operations in the same
    order, so every value is pycocotools'."""
    if len(gts) == 0 or len(dts) == 0:
        return []
    vars = (sigmas * 2) ** 2
    k = len(sigmas)
    d = np.array([dt["keypoints"] for dt in dts])
    xd, yd = d[:, 0::3], d[:, 1::3]
    ious = np.zeros((len(dts), len(gts)))
    for j, gt in enumerate(gts):
        g = np.array(gt["keypoints"])
        xg, yg, vg = g[0::3], g[1::3], g[2::3]
        k1 = np.count_nonzero(vg > 0)
        bb = gt["bbox"]
        x0, x1 = bb[0] - bb[2], bb[0] + bb[2] * 2
        y0, y1 = bb[1] - bb[3], bb[1] + bb[3] * 2
        if k1 > 0:
            dx, dy = xd - xg, yd - yg
        else:
            z = np.zeros((len(dts), k))
            dx = np.maximum(z, x0 - xd) + np.maximum(z, xd - x1)
            dy = np.maximum(z, y0 - yd) + np.maximum(z, yd - y1)
        e = (dx ** 2 + dy ** 2) / vars / (gt["area"] + np.spacing(1)) / 2
        if k1 > 0:
            e = np.ascontiguousarray(e[:, vg > 0])
        for i in range(len(dts)):
            ious[i, j] = np.sum(np.exp(-e[i])) / e.shape[1]
    return ious


def _np_exp(user, x, n):
    """The C library's oks_exp: x[0..n) = np.exp(x) (into a new array, then
    copied back: pycocotools' calls are never in place)."""
    a = np.ctypeslib.as_array(x, shape=(n,))
    a[:] = np.exp(a)


_NP_EXP = _lib.OKS_EXP_FN(_np_exp)


def summarize_eval(p, ev, out):
    """pycocotools' summarize() of an `eval` dict under params p: the 12 (10 for
    keypoints) statistics, each line passed to out (print, or a list's append)."""
    def _summarize(ap=1, iouThr=None, areaRng="all", maxDets=100):
        line = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"
        title = "Average Precision" if ap == 1 else "Average Recall"
        kind = "(AP)" if ap == 1 else "(AR)"
        if iouThr is None:
            iou = "{:0.2f}:{:0.2f}".format(p.iouThrs[0], p.iouThrs[-1])
        else:
            iou = "{:0.2f}".format(iouThr)
        aind = [i for i, lbl in enumerate(p.areaRngLbl) if lbl == areaRng]
        mind = [i for i, m in enumerate(p.maxDets) if m == maxDets]
        s = ev["precision"] if ap == 1 else ev["recall"]
        if iouThr is not None:
            s = s[np.where(iouThr == p.iouThrs)[0]]
        # two index lists broadcast together, as in pycocotools (an empty mind
        # gives an empty selection: -1 when 100 is not in maxDets)
        s = s[:, :, :, aind, mind] if ap == 1 else s[:, :, aind, mind]
        valid = s[s > -1]
        mean_s = -1 if len(valid) == 0 else np.mean(valid)
        out(line.format(title, kind, iou, areaRng, maxDets, mean_s))
        return mean_s

    if p.iouType == "keypoints":
        stats = np.zeros((10,))
        for i, (ap, thr, rng) in enumerate([(1, None, "all"), (1, .5, "all"), (1, .75, "all"),
                                            (1, None, "medium"), (1, None, "large"),
                                            (0, None, "all"), (0, .5, "all"), (0, .75, "all"),
                                            (0, None, "medium"), (0, None, "large")]):
            stats[i] = _summarize(ap, iouThr=thr, areaRng=rng, maxDets=20)
        return stats
    md = p.maxDets
    stats = np.zeros((12,))
    stats[0] = _summarize(1)
    stats[1] = _summarize(1, iouThr=.5, maxDets=md[2])
    stats[2] = _summarize(1, iouThr=.75, maxDets=md[2])
    stats[3] = _summarize(1, areaRng="small", maxDets=md[2])
    stats[4] = _summarize(1, areaRng="medium", maxDets=md[2])
    stats[5] = _summarize(1, areaRng="large", maxDets=md[2])
    stats[6] = _summarize(0, maxDets=md[0])
    stats[7] = _summarize(0, maxDets=md[1])
    stats[8] = _summarize(0, maxDets=md[2])
    stats[9] = _summarize(0, areaRng="small", maxDets=md[2])
    stats[10] = _summarize(0, areaRng="medium", maxDets=md[2])
    stats[11] = _summarize(0, areaRng="large", maxDets=md[2])
    return stats


class _Run:
    """One evaluate(): the C ground truth, detections and per-area-chunk partials."""

    def __init__(self, backend, cocoGt, gts, p, make_dets, handles=None):
        if handles is not None:  # loaded from the files by the C loaders
            self.c, self.gt, self.dets = handles
            self.codes = _ingest.IdCodes([])  # integer ids (the C loader needs them)
        else:
            self.c = _lib.Context(backend)
            img_codes_src = list(cocoGt.imgs.keys())
            known = set(img_codes_src)
            extra = [i for i in p.imgIds if i not in known]
            self.codes = _ingest.IdCodes(img_codes_src + extra)
            segm = p.iouType in ("segm", "boundary")
            kp = 0
            if p.iouType == "keypoints":
                (p.kpt_oks_sigmas * 2) ** 2  # what pycocotools computes first (a list fails)
                kp = len(p.kpt_oks_sigmas)
            self.gt = _ingest.GtHandle(self.c, cocoGt, gts, p, self.codes, extra, segm, kp,
                                       boundary=p.iouType == "boundary")
            self.dets = make_dets(self.c, self.gt, self.codes)
        self.p = p
        self.n_max = len(p.maxDets)
        md = [int(m) for m in p.maxDets]
        if not md:
            raise IndexError("list index out of range (params.maxDets is empty)")
        pad = 1 if p.iouType == "keypoints" else 3  # the C library's minimum
        self.max_dets = np.asarray(md + [md[-1]] * max(0, pad - len(md)), np.int64)
        self.iou_thrs = np.ascontiguousarray(np.asarray(p.iouThrs, np.float64).reshape(-1))
        self.rec_thrs = np.ascontiguousarray(np.asarray(p.recThrs, np.float64).reshape(-1))
        self.img_ids = self.codes.encode(p.imgIds)
        self.sigmas = None
        if p.iouType == "keypoints":
            self.sigmas = np.ascontiguousarray(np.asarray(p.kpt_oks_sigmas, np.float64).reshape(-1))
        self.cat_ids = _ingest._int_ids(list(p.catIds), "category")
        rngs = [[float(a[0]), float(a[1])] for a in p.areaRng]
        self.n_areas = len(rngs)
        self.chunks = []
        for k in range(0, max(1, len(rngs)), _N_AREAS):
            part = rngs[k:k + _N_AREAS] or [[0.0, 1e10]]
            part = part + [part[-1]] * (_N_AREAS - len(part))
            self.chunks.append(np.asarray(part, np.float64).reshape(-1))
        self.partials = [self._evaluate(rng, 0) for rng in self.chunks]
        self._matches = None

    def _params(self, rng, keep):
        cp = _lib.CocoParams()
        lib.maskeval_coco_params_init(C.byref(cp))
        cp.iou_type = {"segm": _lib.IOU_SEGM, "bbox": _lib.IOU_BBOX, "boundary": _lib.IOU_SEGM,
                       "keypoints": _lib.IOU_KEYPOINTS}[self.p.iouType]
        if self.p.iouType == "boundary":
            cp.boundary_dilation_ratio = self.p.dilation_ratio
        if self.sigmas is not None:
            cp.kpt_oks_sigmas = self.sigmas.ctypes.data_as(_lib.F64P)
            cp.n_kpt_oks_sigmas = self.sigmas.size
            cp.oks_exp = C.cast(_NP_EXP, C.c_void_p)
        cp.use_cats = 1 if self.p.useCats else 0
        cp.iou_thrs = self.iou_thrs.ctypes.data_as(_lib.F64P)
        cp.n_iou_thrs = self.iou_thrs.size
        cp.rec_thrs = self.rec_thrs.ctypes.data_as(_lib.F64P)
        cp.n_rec_thrs = self.rec_thrs.size
        cp.max_dets = self.max_dets.ctypes.data_as(_lib.I64P)
        cp.n_max_dets = self.max_dets.size
        cp.area_rng = rng.ctypes.data_as(_lib.F64P)
        cp.img_ids = self.img_ids.ctypes.data_as(_lib.I64P)
        cp.n_img_ids = self.img_ids.size
        cp.cat_ids = self.cat_ids.ctypes.data_as(_lib.I64P)
        cp.n_cat_ids = self.cat_ids.size
        cp.keep_matches = keep
        return cp

    def _evaluate(self, rng, keep):
        cp = self._params(rng, keep)
        h = _lib.P()
        self.c.check(lib.maskeval_coco_evaluate_images(self.c.h, self.gt.h, self.dets.h,
                                                       C.byref(cp), 0, 1, C.byref(h)))
        return _Partial(h)

    def accumulate(self):
        """The arrays of every area chunk, concatenated; the C library's own
        statistics and summary lines of the first chunk in c_stats / c_summary
        (for tests: summarize() computes `stats` with numpy)."""
        prec, rec, sc = [], [], []
        self.c_stats = self.c_summary = None
        for part in self.partials:
            arrs = self._arrays(part, keep_summary=self.c_stats is None)
            prec.append(arrs[0][..., :self.n_max])
            rec.append(arrs[1][..., :self.n_max])
            sc.append(arrs[2][..., :self.n_max])
        A = self.n_areas
        return (np.ascontiguousarray(np.concatenate(prec, axis=3)[:, :, :, :A]),
                np.ascontiguousarray(np.concatenate(rec, axis=2)[:, :, :A]),
                np.ascontiguousarray(np.concatenate(sc, axis=3)[:, :, :, :A]))

    def accumulate_select(self, p, pe):
        """accumulate(p) for parameters other than the evaluated pe, as pycocotools
        reads its evalImgs: the positions in p's lists of the ids that pe also has
        index pe's layout (maskeval_coco_partial_select, then the C accumulate)."""
        T, R = len(p.iouThrs), len(p.recThrs)
        K = len(p.catIds) if p.useCats else 1
        A, M = len(p.areaRng), len(p.maxDets)
        precision = -np.ones((T, R, K, A, M))
        recall = -np.ones((T, K, A, M))
        scores = -np.ones((T, R, K, A, M))
        setK = set(pe.catIds if pe.useCats == 1 else [-1])
        setA = set(map(tuple, pe.areaRng))
        setM, setI = set(pe.maxDets), set(pe.imgIds)
        k_list = [n for n, k in enumerate(p.catIds) if k in setK]
        m_list = [m for m in p.maxDets if m in setM]
        a_list = [n for n, a in enumerate(map(tuple, p.areaRng)) if a in setA]
        i_list = [n for n, i in enumerate(p.imgIds) if i in setI]
        T0, K0 = len(pe.iouThrs), len(pe.catIds) if pe.useCats else 1
        A0, I0 = len(pe.areaRng), len(pe.imgIds)
        if not (k_list and a_list and m_list and i_list):
            return precision, recall, scores
        if T0 > T:
            raise IndexError("index %d is out of bounds for axis 0 with size %d (accumulate(p) "
                             "with fewer iouThrs than evaluated)" % (T, T))
        if k_list[-1] >= K0 or a_list[-1] >= A0 or i_list[-1] >= I0:
            raise IndexError("maskeval: accumulate(p) reads evalImgs positions the evaluation "
                             "does not have (pycocotools reads another cell's records there)")
        rec = np.ascontiguousarray(np.asarray(p.recThrs, np.float64).reshape(-1))
        kx = np.asarray(k_list, np.uintp)
        ix = np.asarray(i_list, np.uintp)
        md = np.asarray(m_list, np.int64)
        nk, nm = len(k_list), len(m_list)
        for chunk in range(len(self.partials)):
            outs = [a for a, a0 in enumerate(a_list) if a0 // _N_AREAS == chunk]
            for g in range(0, len(outs), _N_AREAS):
                group = outs[g:g + _N_AREAS]
                locs = [a_list[a] % _N_AREAS for a in group]
                sel = _lib.CocoSelect()
                sel.struct_size = C.sizeof(_lib.CocoSelect)
                sel.k_index = kx.ctypes.data_as(C.POINTER(C.c_size_t))
                sel.n_k = nk
                sel.img_index = ix.ctypes.data_as(C.POINTER(C.c_size_t))
                sel.n_img = len(i_list)
                for j in range(_N_AREAS):
                    sel.area_index[j] = locs[min(j, len(locs) - 1)]
                sel.max_dets = md.ctypes.data_as(_lib.I64P)
                sel.n_max_dets = nm
                sel.rec_thrs = rec.ctypes.data_as(_lib.F64P)
                sel.n_rec_thrs = rec.size
                h = _lib.P()
                self.c.check(lib.maskeval_coco_partial_select(self.c.h, self.partials[chunk].h,
                                                              C.byref(sel), C.byref(h)))
                part = _Partial(h)
                pr, rc, sc = self._arrays(part)
                for j, a in enumerate(group):
                    precision[:T0, :, :nk, a, :nm] = pr[:, :, :, j, :]
                    recall[:T0, :nk, a, :nm] = rc[:, :, j, :]
                    scores[:T0, :, :nk, a, :nm] = sc[:, :, :, j, :]
        return precision, recall, scores

    def _arrays(self, part, keep_summary=False):
        """precision, recall, scores of one partial (all its M and 4 areas); with
        keep_summary, the C library's statistics and lines in c_stats / c_summary."""
        h = _lib.P()
        self.c.check(lib.maskeval_coco_accumulate(self.c.h, part.h, C.byref(h)))
        try:
            dims = (C.c_size_t * 5)()
            lib.maskeval_coco_result_dims(h, C.byref(dims))
            T, R, K, A, M = list(dims)
            arrs = []
            for which, shape in ((_lib.ARRAY_PRECISION, (T, R, K, A, M)),
                                 (_lib.ARRAY_RECALL, (T, K, A, M)),
                                 (_lib.ARRAY_SCORES, (T, R, K, A, M))):
                a = np.empty(shape, np.float64)
                n = C.c_size_t()
                self.c.check(lib.maskeval_coco_result_array(h, which, a.ctypes.data, a.size,
                                                            C.byref(n)))
                arrs.append(a)
            if keep_summary:
                st = (C.c_double * 12)()
                lib.maskeval_coco_result_stats(h, C.byref(st))
                self.c_stats = list(st)[:lib.maskeval_coco_result_n_stats(h)]
                buf = C.create_string_buffer(8192)
                n = C.c_size_t()
                if lib.maskeval_coco_result_summary(h, buf, len(buf), C.byref(n)) == 0:
                    self.c_summary = buf.value.decode().splitlines()
        finally:
            lib.maskeval_coco_result_destroy(h)
        return arrs

    def match_records(self):
        """Per area chunk, {(image code, category id): record} with match identities."""
        if self._matches is None:
            self._keep = [self._evaluate(rng, 1) for rng in self.chunks]
            out = []
            for part in self._keep:
                info = _PartialInfo()
                lib.maskeval_coco_partial_get_info(part.h, C.byref(info))
                recs = {}
                for i in range(info.n_cells):
                    r = _lib.Record()
                    self.c.check(lib.maskeval_coco_partial_record(part.h, i, C.byref(r)))
                    recs[(r.image_id, r.category_id)] = r
                out.append(recs)
            self._matches = out
        return self._matches

    def encode(self):
        if len(self.partials) != 1:
            raise NotImplementedError("partials of more than 4 area ranges")
        part = self.partials[0]
        n = C.c_size_t()
        st = lib.maskeval_coco_partial_encode(self.c.h, part.h, None, 0, C.byref(n))
        if st != _lib.ERR_BUFFER_TOO_SMALL:
            self.c.check(st)
        buf = C.create_string_buffer(n.value)
        self.c.check(lib.maskeval_coco_partial_encode(self.c.h, part.h, buf, n.value,
                                                      C.byref(n)))
        return buf.raw[:n.value]


class _PartialInfo(C.Structure):
    _fields_ = [("n_images", C.c_size_t), ("n_held", C.c_size_t), ("n_cells", C.c_size_t),
                ("n_detections", C.c_uint64), ("gt_digest", C.c_uint64),
                ("params_digest", C.c_uint64), ("has_matches", C.c_int)]


lib.maskeval_coco_partial_get_info.restype = None
lib.maskeval_coco_partial_get_info.argtypes = [C.c_void_p, C.POINTER(_PartialInfo)]


class _Partial:
    def __init__(self, h):
        self.h = h

    def __del__(self):
        h, self.h = getattr(self, "h", None), None
        if h is not None and lib is not None:
            lib.maskeval_coco_partial_destroy(h)
