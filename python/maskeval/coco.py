"""pycocotools.coco.COCO: the dataset index, queries and loadRes, as pycocotools 2.0.11.

A pure-Python class on purpose: frameworks read and mutate `dataset`, `anns`,
`imgs`, `cats`, `imgToAnns` and `catToImgs` (the same dict objects), and
subclass it (MMDetection). Evaluation hands the C library column arrays built
from these dicts at evaluate() time (cocoeval.py), so edits made before then
are seen, as in pycocotools. Messages go through print(), so
contextlib.redirect_stdout silences them.

Deliberate differences: loadRes computes the areas and boxes of mask results
in one C call over all results (same values and types); showAnns and
download, which need matplotlib or the network, raise NotImplementedError.
"""
import copy
import itertools
import json
import os
import time
from collections import defaultdict

import numpy as np

from . import mask as maskUtils

__all__ = ["COCO"]


def _isArrayLike(obj):
    return hasattr(obj, "__iter__") and hasattr(obj, "__len__")


def _member_test(values):
    """`x in values` for a list, through a set when every value hashes (same result for
    numbers: equal numbers hash equally)."""
    try:
        s = set(values)
        return s.__contains__
    except TypeError:
        return values.__contains__


class COCO:
    """pycocotools' COCO. Built from a file, it reads the file only when its dicts
    are first used: COCOeval on a COCO and a loadRes(path) whose dicts nobody
    touched hands the files to the C loaders directly (the pycocotools
    semantics of those loaders are what the CLI's parity tests check)."""

    def __init__(self, annotation_file=None, get_boundary=False, dilation_ratio=0.02):
        """get_boundary / dilation_ratio: boundary-iou-api's COCO arguments. Its
        bands are made when COCOeval(iouType="boundary") runs; a COCO made with
        get_boundary=True gives its ratio to that evaluation (boundary-iou-api
        then ignores COCOeval's, having banded the annotations already)."""
        self._lazy = None  # ("gt", path) or ("res", path, parent COCO): dicts not read yet
        self.get_boundary = bool(get_boundary)
        self.dilation_ratio = dilation_ratio
        self._set_index({}, {}, {}, {}, defaultdict(list), defaultdict(list))
        if annotation_file is not None:
            print("loading annotations into memory...")
            tic = time.time()
            with open(annotation_file, "r"):
                pass  # open() errors (missing file, a dict argument) surface here, as there
            print("Done (t={:0.2f}s)".format(time.time() - tic))
            print("creating index...")
            print("index created!")
            self._lazy = ("gt", annotation_file)

    def _set_index(self, dataset, anns, cats, imgs, imgToAnns, catToImgs):
        self._dataset, self._anns, self._cats, self._imgs = dataset, anns, cats, imgs
        self._imgToAnns, self._catToImgs = imgToAnns, catToImgs

    def _materialize(self):
        lazy, self._lazy = self._lazy, None
        if lazy[0] == "gt":
            with open(lazy[1], "r") as f:
                dataset = json.load(f)
            assert type(dataset) == dict, \
                "annotation file format {} not supported".format(type(dataset))
            self._dataset = dataset
        else:
            with open(lazy[1]) as f:
                anns = json.load(f)
            self._dataset = lazy[2]._results_dataset(anns)
        self._index()

    def _sorted_ids(self, iou_type=None):
        """(sorted(getImgIds()), sorted(getCatIds())) for an unread ground-truth file,
        from the C loader, without reading the dicts; None when the file is read
        already or the loader refuses it. The loaded ground truth is kept for
        COCOeval (_c_ground_truth), loaded as iou_type needs (boxes, or masks)."""
        if self._lazy is None or self._lazy[0] != "gt":
            return None
        from . import _lib
        order = (_lib.LOAD_SEGM, _lib.LOAD_BBOX) if iou_type == "segm" else \
            (_lib.LOAD_BBOX, _lib.LOAD_SEGM)
        for flags in order:
            h = self._c_ground_truth(flags)
            if h is None:
                continue
            out = []
            for fn in (_lib.lib.maskeval_gt_image_ids, _lib.lib.maskeval_gt_category_ids):
                n = fn(h, None, 0)
                a = np.zeros(n, np.int64)
                fn(h, _lib.ptr(a), n)
                out.append(a.tolist())
            return out[0], out[1]
        return None

    def _c_ground_truth(self, flags):
        """The unread ground-truth file loaded by maskeval_gt_load_file with flags
        (cached; the handle is owned by this COCO), or None if refused or read."""
        if self._lazy is None or self._lazy[0] != "gt":
            return None
        cache = self.__dict__.setdefault("_c_gt", {})
        if flags not in cache:
            import ctypes as C
            from . import _lib
            h = _lib.P()
            c = _lib.ctx()
            st = _lib.lib.maskeval_gt_load_file(c.h, os.fsencode(self._lazy[1]), flags,
                                                C.byref(h))
            if st != 0:
                _lib.lib.maskeval_gt_destroy(h)
                cache[flags] = None
            else:
                cache[flags] = _CHandle(h)
        return cache[flags].h if cache[flags] is not None else None

    def _files(self):
        """(gt path, results path or None) while no dict of this COCO was read."""
        if self._lazy is None:
            return None
        return self._lazy[1]

    def _lazy_attr(name):  # noqa: N805 - a property factory used in the class body
        def get(self):
            if self._lazy is not None:
                self._materialize()
            return getattr(self, name)

        def put(self, value):
            if self._lazy is not None:
                self._materialize()
            setattr(self, name, value)
        return property(get, put)

    dataset = _lazy_attr("_dataset")
    anns = _lazy_attr("_anns")
    cats = _lazy_attr("_cats")
    imgs = _lazy_attr("_imgs")
    imgToAnns = _lazy_attr("_imgToAnns")
    catToImgs = _lazy_attr("_catToImgs")
    del _lazy_attr

    def createIndex(self):
        print("creating index...")
        self._index()
        print("index created!")

    def _index(self):
        anns, cats, imgs = {}, {}, {}
        imgToAnns, catToImgs = defaultdict(list), defaultdict(list)
        ds = self.dataset
        if "annotations" in ds:
            for ann in ds["annotations"]:
                imgToAnns[ann["image_id"]].append(ann)
                anns[ann["id"]] = ann
        if "images" in ds:
            for img in ds["images"]:
                imgs[img["id"]] = img
        if "categories" in ds:
            for cat in ds["categories"]:
                cats[cat["id"]] = cat
        if "annotations" in ds and "categories" in ds:
            for ann in ds["annotations"]:
                catToImgs[ann["category_id"]].append(ann["image_id"])
        self._set_index(ds, anns, cats, imgs, imgToAnns, catToImgs)

    def info(self):
        for key, value in self.dataset["info"].items():
            print("{}: {}".format(key, value))

    def getAnnIds(self, imgIds=[], catIds=[], areaRng=[], iscrowd=None):
        imgIds = imgIds if _isArrayLike(imgIds) else [imgIds]
        catIds = catIds if _isArrayLike(catIds) else [catIds]
        if len(imgIds) == len(catIds) == len(areaRng) == 0:
            anns = self.dataset["annotations"]
        else:
            if len(imgIds) != 0:
                lists = [self.imgToAnns[i] for i in imgIds if i in self.imgToAnns]
                anns = list(itertools.chain.from_iterable(lists))
            else:
                anns = self.dataset["annotations"]
            if len(catIds) != 0:
                has = _member_test(catIds)
                anns = [a for a in anns if has(a["category_id"])]
            if len(areaRng) != 0:
                anns = [a for a in anns if a["area"] > areaRng[0] and a["area"] < areaRng[1]]
        if iscrowd is not None:
            return [a["id"] for a in anns if a["iscrowd"] == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms=[], supNms=[], catIds=[]):
        catNms = catNms if _isArrayLike(catNms) else [catNms]
        supNms = supNms if _isArrayLike(supNms) else [supNms]
        catIds = catIds if _isArrayLike(catIds) else [catIds]
        cats = self.dataset["categories"]
        if not (len(catNms) == len(supNms) == len(catIds) == 0):
            if len(catNms) != 0:
                cats = [c for c in cats if c["name"] in catNms]
            if len(supNms) != 0:
                cats = [c for c in cats if c["supercategory"] in supNms]
            if len(catIds) != 0:
                cats = [c for c in cats if c["id"] in catIds]
        return [c["id"] for c in cats]

    def getImgIds(self, imgIds=[], catIds=[]):
        imgIds = imgIds if _isArrayLike(imgIds) else [imgIds]
        catIds = catIds if _isArrayLike(catIds) else [catIds]
        if len(imgIds) == len(catIds) == 0:
            return list(self.imgs.keys())
        ids = set(imgIds)
        for i, catId in enumerate(catIds):
            if i == 0 and len(ids) == 0:
                ids = set(self.catToImgs[catId])
            else:
                ids &= set(self.catToImgs[catId])
        return list(ids)

    @staticmethod
    def _load(table, ids):
        if _isArrayLike(ids):
            return [table[i] for i in ids]
        if type(ids) == int:
            return [table[ids]]
        return None

    def loadAnns(self, ids=[]):
        return self._load(self.anns, ids)

    def loadCats(self, ids=[]):
        return self._load(self.cats, ids)

    def loadImgs(self, ids=[]):
        return self._load(self.imgs, ids)

    def showAnns(self, anns, draw_bbox=False):
        if len(anns) == 0:
            return 0
        raise NotImplementedError("maskeval.COCO.showAnns: draw with pycocotools or your own "
                                  "plotting code (annToMask gives the masks)")

    def download(self, tarDir=None, imgIds=[]):
        raise NotImplementedError("maskeval.COCO.download: maskeval never uses the network")

    def loadRes(self, resFile):
        print("Loading and preparing results...")
        tic = time.time()
        res = COCO(get_boundary=getattr(self, "get_boundary", False),
                   dilation_ratio=getattr(self, "dilation_ratio", 0.02))
        if type(resFile) == str:
            # read when first used (or never: COCOeval then loads the file in C)
            with open(resFile):
                pass
            res._lazy = ("res", resFile, self)
            print("DONE (t={:0.2f}s)".format(time.time() - tic))
            print("creating index...")
            print("index created!")
            return res
        if type(resFile) == np.ndarray:
            anns = self.loadNumpyAnnotations(resFile)
        else:
            anns = resFile
        res._dataset = self._results_dataset(anns)
        print("DONE (t={:0.2f}s)".format(time.time() - tic))
        res.createIndex()
        return res

    def _results_dataset(self, anns):
        """loadRes' dataset for the results list anns (mutated as there)."""
        ds = {"info": copy.deepcopy(self.dataset.get("info", {})),
              "images": [img for img in self.dataset["images"]]}
        assert type(anns) == list, "results in not an array of objects"
        annsImgIds = set(ann["image_id"] for ann in anns)
        assert annsImgIds == (annsImgIds & set(self.getImgIds())), \
            "Results do not correspond to current coco set"
        first = anns[0]  # IndexError on [], which MMDetection catches
        if "caption" in first:
            imgIds = set(img["id"] for img in ds["images"]) & annsImgIds
            ds["images"] = [i for i in ds["images"] if i["id"] in imgIds]
            for i, ann in enumerate(anns):
                ann["id"] = i + 1
        elif "bbox" in first and not first["bbox"] == []:
            ds["categories"] = copy.deepcopy(self.dataset["categories"])
            for i, ann in enumerate(anns):
                bb = ann["bbox"]
                x1, x2, y1, y2 = [bb[0], bb[0] + bb[2], bb[1], bb[1] + bb[3]]
                if "segmentation" not in ann:
                    ann["segmentation"] = [[x1, y1, x1, y2, x2, y2, x2, y1]]
                ann["area"] = bb[2] * bb[3]
                ann["id"] = i + 1
                ann["iscrowd"] = 0
        elif "segmentation" in first:
            ds["categories"] = copy.deepcopy(self.dataset["categories"])
            segs = [ann["segmentation"] for ann in anns]
            areas = maskUtils.area(segs)
            boxes = None
            if any("bbox" not in ann for ann in anns):
                boxes = maskUtils.toBbox(segs)
            for i, ann in enumerate(anns):
                ann["area"] = areas[i]
                if "bbox" not in ann:
                    ann["bbox"] = boxes[i]
                ann["id"] = i + 1
                ann["iscrowd"] = 0
        elif "keypoints" in first:
            ds["categories"] = copy.deepcopy(self.dataset["categories"])
            for i, ann in enumerate(anns):
                s = ann["keypoints"]
                x, y = s[0::3], s[1::3]
                x0, x1, y0, y1 = np.min(x), np.max(x), np.min(y), np.max(y)
                ann["area"] = (x1 - x0) * (y1 - y0)
                ann["id"] = i + 1
                ann["bbox"] = [x0, y0, x1 - x0, y1 - y0]
        ds["annotations"] = anns
        return ds

    def loadNumpyAnnotations(self, data):
        print("Converting ndarray to lists...")
        assert type(data) == np.ndarray
        print(data.shape)
        assert data.shape[1] == 7
        n = data.shape[0]
        ann = []
        for i in range(n):
            if i % 1000000 == 0:
                print("{}/{}".format(i, n))
            ann.append({"image_id": int(data[i, 0]),
                        "bbox": [data[i, 1], data[i, 2], data[i, 3], data[i, 4]],
                        "score": data[i, 5],
                        "category_id": int(data[i, 6])})
        return ann

    def annToRLE(self, ann):
        t = self.imgs[ann["image_id"]]
        h, w = t["height"], t["width"]
        segm = ann["segmentation"]
        if type(segm) == list:
            return maskUtils.merge(maskUtils.frPyObjects(segm, h, w))
        if type(segm["counts"]) == list:
            return maskUtils.frPyObjects(segm, h, w)
        return ann["segmentation"]

    def annToMask(self, ann):
        return maskUtils.decode(self.annToRLE(ann))


class _CHandle:
    """Owns a maskeval_gt loaded from a file."""

    def __init__(self, h):
        self.h = h

    def __del__(self):
        from . import _lib
        h, self.h = self.h, None
        if h is not None and _lib.lib is not None:
            _lib.lib.maskeval_gt_destroy(h)
