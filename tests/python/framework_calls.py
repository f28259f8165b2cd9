#!/usr/bin/env python3
"""The pycocotools call sequences of detectron2, MMDetection and torchmetrics,
replayed against whatever `pycocotools` resolves to.

    framework_calls.py --impl pycocotools|maskeval --gt GT --dt DT --out OUT.pkl

With --impl maskeval, maskeval.init_as_pycocotools() runs first, so the
`import pycocotools...` lines below bind maskeval's modules, as they would
inside the frameworks. Each scenario follows the framework's source
(../shared/spec/python_api.md section 5 cites the lines) and records what the
framework reads back: stats, precision slices, per-class APs, ious, private
members. test_frameworks.py runs both implementations and compares the pickles.
"""
import argparse
import contextlib
import copy
import io
import json
import pickle
import sys

import numpy as np

ap = argparse.ArgumentParser()
ap.add_argument("--impl", required=True)
ap.add_argument("--gt", required=True)
ap.add_argument("--dt", required=True)
ap.add_argument("--out", required=True)
ap.add_argument("--kp-gt", help="a keypoint set (gen_keypoints.py) for the keypoint scenarios")
ap.add_argument("--kp-dt")
args = ap.parse_args()
if args.impl == "maskeval":
    import maskeval
    maskeval.init_as_pycocotools()

import pycocotools.mask as mask_util  # noqa: E402
from pycocotools import mask as maskUtils  # noqa: E402,F401
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

if args.impl == "maskeval":  # the frameworks' imports really bound maskeval's modules
    assert COCO.__module__ == "maskeval.coco" and COCOeval.__module__ == "maskeval.cocoeval"
    assert mask_util.__name__ == "maskeval.mask"
else:
    assert COCO.__module__ == "pycocotools.coco"
OUT = {}


def load_results():
    with open(args.dt) as f:
        return json.load(f)


# --- detectron2 COCOEvaluator (coco_evaluation.py@02b5c4e) -----------------------------

def detectron2(iou_type):
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(args.gt)
    assert "annotations" in coco_gt.dataset
    cat_ids = sorted(coco_gt.getCatIds())
    cats = coco_gt.loadCats(cat_ids)
    class_names = [c["name"] for c in sorted(cats, key=lambda x: x["id"])]
    img_ids = sorted(coco_gt.imgs.keys())
    imgs = coco_gt.loadImgs(img_ids)
    n_anns = sum(len(coco_gt.imgToAnns[i]) for i in img_ids)
    results = copy.deepcopy(load_results())
    if iou_type == "segm":
        for c in results:
            c.pop("bbox", None)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        coco_dt = coco_gt.loadRes(results)
        E = COCOeval(coco_gt, coco_dt, iou_type)
        E.params.maxDets = [1, 10, 100]
        E.params.imgIds = img_ids
        E.evaluate()
        E.accumulate()
        E.summarize()
    precisions = E.eval["precision"]
    assert len(class_names) == precisions.shape[2]
    per_class = []
    for idx in range(len(class_names)):
        p = precisions[:, :, idx, 0, -1]
        p = p[p > -1]
        per_class.append(float(np.mean(p)) if p.size else float("nan"))
    stats = [float(E.stats[i] * 100) if E.stats[i] >= 0 else "nan" for i in range(12)]
    OUT["detectron2_" + iou_type] = dict(stats=stats, per_class=per_class, n_imgs=len(imgs),
                                         n_anns=n_anns, printed=_strip(out.getvalue()))


def detectron2_keypoints():
    """_evaluate_predictions_on_coco for iou_type "keypoints": the sigmas set as
    an ndarray, maxDets left alone, the three keypoint counts compared, then
    AP, AP50, AP75, APm, APl and per-class AP from precision[:, :, idx, 0, -1]."""
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(args.kp_gt)
    with open(args.kp_dt) as f:
        results = json.load(f)
    for r in results:  # detectron2 writes a box with every keypoint result
        xs, ys = r["keypoints"][0::3], r["keypoints"][1::3]
        r["bbox"] = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        coco_dt = coco_gt.loadRes(results)
        E = COCOeval(coco_gt, coco_dt, "keypoints")
        E.params.imgIds = sorted(coco_gt.imgs.keys())
        E.params.kpt_oks_sigmas = np.array([.26, .25, .25, .35, .35, .79, .79, .72, .72, .62,
                                            .62, 1.07, 1.07, .87, .87, .89, .89]) / 10.0
        n_dt = len(results[0]["keypoints"]) // 3
        n_gt = len(next(iter(coco_gt.anns.values()))["keypoints"]) // 3
        assert len(E.params.kpt_oks_sigmas) == n_dt == n_gt
        E.evaluate()
        E.accumulate()
        E.summarize()
    precisions = E.eval["precision"]
    per_class = []
    for idx in range(precisions.shape[2]):
        p = precisions[:, :, idx, 0, -1]
        p = p[p > -1]
        per_class.append(float(np.mean(p)) if p.size else float("nan"))
    stats = [float(E.stats[i] * 100) if E.stats[i] >= 0 else "nan" for i in range(5)]
    OUT["detectron2_keypoints"] = dict(stats=stats, per_class=per_class, all=E.stats.tolist(),
                                       printed=_strip(out.getvalue()),
                                       precision=precisions.tobytes())
    # COCOeval_opt: computeOks per cell after _prepare, as its evaluate() does
    with contextlib.redirect_stdout(io.StringIO()):
        F = FastEval(coco_gt, coco_gt.loadRes(copy.deepcopy(results)), "keypoints")
        F.evaluate()
    OUT["detectron2_private_keypoints"] = dict(cells=F._cells, ious=sorted(
        ((int(a), int(b)), v.tolist() if isinstance(v, np.ndarray) else v)
        for (a, b), v in F.ious.items()))


class FastEval(COCOeval):
    """detectron2's COCOeval_opt's use of the private members (fast_eval_api.py)."""

    def evaluate(self):
        p = self.params
        if p.useSegm is not None:
            p.iouType = "segm" if p.useSegm == 1 else "bbox"
        p.imgIds = list(np.unique(p.imgIds))
        if p.useCats:
            p.catIds = list(np.unique(p.catIds))
        p.maxDets = sorted(p.maxDets)
        self.params = p
        self._prepare()
        catIds = p.catIds if p.useCats else [-1]
        computeIoU = self.computeOks if p.iouType == "keypoints" else self.computeIoU
        self.ious = {(imgId, catId): computeIoU(imgId, catId)
                     for imgId in p.imgIds for catId in catIds}
        cells = []
        for imgId in p.imgIds:
            for catId in catIds:
                for key, rows in (("gt", self._gts[imgId, catId]), ("dt", self._dts[imgId, catId])):
                    cells.append([(key, o["id"], o["area"], o.get("iscrowd"), o.get("ignore"),
                                   o.get("score")) for o in rows])
        self._cells = cells
        self._paramsEval = copy.deepcopy(self.params)


def detectron2_private(iou_type):
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO(args.gt)
        coco_dt = coco_gt.loadRes(copy.deepcopy(load_results()))
        E = FastEval(coco_gt, coco_dt, iou_type)
        E.evaluate()
    ious = {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in E.ious.items()}
    OUT["detectron2_private_" + iou_type] = dict(cells=E._cells, ious=sorted(
        ((int(a), int(b)), v) for (a, b), v in ious.items()))


# --- MMDetection CocoMetric (coco_metric.py@013e541, coco_api.py@78bd40a) --------------

class MMCOCO(COCO):
    def __init__(self, annotation_file=None):
        super().__init__(annotation_file=annotation_file)
        self.img_ann_map = self.imgToAnns
        self.cat_img_map = self.catToImgs

    def get_ann_ids(self, img_ids=[], cat_ids=[], area_rng=[], iscrowd=None):
        return self.getAnnIds(img_ids, cat_ids, area_rng, iscrowd)

    def get_cat_ids(self, cat_names=[], sup_names=[], cat_ids=[]):
        return self.getCatIds(cat_names, sup_names, cat_ids)

    def get_img_ids(self, img_ids=[], cat_ids=[]):
        return self.getImgIds(img_ids, cat_ids)

    def load_anns(self, ids):
        return self.loadAnns(ids)

    def load_cats(self, ids):
        return self.loadCats(ids)


def mmdet(iou_type):
    with contextlib.redirect_stdout(io.StringIO()):
        api = MMCOCO(args.gt)
    classes = [c["name"] for c in api.dataset["categories"]]
    cat_ids = api.get_cat_ids(cat_names=classes)
    img_ids = api.get_img_ids()
    preds = copy.deepcopy(load_results())
    if iou_type == "segm":
        for x in preds:
            x.pop("bbox", None)
    record = {}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            api.loadRes([])
        record["empty"] = "no error"
    except IndexError:
        record["empty"] = "IndexError"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        coco_dt = api.loadRes(preds)
        E = COCOeval(api, coco_dt, iou_type)
        E.params.catIds = cat_ids
        E.params.imgIds = img_ids
        E.params.maxDets = [100, 300, 1000]
        E.params.iouThrs = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1,
                                       endpoint=True)
        E.evaluate()
        E.accumulate()
        E.summarize()
    names = ["mAP", "mAP_50", "mAP_75", "mAP_s", "mAP_m", "mAP_l", "AR@100", "AR@300",
             "AR@1000", "AR_s@1000", "AR_m@1000", "AR_l@1000"]
    record["stats"] = {n: float(f"{E.stats[i]:.3f}") for i, n in enumerate(names)}
    record["stats_exact"] = E.stats.tolist()
    classwise = []
    for idx, cat_id in enumerate(cat_ids):
        t = []
        nm = api.loadCats(cat_id)[0]["name"]
        for area in range(4):
            p = E.eval["precision"][:, :, idx, area, -1]
            p = p[p > -1]
            t.append(float(np.mean(p)) if p.size else float("nan"))
        classwise.append((nm, t))
    record["classwise"] = classwise
    record["printed"] = _strip(out.getvalue())
    # proposals: useCats = 0
    with contextlib.redirect_stdout(io.StringIO()):
        E2 = COCOeval(api, api.loadRes(copy.deepcopy(load_results())), iou_type)
        E2.params.useCats = 0
        E2.params.maxDets = [100, 300, 1000]
        E2.evaluate()
        E2.accumulate()
        E2.summarize()
    record["proposal_stats"] = E2.stats.tolist()
    record["proposal_catIds_after"] = list(E2.params.catIds)
    OUT["mmdet_" + iou_type] = record


# --- torchmetrics MeanAveragePrecision(backend="pycocotools") (helpers.py@dab0333) ------

def torchmetrics(iou_type):
    with open(args.gt) as f:
        gt_json = json.load(f)
    preds_json = load_results()
    # its own datasets: images with id (height/width for segm), annotations from 1
    images = [{"id": im["id"], "height": im["height"], "width": im["width"]}
              for im in gt_json["images"]]
    cats = [{"id": c["id"]} for c in gt_json["categories"]]
    anns = []
    for i, a in enumerate(gt_json["annotations"]):
        b = {"id": i + 1, "image_id": a["image_id"], "bbox": a["bbox"], "area": a["area"],
             "category_id": a["category_id"], "iscrowd": a.get("iscrowd", 0)}
        if iou_type == "segm":
            s = a["segmentation"]
            if isinstance(s, list):
                h = next(im for im in images if im["id"] == a["image_id"])
                s = mask_util.merge(mask_util.frPyObjects(s, h["height"], h["width"]))
            elif isinstance(s["counts"], list):
                s = mask_util.frPyObjects(s, s["size"][0], s["size"][1])
            b["segmentation"] = s
        anns.append(b)
    panns = []
    for i, r in enumerate(preds_json):
        b = {"id": i + 1, "image_id": r["image_id"], "category_id": r["category_id"],
             "score": r["score"], "iscrowd": 0}
        if iou_type == "bbox":
            bb = r.get("bbox") or list(mask_util.toBbox(r["segmentation"]))
            b["bbox"] = [float(v) for v in bb]
            b["area"] = b["bbox"][2] * b["bbox"][3]
        else:
            b["segmentation"] = r["segmentation"]
            b["area"] = int(mask_util.area(r["segmentation"]))
        panns.append(b)
    with contextlib.redirect_stdout(io.StringIO()):
        target = COCO()
        target.dataset = {"images": images, "annotations": anns, "categories": cats}
        target.createIndex()
        preds = COCO()
        preds.dataset = {"images": copy.deepcopy(images), "annotations": panns,
                         "categories": cats}
        preds.createIndex()
    # the bbox+segm area swap, through dataset (relies on shared dicts)
    for a in preds.dataset["annotations"]:
        a["area"] = a["area"] * 1.0
    iou_thr = np.linspace(0.5, 0.95, 10).astype(np.float32).tolist()
    rec_thr = np.linspace(0.0, 1.00, 101).astype(np.float32).tolist()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        E = COCOeval(target, preds, iouType=iou_type)
        E.params.iouThrs = np.array(iou_thr, dtype=np.float64)
        E.params.recThrs = np.array(rec_thr, dtype=np.float64)
        E.params.maxDets = [1, 10, 100]
        E.evaluate()
        E.accumulate()
        E.summarize()
    rec = {"stats": E.stats.tolist(), "printed": _strip(out.getvalue())}
    rec["ious"] = sorted(((int(a), int(b)), v.tolist()) for (a, b), v in E.ious.items()
                         if isinstance(v, np.ndarray))
    rec["ious_empty"] = sum(1 for v in E.ious.values() if isinstance(v, list) and v == [])
    rec["precision"] = E.eval["precision"].tobytes()
    rec["recall"] = E.eval["recall"].tobytes()
    rec["scores"] = E.eval["scores"].tobytes()
    per_class = []
    with contextlib.redirect_stdout(io.StringIO()):
        for c in sorted(c["id"] for c in cats):
            E.params.catIds = [c]
            E.evaluate()
            E.accumulate()
            E.summarize()
            per_class.append((c, float(E.stats[0]), float(E.stats[8])))
    rec["per_class"] = per_class
    OUT["torchmetrics_" + iou_type] = rec


def _strip(text):
    return [ln for ln in text.splitlines() if "(t=" not in ln]


def masks():
    rng = np.random.default_rng(3)
    m = np.asfortranarray((rng.random((20, 30, 3)) < 0.4).astype(np.uint8))
    rles = mask_util.encode(m)
    one = mask_util.encode(np.array(m[:, :, 0][:, :, None], order="F", dtype="uint8"))[0]
    OUT["mask"] = dict(rles=rles, one=one, area=[int(mask_util.area(one).item())],
                       bbox=mask_util.toBbox(rles).tolist(),
                       dec=mask_util.decode(rles).tobytes(),
                       counts_str=one["counts"].decode("utf-8"))


for t in ("segm", "bbox"):
    detectron2(t)
    detectron2_private(t)
    mmdet(t)
    torchmetrics(t)
if args.kp_gt:
    detectron2_keypoints()
masks()
with open(args.out, "wb") as f:
    pickle.dump(OUT, f)
print("ok", args.impl, sorted(OUT))
