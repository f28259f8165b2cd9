#!/usr/bin/env python3
"""Micro test vectors of spec §11 (plus segm variants and the §1.4 quirk).

    micro.py                          check pycocotools against the spec values
    micro.py --out DIR [--list]       write DIR/<name>/{gt.json,dt.json,expected.json}
                                      (--list also prints one line per vector)
    micro.py --maskeval PATH --work DIR [--backend B ...] [--only NAME ...]
                                      write the vectors and check maskeval's
                                      --json stats against pycocotools with ==

expected.json = {"iou_type", "stats": [12 floats from pycocotools],
                 "maskeval_args": [evaluation options to append after
                 `maskeval coco --gt G --dt D --iou-type T`], "description"}.

Every vector uses one 100x100 image (id 1) and category 1 unless it says
otherwise; the GT area is w*h. The spec's numbers are asserted exactly (==)
against pycocotools before anything is written, so a changed reference is
caught here rather than blamed on maskeval.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_coco  # noqa: E402
import ref_coco  # noqa: E402

H = W = 100
ONE_EPS = 0.9999999999999998        # 1 / (1 + 2^-52): one TP among one detection
ONE_EPS_101 = 0.9999999999999999    # pairwise mean of 101 copies of ONE_EPS


# ----------------------------------------------------------------------------
# Building blocks
# ----------------------------------------------------------------------------

def box_mask(box):
    x, y, w, h = box
    return gen_coco.rect_mask(H, W, x, y, w, h)


def gt_file(anns, n_images=1, cat_ids=(1,), segm_rle=False):
    """GT dict; boxes are on the integer grid so polygon, RLE and box agree."""
    out = []
    for i, a in enumerate(anns):
        box = a["bbox"]
        x, y, w, h = box
        seg = (gen_coco.rle_compressed(box_mask(box)) if segm_rle
               else [[x, y, x, y + h, x + w, y + h, x + w, y]])
        out.append({"id": i + 1, "image_id": a.get("image_id", 1), "category_id": a.get("category_id", 1),
                    "bbox": list(box), "area": a.get("area", w * h), "iscrowd": a.get("iscrowd", 0),
                    "segmentation": seg})
    return {"images": [{"id": i + 1, "width": W, "height": H, "file_name": "%d.jpg" % (i + 1)}
                       for i in range(n_images)],
            "annotations": out,
            "categories": [{"id": c, "name": "cat%d" % c} for c in cat_ids]}


def dt_file(dets, mode="bbox"):
    """Results. mode bbox: bbox only; segm: RLE only (segm branch, mask area);
    segm+bbox: RLE plus bbox (bbox branch, box area)."""
    out = []
    for d in dets:
        r = {"image_id": d.get("image_id", 1), "category_id": d.get("category_id", 1)}
        if mode in ("bbox", "segm+bbox"):
            r["bbox"] = list(d["bbox"])
        if mode in ("segm", "segm+bbox"):
            mask = d["mask"] if "mask" in d else box_mask(d["bbox"])
            r["segmentation"] = gen_coco.rle_compressed(mask)
        r["score"] = d["score"]
        out.append(r)
    return out


def vec(description, gt, dt, expect, iou_type="bbox", args=(), same_as=None):
    """expect: {stat index: exact value}; same_as: a vector whose stats must match."""
    return {"description": description, "gt": gt, "dt": dt, "iou_type": iou_type,
            "maskeval_args": list(args), "expect": expect, "same_as": same_as}


# ----------------------------------------------------------------------------
# The vectors
# ----------------------------------------------------------------------------

def vectors():
    v = {}
    # V0: AP is the mean of 1010 copies of 1/(1+eps).
    g0 = [{"bbox": [10, 10, 30, 30]}]
    d0 = [{"bbox": [10, 10, 30, 30], "score": 0.9}]
    v["V0"] = vec("one GT, one perfect detection", gt_file(g0), dt_file(d0),
                  dict(enumerate([ONE_EPS, ONE_EPS_101, ONE_EPS_101, ONE_EPS, -1, -1,
                                  1.0, 1.0, 1.0, 1.0, -1, -1])))
    # V1: recall 0.35 does not reach recThrs[35] = 0.35000000000000003.
    g1 = [{"bbox": [20 * (i % 5) + 5, 25 * (i // 5) + 5, 10, 10]} for i in range(20)]
    d1 = [{"bbox": g1[i]["bbox"], "score": 0.9 - 0.05 * i} for i in range(7)]
    v["V1"] = vec("20 GTs, 7 perfect detections", gt_file(g1), dt_file(d1),
                  {0: 0.3465346534653465, 1: 0.3465346534653465, 2: 0.3465346534653465,
                   8: 0.35, 6: 0.05})
    # V2 / V2b: IoU exactly on a threshold matches (>=).
    g2 = [{"bbox": [0, 0, 10, 10]}]
    v["V2"] = vec("IoU exactly 0.5", gt_file(g2), dt_file([{"bbox": [0, 0, 10, 5], "score": 0.9}]),
                  {0: 0.09999999999999999, 1: ONE_EPS_101, 2: 0.0, 8: 0.1})
    g2b = [{"bbox": [0, 0, 20, 20]}]
    v["V2b"] = vec("IoU exactly 0.75", gt_file(g2b), dt_file([{"bbox": [0, 0, 20, 15], "score": 0.9}]),
                   {0: 0.5999999999999999, 1: ONE_EPS_101, 2: ONE_EPS_101})
    # V3: equal scores keep file order (stable sorts).
    g3 = [{"bbox": [0, 0, 10, 10]}, {"bbox": [50, 50, 10, 10]}]
    tp, fp = {"bbox": [0, 0, 10, 10], "score": 0.5}, {"bbox": [80, 0, 10, 10], "score": 0.5}
    v["V3a"] = vec("score tie, TP listed first", gt_file(g3), dt_file([tp, fp]),
                   {0: 0.5049504950495048, 6: 0.5})
    v["V3b"] = vec("score tie, FP listed first", gt_file(g3), dt_file([fp, tp]),
                   {0: 0.2524752475247525, 6: 0.0})
    # V4: a crowd absorbs the top detection, so AR@1 is 0.
    g4 = [{"bbox": [0, 0, 10, 10]}, {"bbox": [40, 40, 50, 50], "iscrowd": 1}]
    d4 = [{"bbox": [0, 0, 10, 10], "score": 0.9}, {"bbox": [45, 45, 10, 10], "score": 0.95},
          {"bbox": [60, 60, 10, 10], "score": 0.8}]
    v["V4"] = vec("crowd absorbs detections", gt_file(g4), dt_file(d4),
                  {0: ONE_EPS, 6: 0.0, 7: 1.0, 8: 1.0})
    # V5: area bounds are inclusive: 1024 is both small and medium.
    g5 = [{"bbox": [10, 10, 32, 32]}]
    v["V5"] = vec("GT area exactly 1024", gt_file(g5), dt_file([{"bbox": [10, 10, 32, 32], "score": 0.9}]),
                  {3: ONE_EPS, 4: ONE_EPS, 9: 1.0, 10: 1.0})
    # V6: detections on an image without GT are false positives.
    d6 = [{"bbox": [10, 10, 30, 30], "score": 0.9, "image_id": 2},
          {"bbox": [10, 10, 30, 30], "score": 0.8}]
    v["V6"] = vec("higher-scored detection on an image without GT", gt_file(g0, n_images=2), dt_file(d6),
                  {0: 0.5, 8: 1.0})
    # V7: a category without GT is excluded, its false positives are free.
    d7 = [{"bbox": [10, 10, 30, 30], "score": 0.9, "category_id": 2},
          {"bbox": [10, 10, 30, 30], "score": 0.8}]
    v["V7"] = vec("higher-scored detection in a category with no GT", gt_file(g0, cat_ids=(1, 2)),
                  dt_file(d7), {0: ONE_EPS})
    # V8: stats[0] is hard-wired to maxDets == 100.
    v["V8"] = vec("maxDets 1,10,300 (V1 data)", gt_file(g1), dt_file(d1),
                  {0: -1.0, 1: 0.3465346534653465, 2: 0.3465346534653465, 6: 0.05, 7: 0.35, 8: 0.35},
                  args=("--max-dets", "1,10,300"))
    # V9: boxes so large that the union is inf + inf - inf = NaN. A NaN IoU
    # passes pycocotools' `iou < best` test, so it matches (and a later NaN
    # GT in the scan takes the match over).
    g9 = [{"bbox": [0, 0, 1e200, 1e200], "area": 100.0}, {"bbox": [0, 0, 1e200, 1e200], "area": 50.0},
          {"bbox": [10, 10, 30, 30]}]
    d9 = [{"bbox": [0, 0, 1e200, 1e200], "score": 0.7}, {"bbox": [10, 10, 30, 30], "score": 0.9},
          {"bbox": [0, 0, 1e200, 1e200], "score": 0.95}, {"bbox": [12, 10, 30, 30], "score": 0.6}]
    v["V9"] = vec("NaN IoUs from overflowing boxes match", gt_file(g9), dt_file(d9), {})

    # segm variants: square masks as compressed RLE on both sides, results in
    # the segm branch (no bbox). Mask IoU equals box IoU here, so the stats
    # must equal the bbox vector's.
    for name, g, d in (("V0", g0, d0), ("V1", g1, d1), ("V2", g2, [{"bbox": [0, 0, 10, 5], "score": 0.9}]),
                       ("V3a", g3, [tp, fp]), ("V4", g4, d4), ("V5", g5, [{"bbox": [10, 10, 32, 32], "score": 0.9}])):
        v[name + "_segm"] = vec(v[name]["description"] + " (segm, RLE)", gt_file(g, segm_rle=True),
                                dt_file(d, "segm"), {}, iou_type="segm", same_as=name)

    # Spec §1.4 / cocoapi#36: segm results that carry bbox take the box area.
    # The false positive is an L-shaped mask of 176 px (small) whose tight box
    # [0,0,45,45] has area 2025 (medium): with bbox it is a medium FP and
    # halves APm, without bbox it is ignored in the medium range.
    gq = [{"bbox": [50, 50, 40, 40]}]
    lmask = np.zeros((H, W), dtype=bool)
    lmask[0:2, 0:45] = True
    lmask[0:45, 0:2] = True
    dq = [{"bbox": [0, 0, 45, 45], "mask": lmask, "score": 0.9},
          {"bbox": [50, 50, 40, 40], "score": 0.8}]
    v["Q14_segm_with_bbox"] = vec("segm results with bbox: area = box area (FP counts in medium)",
                                  gt_file(gq, segm_rle=True), dt_file(dq, "segm+bbox"),
                                  {0: 0.5, 4: 0.5}, iou_type="segm")
    v["Q14_segm_no_bbox"] = vec("same segm results without bbox: area = mask area (FP ignored in medium)",
                                gt_file(gq, segm_rle=True), dt_file(dq, "segm"),
                                {0: 0.5, 4: ONE_EPS}, iou_type="segm")
    return v


# ----------------------------------------------------------------------------

def pycocotools_stats(gt_path, dt_path, iou_type, args):
    ap = argparse.ArgumentParser()
    ref_coco.add_eval_options(ap)
    ev, _ = ref_coco.run(gt_path, dt_path, iou_type, ap.parse_args(args))
    return [float(s) for s in ev.stats]


def write_all(out_dir, only=None):
    """Write every vector, evaluate it with pycocotools and check the spec values.
    Returns ({name: expected dict}, [problems])."""
    vecs = vectors()
    results, problems = {}, []
    for name, v in vecs.items():
        if only and name not in only:
            continue
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        gt_path, dt_path = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
        with open(gt_path, "w") as f:
            f.write(gen_coco.dumps(v["gt"]))
        with open(dt_path, "w") as f:
            f.write(gen_coco.dumps(v["dt"]))
        stats = pycocotools_stats(gt_path, dt_path, v["iou_type"], v["maskeval_args"])
        for i, want in sorted(v["expect"].items()):
            if stats[i] != want:
                problems.append("%s: pycocotools stats[%d] = %r, spec says %r" % (name, i, stats[i], want))
        if v["same_as"] and v["same_as"] in results and stats != results[v["same_as"]]["stats"]:
            problems.append("%s: stats %r differ from %s %r" % (name, stats, v["same_as"],
                                                                results[v["same_as"]]["stats"]))
        exp = {"iou_type": v["iou_type"], "stats": stats, "maskeval_args": v["maskeval_args"],
               "description": v["description"]}
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(exp, f, indent=1)
            f.write("\n")
        results[name] = exp
    a, b = results.get("Q14_segm_with_bbox"), results.get("Q14_segm_no_bbox")
    if a and b and a["stats"][4] == b["stats"][4]:
        problems.append("Q14: APm does not depend on the presence of bbox")
    return results, problems


def run_maskeval(exe, d, exp, backend):
    out_json = os.path.join(d, "out-%s.json" % backend)
    if os.path.exists(out_json):
        os.remove(out_json)
    cmd = [exe] if not exe.endswith(".py") else [sys.executable, exe]
    cmd += ["coco", "--gt", os.path.join(d, "gt.json"), "--dt", os.path.join(d, "dt.json"),
            "--iou-type", exp["iou_type"], "--backend", backend, "--json", out_json] + exp["maskeval_args"]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=120)
    if proc.returncode != 0:
        return None, "exit %d: %s" % (proc.returncode, proc.stderr.strip()[-2000:])
    try:
        with open(out_json) as f:
            return json.load(f)["stats"], None
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, "unreadable %s: %s" % (out_json, e)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", help="write the vectors here")
    ap.add_argument("--list", action="store_true", help="print one line per vector")
    ap.add_argument("--maskeval", help="check this maskeval (needs --work)")
    ap.add_argument("--work", help="scratch directory for --maskeval")
    ap.add_argument("--backend", action="append", help="repeatable; default cpu")
    ap.add_argument("--only", action="append", help="run only this vector (repeatable)")
    args = ap.parse_args(argv)
    if args.maskeval and not args.work:
        ap.error("--maskeval needs --work")
    out_dir = args.work if args.maskeval else args.out
    if out_dir is None:
        out_dir = os.path.join(os.environ.get("TMPDIR", "/tmp"), "maskeval-micro-%d" % os.getpid())

    results, problems = write_all(out_dir, args.only)
    for p in problems:
        print("SPEC MISMATCH (pycocotools): " + p)
    if args.list or not args.maskeval:
        for name, exp in results.items():
            print("%-20s %-4s %-22s %s" % (name, exp["iou_type"], " ".join(exp["maskeval_args"]) or "-",
                                          exp["description"]))
    if problems:
        return 1
    if not args.maskeval:
        print("micro: %d vectors, pycocotools agrees with the spec (%s)" % (len(results), out_dir))
        return 0

    status = 0
    for backend in args.backend or ["cpu"]:
        bad = 0
        for name, exp in results.items():
            got, err = run_maskeval(args.maskeval, os.path.join(out_dir, name), exp, backend)
            if err:
                print("ERROR %s backend=%s: %s" % (name, backend, err))
                bad += 1
                continue
            diffs = [i for i in range(12) if not (i < len(got) and got[i] == exp["stats"][i])]
            if len(got) != 12 or diffs:
                bad += 1
                print("MISMATCH %s backend=%s (%s)" % (name, backend, exp["description"]))
                for i in diffs:
                    g = got[i] if i < len(got) else "<missing>"
                    print("  stats[%d]: pycocotools %r (%s), maskeval %r"
                          % (i, exp["stats"][i], float(exp["stats"][i]).hex(), g))
        print("micro backend=%s: %d/%d vectors identical" % (backend, len(results) - bad, len(results)))
        status = status or (1 if bad else 0)
    return status


if __name__ == "__main__":
    sys.exit(main())
