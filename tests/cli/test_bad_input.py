#!/usr/bin/env python3
"""The CLI contract of `maskeval coco` on bad input: exit status 1 (bad input)
or 2 (usage), one error line naming the file and the element, never a crash
or a hang, and never a partial or clobbered output file.

Needs only the standard library.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

IMG = {"id": 7, "height": 4, "width": 5}
CATS = [{"id": 1, "name": "a"}]
ANN = {"id": 3, "image_id": 7, "category_id": 1, "iscrowd": 0, "area": 4,
       "bbox": [0, 0, 2, 2], "segmentation": [[0, 0, 2, 0, 2, 2, 0, 2]]}
RES = {"image_id": 7, "category_id": 1, "score": 0.9,
       "segmentation": {"size": [4, 5], "counts": "d0"}}


def gt_with(**changes):
    ann = dict(ANN)
    for k, v in changes.items():
        if v is None:
            ann.pop(k, None)
        else:
            ann[k] = v
    return json.dumps({"images": [IMG], "categories": CATS, "annotations": [ann]})


def dt_with(*results):
    return json.dumps(list(results))


def res(**changes):
    r = dict(RES)
    for k, v in changes.items():
        if v is None:
            r.pop(k, None)
        else:
            r[k] = v
    return r


GOOD_GT = gt_with()
GOOD_DT = dt_with(res())

# (name, gt text, dt text, iou type, expected exit, substrings of stderr)
CASES = [
    ("truncated gt", GOOD_GT[: len(GOOD_GT) // 2], GOOD_DT, "segm", 1, ["gt.json", "invalid JSON", "truncated"]),
    ("truncated results", GOOD_GT, GOOD_DT[:-3], "segm", 1, ["dt.json", "invalid JSON"]),
    ("malformed gt", "{\"images\": [}", GOOD_DT, "segm", 1, ["gt.json", "line 1"]),
    # members maskeval does not use must still be valid JSON (json.load checks them)
    ("invalid unused gt member", GOOD_GT[:-1] + ', "licenses": [1 2 {"x" "y"}]}', GOOD_DT, "segm", 1,
     ["gt.json", "invalid JSON"]),
    # top-level keys are JSON strings too: raw control characters and bad escapes are errors
    ("control character in a gt key", '{"images": [], "categories": [], "a\x01b": 1}', GOOD_DT, "segm", 1,
     ["gt.json", "invalid JSON", "byte 35"]),
    ("bad escape in a gt key", '{"images": [], "categories": [], "\\u12": 1}', GOOD_DT, "segm", 1,
     ["gt.json", "invalid JSON"]),
    ("invalid shadowed gt member", '{"images": [1 2], ' + GOOD_GT[1:], GOOD_DT, "segm", 1,
     ["gt.json", "invalid JSON"]),
    ("empty results file", GOOD_GT, "", "segm", 1, ["dt.json", "empty file"]),
    ("gt wrong type", json.dumps({"images": {}, "categories": CATS}), GOOD_DT, "segm", 1, ["gt.json: images: expected an array"]),
    ("image without height", json.dumps({"images": [{"id": 7, "width": 5}], "categories": CATS}), GOOD_DT, "segm", 1, ["gt.json: images[0] (id 7): missing height"]),
    # bbox reads no image size (parity_nosize_*); segm rasterizes at it
    ("image without width", json.dumps({"images": [{"id": 7, "height": 4}], "categories": CATS}), GOOD_DT, "segm", 1, ["gt.json: images[0] (id 7): missing width (masks are rasterized at their image's size; --iou-type bbox does not need it)"]),
    ("annotation missing iscrowd", gt_with(iscrowd=None), GOOD_DT, "segm", 1, ["gt.json: annotations[0] (id 3): iscrowd"]),
    ("annotation missing area", gt_with(area=None), GOOD_DT, "segm", 1, ["annotations[0] (id 3): area"]),
    ("annotation missing id", gt_with(id=None), GOOD_DT, "segm", 1, ["annotations[0]: id"]),
    ("annotation id string", gt_with(id="3"), GOOD_DT, "segm", 1, ["annotations[0]: id: expected an integer, got string"]),
    ("annotation missing bbox (bbox mode)", gt_with(bbox=None), GOOD_DT, "bbox", 1, ["annotations[0] (id 3): bbox"]),
    ("annotation missing segmentation", gt_with(segmentation=None), GOOD_DT, "segm", 1, ["annotations[0] (id 3): segmentation: missing"]),
    ("polygon with 2 points", gt_with(segmentation=[[0, 0, 2, 2]]), GOOD_DT, "segm", 1, ["segmentation[0]: polygon has 4 coordinates"]),
    ("polygon odd coordinates", gt_with(segmentation=[[0, 0, 2, 0, 2, 2, 1]]), GOOD_DT, "segm", 1, ["segmentation[0]: odd number of coordinates (7)"]),
    ("invalid RLE character (gt)", gt_with(segmentation={"size": [4, 5], "counts": "d~"}), GOOD_DT, "segm", 1, ["gt.json: annotations[0] (id 3): segmentation.counts: invalid character '~'"]),
    ("RLE counts do not sum", gt_with(segmentation={"size": [4, 5], "counts": [3, 4]}), GOOD_DT, "segm", 1, ["add up to 7, not height*width = 20"]),
    ("RLE negative count", gt_with(segmentation={"size": [4, 5], "counts": [25, -5]}), GOOD_DT, "segm", 1, ["segmentation.counts[1]"]),
    ("RLE negative delta", gt_with(segmentation={"size": [4, 5], "counts": "111M"}), GOOD_DT, "segm", 1, ["negative count"]),
    ("mask of another size (gt)", gt_with(segmentation={"size": [5, 4], "counts": "d0"}), GOOD_DT, "segm", 1, ["mask is 5x4 but its image is 4x5"]),
    ("mask of another size (results)", GOOD_GT, dt_with(res(segmentation={"size": [2, 10], "counts": "d0"})), "segm", 1, ["dt.json: result 0: segmentation.size: mask is 2x10"]),
    ("invalid RLE character (results)", GOOD_GT, dt_with(res(), res(segmentation={"size": [4, 5], "counts": "5x"})), "segm", 1, ["dt.json: result 1: segmentation.counts: invalid character 'x'"]),
    ("results on unknown image", GOOD_GT, dt_with(res(image_id=99)), "segm", 1, ["dt.json: result 0: image_id 99 is not an image"]),
    ("score string", GOOD_GT, dt_with(res(score="0.5")), "segm", 1, ["dt.json: result 0: score: expected a finite number, got string"]),
    ("score missing", GOOD_GT, dt_with(res(score=None)), "segm", 1, ["dt.json: result 0: score"]),
    ("score NaN literal", GOOD_GT, '[{"image_id": 7, "category_id": 1, "score": NaN, "bbox": [0,0,1,1]}]', "bbox", 1, ["dt.json: result 0: score is NaN, which is not valid JSON"]),
    ("score overflowing to inf", GOOD_GT, '[{"image_id": 7, "category_id": 1, "score": 1e400, "bbox": [0,0,1,1]}]', "bbox", 1, ["dt.json: result 0: score: expected a finite number"]),
    ("box non-numeric", GOOD_GT, dt_with({"image_id": 7, "category_id": 1, "score": 1, "bbox": [0, 0, "1", 1]}), "bbox", 1, ["dt.json: result 0: bbox"]),
    ("box infinite", GOOD_GT, '[{"image_id": 7, "category_id": 1, "score": 1, "bbox": [0, 0, 1e999, 1]}]', "bbox", 1, ["dt.json: result 0: bbox"]),
    ("results not an array", GOOD_GT, "{}", "segm", 1, ["dt.json: expected a JSON array"]),
    ("missing gt file", None, GOOD_DT, "segm", 1, ["nope.json: cannot open"]),
    # usage errors
    ("no iou type", GOOD_GT, GOOD_DT, None, 2, ["--iou-type"]),
    ("bad iou type", GOOD_GT, GOOD_DT, "keypoints", 2, ["--iou-type must be segm, boundary or bbox"]),
    ("two maxDets", GOOD_GT, GOOD_DT, "segm --max-dets 1,10", 2, ["--max-dets"]),
    ("bad backend", GOOD_GT, GOOD_DT, "segm --backend cuda", 2, ["--backend"]),
    ("unknown option", GOOD_GT, GOOD_DT, "segm --frobnicate 3", 2, ["unknown option --frobnicate"]),
]


def run_case(maskeval, work, case):
    name, gt, dt, iou, want_rc, needles = case
    d = os.path.join(work, "".join(c if c.isalnum() else "_" for c in name))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    gt_path = os.path.join(d, "gt.json") if gt is not None else os.path.join(d, "nope.json")
    if gt is not None:
        open(gt_path, "w").write(gt)
    dt_path = os.path.join(d, "dt.json")
    open(dt_path, "w").write(dt)
    out = os.path.join(d, "out.json")
    open(out, "w").write("previous contents\n")
    arrays = os.path.join(d, "arrays")
    cmd = [maskeval, "coco", "--gt", gt_path, "--dt", dt_path, "--json", out, "--dump-arrays", arrays]
    if iou is not None:
        cmd += ["--iou-type"] + iou.split()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        return f"{name}: hung (30 s)"
    problems = []
    if p.returncode != want_rc:
        problems.append(f"exit {p.returncode}, want {want_rc}")
    if p.returncode < 0:
        problems.append(f"killed by signal {-p.returncode}")
    for n in needles:
        if n not in p.stderr:
            problems.append(f"stderr lacks {n!r}")
    if want_rc == 1 and len(p.stderr.strip().splitlines()) != 1:
        problems.append("want exactly one error line")
    if p.stdout:
        problems.append("printed results to stdout")
    if open(out).read() != "previous contents\n":
        problems.append("clobbered the --json file")
    leftovers = [f for f in os.listdir(d) if ".tmp." in f]
    if leftovers:
        problems.append(f"left temporary files {leftovers}")
    if os.path.exists(arrays) and os.listdir(arrays):
        problems.append("wrote arrays")
    if problems:
        return f"{name}: " + "; ".join(problems) + f"\n    stderr: {p.stderr.strip()}"
    return None


def run_good(maskeval, work):
    """A good run writes complete files and leaves nothing temporary behind."""
    d = os.path.join(work, "good")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    open(os.path.join(d, "gt.json"), "w").write(GOOD_GT)
    open(os.path.join(d, "dt.json"), "w").write(GOOD_DT)
    out = os.path.join(d, "out.json")
    p = subprocess.run([maskeval, "coco", "--gt", os.path.join(d, "gt.json"), "--dt", os.path.join(d, "dt.json"),
                        "--iou-type", "segm", "--json", out, "--dump-arrays", os.path.join(d, "arrays")],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        return f"good run: exit {p.returncode}: {p.stderr}"
    res = json.load(open(out))
    if len(res["stats"]) != 12 or res["counts"] != {"images": 1, "gt": 1, "dt": 1}:
        return f"good run: unexpected output {res}"
    if sorted(os.listdir(os.path.join(d, "arrays"))) != ["arrays.json", "precision.f64", "recall.f64", "scores.f64"]:
        return "good run: arrays directory incomplete"
    if [f for f in os.listdir(d) if ".tmp." in f]:
        return "good run: left temporary files"
    p2 = subprocess.run([maskeval, "coco", "--help"], capture_output=True, text=True)
    p3 = subprocess.run([maskeval, "--version"], capture_output=True, text=True)
    if p2.returncode != 0 or "usage" not in p2.stdout or p3.returncode != 0:
        return "--help / --version failed"
    return None


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    failures = [f for f in (run_case(args.maskeval, args.work, c) for c in CASES) if f]
    g = run_good(args.maskeval, args.work)
    if g:
        failures.append(g)
    for f in failures:
        print("FAIL", f)
    print(f"{len(CASES) + 1 - len(failures)}/{len(CASES) + 1} CLI contract cases pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
