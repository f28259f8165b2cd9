"""The inputs of the Fixed AP / AP-pool fixtures (Dave et al. 2021), built
the same way by make_devil_fixtures.py (which records what the reference
scripts print) and by run_lvis.py --devil (which checks maskeval against the
record). Every case is (name, gt dict or generator spec, results, iou types,
[(mode, dets_per_cat)]).
"""

import os

import gen_lvis

B = [0, 0, 10, 10]


def _img(i, neg=()):
    return {"id": i, "width": 100, "height": 100, "file_name": "%d.jpg" % i,
            "neg_category_ids": list(neg), "not_exhaustive_category_ids": []}


def _ann(n, i, c, b):
    return {"id": n, "image_id": i, "category_id": c, "bbox": b, "area": float(b[2] * b[3]),
            "segmentation": [[b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3], b[0],
                              b[1] + b[3]]]}


def _det(i, c, b, s):
    return {"image_id": i, "category_id": c, "bbox": [float(v) for v in b], "score": s}


def _cats(freq):
    return [{"id": c, "name": "c%d" % c, "frequency": f} for c, f in sorted(freq.items())]


def micro():
    c3 = {1: "f", 2: "c", 3: "r"}
    out = []
    # D1: L3a's data; Fixed AP keeps the TP the per-image cap cut
    d1 = [_det(1, 2, [50, 50, 10, 10], round(0.99 - i * 1e-4, 4)) for i in range(300)]
    out.append(("D1", {"images": [_img(1)], "annotations": [_ann(1, 1, 1, B)],
                       "categories": _cats(c3)}, d1 + [_det(1, 1, B, .5)], ["bbox"],
                [("fixed", 10000)]))
    # D2: three images, K = 2
    g2 = {"images": [_img(1), _img(2), _img(3)],
          "annotations": [_ann(1, 1, 1, B), _ann(2, 2, 1, B), _ann(3, 3, 1, B)],
          "categories": _cats(c3)}
    d2 = [_det(1, 1, B, .9), _det(2, 1, [50, 50, 10, 10], .8), _det(3, 1, B, .7), _det(2, 1, B, .6)]
    out.append(("D2", g2, d2, ["bbox"], [("fixed", 2), ("fixed", 10000)]))
    # D3 / D4: pooling depends on cross-category calibration
    g3 = {"images": [_img(1), _img(2)], "annotations": [_ann(1, 1, 1, B), _ann(2, 2, 2, B)],
          "categories": _cats(c3)}
    d3 = [_det(1, 1, B, .9), _det(2, 2, [50, 50, 10, 10], .95), _det(2, 2, B, .3)]
    d4 = [dict(d, score=round(d["score"] * 0.1, 6)) if d["category_id"] == 2 else d for d in d3]
    out.append(("D3", g3, d3, ["bbox"], [("fixed", 10000), ("pooled", 10000)]))
    out.append(("D4", g3, d4, ["bbox"], [("fixed", 10000), ("pooled", 10000)]))
    # D5: the image-major pooled order on ties
    g5 = {"images": [_img(1), _img(2, neg=[1, 2]), _img(3)],
          "annotations": [_ann(1, 1, 1, B), _ann(2, 1, 2, [20, 20, 10, 10]), _ann(3, 3, 2, B)],
          "categories": _cats(c3)}
    d5 = [_det(1, 1, B, .5), _det(1, 2, [20, 20, 10, 10], .5), _det(2, 1, [50, 50, 10, 10], .5),
          _det(2, 2, [50, 50, 10, 10], .5)]
    out.append(("D5", g5, d5, ["bbox"], [("pooled", 10000)]))
    return out


GENERATED = [
    ("default", 1, ["bbox", "segm"], [("fixed", 10000), ("fixed", 5), ("pooled", 10000)]),
    ("many_cats", 1, ["segm"], [("fixed", 20), ("pooled", 20)]),
    ("segm_only", 2, ["segm", "bbox"], [("fixed", 10000), ("pooled", 7)]),
]


def all_cases():
    """(name, gt, dets, iou types, modes) with gt and dets as Python objects."""
    cases = micro()
    for profile, seed, ious, modes in GENERATED:
        gt, dt = gen_lvis.generate(seed, profile)
        cases.append(("%s_%d" % (profile, seed), gt, dt, ious, modes))
    return cases


def write_case(work, name, gt, dets):
    import json
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    gp, dp = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
    with open(gp, "w") as f:
        json.dump(gt, f)
    with open(dp, "w") as f:
        json.dump(dets, f)
    return gp, dp
