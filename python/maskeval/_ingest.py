"""Column arrays for the C library from pycocotools-style dicts.

`prepare` does what pycocotools' COCOeval._prepare does to the dicts (segm
annotations become RLE dicts in place, ground truth gets `ignore`), with the
polygon and uncompressed-RLE conversions batched into single C calls, and
`GtHandle` / `DetsHandle` hand the resulting rows to maskeval_gt_from_arrays /
maskeval_dets_from_arrays.
"""
import ctypes as C

import numpy as np

from . import _lib
from . import mask as maskUtils
from ._lib import lib, ptr


class IdCodes:
    """Image ids as int64 codes: the ids themselves when they are all integers,
    else their ranks in sorted order (string ids, as Ultralytics' file stems), so
    the C side orders images as np.unique does."""

    def __init__(self, ids):
        ids = list(ids)
        self.identity = all(isinstance(i, (int, np.integer)) and not isinstance(i, bool)
                            for i in ids)
        if not self.identity:
            self.sorted = list(np.unique(np.array(ids, dtype=object)))
            self.code = {v: k for k, v in enumerate(self.sorted)}

    def encode(self, ids):
        if self.identity:
            return np.asarray(list(ids), dtype=np.int64).reshape(-1)
        return np.asarray([self.code[i] for i in ids], dtype=np.int64).reshape(-1)


def _to_rles(anns, coco):
    """annToRLE of every annotation, written back into ann['segmentation'] (as
    pycocotools' _toMask does); polygons and uncompressed RLE in one C call each."""
    polys, uncomp = [], []
    for i, ann in enumerate(anns):
        segm = ann["segmentation"]
        if type(segm) == list:
            if len(segm) == 0:
                raise IndexError("list index out of range (annotation id %r has an empty "
                                 "polygon list)" % ann.get("id"))
            if len(segm[0]) == 4:
                raise TypeError("Argument 'bb' has incorrect type (expected numpy.ndarray, "
                                "got list): annotation id %r has a 4-number polygon, which "
                                "pycocotools reads as a box" % ann.get("id"))
            if not len(segm[0]) > 4:
                raise Exception("input type is not supported.")
            polys.append(i)
        elif type(segm["counts"]) == list:
            uncomp.append(i)
    if polys:
        xs, poly_off, group_off, hs, ws = [], [0], [0], [], []
        for i in polys:
            ann = anns[i]
            img = coco.imgs[ann["image_id"]]
            hs.append(img["height"])
            ws.append(img["width"])
            for p in ann["segmentation"]:
                a = np.asarray(p, dtype=np.double).reshape(-1)
                xs.append(a)
                poly_off.append(poly_off[-1] + a.size)
            group_off.append(len(poly_off) - 1)
        xy = np.ascontiguousarray(np.concatenate(xs))
        poly_off = np.asarray(poly_off, np.uint64)
        group_off = np.asarray(group_off, np.uint64)
        hs = np.asarray(hs, np.uint32)
        ws = np.asarray(ws, np.uint32)
        r = _lib.Rles()
        r.c.check(lib.maskeval_rles_polygon_groups(r.c.h, r.h, ptr(xy), ptr(poly_off),
                                                   ptr(group_off), len(polys), ptr(hs),
                                                   ptr(ws)))
        for i, s, h, w in zip(polys, r.strings(), hs.tolist(), ws.tolist()):
            anns[i]["segmentation"] = {"size": [h, w], "counts": s}
    if uncomp:
        for i, rle in zip(uncomp, _uncompressed(anns, uncomp, coco)):
            anns[i]["segmentation"] = rle


def _uncompressed(anns, idx, coco):
    for i in idx:
        img = coco.imgs[anns[i]["image_id"]]  # annToRLE reads the image, as pycocotools
        img["height"], img["width"]
    return maskUtils.frUncompressedRLE([anns[i]["segmentation"] for i in idx], 0, 0)


def _select(coco, p):
    if p.useCats:
        return coco.loadAnns(coco.getAnnIds(imgIds=p.imgIds, catIds=p.catIds))
    return coco.loadAnns(coco.getAnnIds(imgIds=p.imgIds))


def prepare(cocoGt, cocoDt, p):
    """pycocotools' _prepare: (gts, dts) lists, dicts mutated as there."""
    gts = _select(cocoGt, p)
    dts = _select(cocoDt, p) if cocoDt is not None else []
    if p.iouType in ("segm", "boundary"):
        _to_rles(gts, cocoGt)
        _to_rles(dts, cocoDt)
    for gt in gts:
        if p.iouType == "boundary":
            # boundary-iou-api's _prepare keeps the annotation's own "ignore"
            gt["ignore"] = gt.get("ignore", 0) or ("iscrowd" in gt and gt["iscrowd"])
            continue
        gt["ignore"] = gt["ignore"] if "ignore" in gt else 0
        gt["ignore"] = "iscrowd" in gt and gt["iscrowd"]
        if p.iouType == "keypoints":
            gt["ignore"] = (gt["num_keypoints"] == 0) or gt["ignore"]
    return gts, dts


def _int_ids(values, what):
    try:
        return np.asarray(values, dtype=np.int64).reshape(-1)
    except (TypeError, ValueError, OverflowError):
        raise TypeError("maskeval needs integer %s ids" % what) from None


def _boxes(anns):
    """The anns' "bbox" values as one contiguous float64 (n, 4) array."""
    b = np.array([a["bbox"] for a in anns], dtype=np.float64)
    return np.ascontiguousarray(b.reshape(len(anns), 4))


def _keypoints(anns, k, what):
    """The anns' "keypoints" as one contiguous float64 (n, 3k) array; a list of
    another length is refused (pycocotools fails to broadcast it)."""
    rows = [a["keypoints"] for a in anns]
    for a, r in zip(anns, rows):
        if len(r) != 3 * k:
            raise ValueError("%s id %r has %d keypoint values, expected %d (3 per OKS sigma)"
                             % (what, a.get("id"), len(r), 3 * k))
    kp = np.array(rows, dtype=np.float64).reshape(len(anns), 3 * k)
    return np.ascontiguousarray(kp)


def _rle_rows(anns, sizes_of, what):
    """Compressed strings of anns' RLE segmentations, checked against their image size."""
    strs = []
    for ann in anns:
        segm = ann["segmentation"]
        size = segm["size"]
        want = sizes_of(ann["image_id"])
        if want is not None and (int(size[0]), int(size[1])) != want:
            raise ValueError("%s id %r: mask is %dx%d but its image is %dx%d (pycocotools "
                             "would give IoU -1)" % (what, ann.get("id"), size[0], size[1],
                                                     want[0], want[1]))
        c = segm["counts"]
        strs.append(c.encode("utf8") if isinstance(c, str) else c)
    return _lib.pack_strings(strs)


class GtHandle:
    """maskeval_gt built from a COCO's images and categories and the prepared rows."""

    def __init__(self, c, coco, gts, p, codes, extra_img_ids, segm, keypoints=0, boundary=False):
        """keypoints: k > 0 for a keypoint evaluation (k per annotation); boundary:
        Boundary AP, whose ignore flags are the prepared "ignore" (the annotation's
        own or iscrowd) beside iscrowd."""
        self.c = c
        self.keypoints = keypoints
        imgs = list(coco.imgs.values())
        img_ids = [im["id"] for im in imgs] + list(extra_img_ids)
        self.sizes = {}
        hs = np.zeros(len(img_ids), np.uint32)
        ws = np.zeros(len(img_ids), np.uint32)
        if segm:
            for j, im in enumerate(imgs):
                h, w = im.get("height"), im.get("width")
                if h is None or w is None:
                    h, w = self._size_from_masks(coco, im["id"], gts)
                hs[j], ws[j] = h, w
                self.sizes[im["id"]] = (int(h), int(w))
            hs[len(imgs):] = 1  # ids only in params.imgIds: no masks can refer to them
            ws[len(imgs):] = 1
        self.img_codes = codes.encode(img_ids)
        cat_ids = _int_ids(list(coco.cats.keys()), "category")
        n = len(gts)
        a = _lib.GtArrays()
        a.struct_size = C.sizeof(_lib.GtArrays)
        keep = [self.img_codes, hs, ws, cat_ids]
        a.n_images = len(img_ids)
        a.image_ids = self.img_codes.ctypes.data_as(_lib.I64P)
        a.heights = hs.ctypes.data_as(_lib.U32P)
        a.widths = ws.ctypes.data_as(_lib.U32P)
        a.n_categories = len(cat_ids)
        a.category_ids = cat_ids.ctypes.data_as(_lib.I64P)
        ids = _int_ids([g["id"] for g in gts], "annotation")
        img = codes.encode([g["image_id"] for g in gts])
        cat = _int_ids([g["category_id"] for g in gts], "category")
        if keypoints or boundary:  # evaluateImg's iscrowd, and _prepare's ignore beside it
            crowd = np.fromiter((int(g["iscrowd"]) != 0 for g in gts), np.uint8, n)
            ignore = np.fromiter((1 if g["ignore"] else 0 for g in gts), np.uint8, n)
        else:
            crowd = np.fromiter((1 if g["ignore"] else 0 for g in gts), np.uint8, n)
        area = np.fromiter((g["area"] for g in gts), np.float64, n)
        keep += [ids, img, cat, crowd, area]
        a.n_annotations = n
        a.ann_ids = ids.ctypes.data_as(_lib.I64P)
        a.ann_image_ids = img.ctypes.data_as(_lib.I64P)
        a.ann_category_ids = cat.ctypes.data_as(_lib.I64P)
        a.ann_iscrowd = crowd.ctypes.data_as(_lib.U8P)
        a.ann_area = area.ctypes.data_as(_lib.F64P)
        flags = _lib.LOAD_SEGM if segm else _lib.LOAD_BBOX
        if keypoints:
            kp = _keypoints(gts, keypoints, "annotation")
            keep += [kp, ignore]
            flags |= _lib.LOAD_KEYPOINTS
            a.n_keypoints = keypoints
            a.ann_keypoints = kp.ctypes.data_as(_lib.F64P)
            a.ann_ignore = ignore.ctypes.data_as(_lib.U8P)
        elif boundary:
            keep.append(ignore)
            a.ann_ignore = ignore.ctypes.data_as(_lib.U8P)
        if segm:
            blob, off = _rle_rows(gts, self.sizes.get, "annotation")
            keep += [blob, off]
            a.ann_rle = blob
            a.ann_rle_off = off.ctypes.data_as(_lib.U64P)
        else:
            bbox = _boxes(gts)
            keep.append(bbox)
            a.ann_bbox = bbox.ctypes.data_as(_lib.F64P)
        h = _lib.P()
        c.check(lib.maskeval_gt_from_arrays(c.h, C.byref(a), flags, C.byref(h)))
        self.h = h
        self.segm = segm

    @classmethod
    def borrow(cls, h, owner, segm):
        """A maskeval_gt owned by `owner` (kept alive here), not destroyed by this."""
        self = cls.__new__(cls)
        self.h, self.segm, self.sizes, self._owner = h, segm, {}, owner
        self.keypoints = 0
        return self

    @staticmethod
    def _size_from_masks(coco, img_id, gts):
        for g in coco.imgToAnns.get(img_id, []):
            s = g.get("segmentation")
            if isinstance(s, dict) and "size" in s:
                return s["size"][0], s["size"][1]
        raise KeyError("height (image %r has no height/width and no RLE to take it from)"
                       % (img_id,))

    def __del__(self):
        h, self.h = getattr(self, "h", None), None
        if h is not None and lib is not None and getattr(self, "_owner", None) is None:
            lib.maskeval_gt_destroy(h)


class DetsHandle:
    def __init__(self, c, gt, dts, codes):
        n = len(dts)
        img = codes.encode([d["image_id"] for d in dts])
        cat = _int_ids([d["category_id"] for d in dts], "category")
        score = np.fromiter((d["score"] for d in dts), np.float64, n)
        area = np.fromiter((d["area"] for d in dts), np.float64, n)
        blob = off = bbox = kp = None
        if gt.keypoints:
            kp = _keypoints(dts, gt.keypoints, "detection")
        elif gt.segm:
            blob, off = _rle_rows(dts, gt.sizes.get, "detection")
        else:
            bbox = _boxes(dts)
        self._build(c, gt, img, cat, score, area, bbox, blob, off, kp)

    @classmethod
    def adopt(cls, h):
        self = cls.__new__(cls)
        self.h = h
        return self

    @classmethod
    def from_arrays(cls, c, gt, img, cat, score, area, bbox, blob, off):
        """Columns already as arrays (the streaming evaluator); masks are checked
        against their image sizes by the C side."""
        self = cls.__new__(cls)
        self._build(c, gt, img, cat, score, area, bbox, blob, off)
        return self

    def _build(self, c, gt, img, cat, score, area, bbox, blob, off, kp=None):
        self.c = c
        self._kp = kp
        n = len(img)
        a = _lib.DetsArrays()
        a.struct_size = C.sizeof(_lib.DetsArrays)
        a.n = n
        a.image_ids = img.ctypes.data_as(_lib.I64P)
        a.category_ids = cat.ctypes.data_as(_lib.I64P)
        a.scores = score.ctypes.data_as(_lib.F64P)
        a.areas = area.ctypes.data_as(_lib.F64P)
        if gt.segm:
            a.rle = blob
            a.rle_off = off.ctypes.data_as(_lib.U64P)
        elif bbox is not None:
            a.bbox = bbox.ctypes.data_as(_lib.F64P)
        if kp is not None:
            a.keypoints = kp.ctypes.data_as(_lib.F64P)
        h = _lib.P()
        c.check(lib.maskeval_dets_from_arrays(c.h, gt.h, C.byref(a), C.byref(h)))
        self.h = h

    def __del__(self):
        h, self.h = getattr(self, "h", None), None
        if h is not None and lib is not None:
            lib.maskeval_dets_destroy(h)
