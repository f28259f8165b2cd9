"""The IoUs the C matcher matched with, read from a maskeval COCOeval's records,
against a reference IoU matrix (shared by test_cocoeval_parity.py and
test_boundary.py)."""
import numpy as np


def matched_iou_mismatches(M, eval_imgs, ious_of, gts_of):
    """For every matched detection of area range 0 in eval_imgs (pycocotools'
    layout: dtIds, dtMatches), the match IoU of M's C records against
    ious_of(img, cat)[d, column of the matched GT in gts_of(img, cat)].
    Returns (matches compared, mismatches)."""
    p = M._paramsEval
    recs = M._run.match_records()[0]
    codes = M._run.codes
    n = bad = 0
    T = len(p.iouThrs)
    for ev in eval_imgs[:len(p.imgIds) * (len(p.catIds) if p.useCats else 1)]:
        if ev is None or ev["aRng"] != p.areaRng[0]:
            continue
        img, cat = ev["image_id"], ev["category_id"]
        rec = recs.get((int(codes.encode([img])[0]), int(cat)))
        D = len(ev["dtIds"])
        if rec is None or D == 0:
            continue
        ious = ious_of(img, cat)
        gidx = {}
        for i, g in enumerate(gts_of(img, cat)):
            gidx.setdefault(g["id"], i)
        mi = np.ctypeslib.as_array(rec.match_iou, shape=(D * 4 * T,)).reshape(D, 4, T)
        for t in range(T):
            for d in range(D):
                g = int(ev["dtMatches"][t, d])
                if g > 0:
                    n += 1
                    bad += mi[d, 0, t] != ious[d, gidx[g]]
    return n, bad
