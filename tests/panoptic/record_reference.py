#!/usr/bin/env python3
"""Record reference PQ / Boundary PQ values for the maskeval panoptic fixtures.

    record_reference.py --panopticapi DIR --boundary-iou-api DIR --out tests/data/panoptic
                        [--shared-fixture DIR] [--only SET ...]

DIR are plain checkouts (outside this repository) of
  cocodataset/panopticapi        (tested at 7bb4655548f98f3fedc07bf37e9040a992b054b0)
  bowenc0221/boundary-iou-api    (tested at 37d25586a677b043ed585f10e5c42d4e80176ea9)
They are imported from there (sys.path); nothing of them is copied here.

For every set it (re)generates the inputs with gen_panoptic.py into OUT/<set>/,
runs
  panopticapi.evaluation.pq_compute                      (chunk counts 1, 2, 7)
  boundary_iou.coco_panoptic_api.evaluation.pq_compute   iou_type='boundary',
        dilation_ratio 0.02 and 0.005                    (chunk counts 1, 2, 7)
        and iou_type='segm' (must equal panopticapi bit for bit)
and writes OUT/<set>/expected.json (schema in tests/panoptic/REFERENCE.md).
It also builds OUT/errors/<case>/ (tiny invalid inputs) and records the
exception each one raises into OUT/errors/expected.json.

Harness patches (no reference file is edited):
  * multiprocessing.cpu_count is replaced by `lambda: K` while a run with K
    chunks is made (pq_compute_multi_core uses it for np.array_split and Pool).
  * multiprocessing.Pool is wrapped so the pools the reference creates (and
    never closes) are terminated after each run; results are unaffected.
  * <module>.pq_compute_multi_core is wrapped to keep the PQStat it returns,
    so the raw per-category (iou, tp, fp, fn) can be recorded (pq_compute
    itself only returns pq / sq / rq).
  No numpy / Python compatibility shim turned out to be necessary with
  Python 3.11, numpy 2.4, Pillow 12, OpenCV 4.x (see REFERENCE.md).
"""
import argparse
import contextlib
import copy
import hashlib
import io
import json
import math
import multiprocessing
import os
import random
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_panoptic  # noqa: E402

CHUNKS = (1, 2, 7)
RATIOS = (0.02, 0.005)

# name, profile, seed
SETS = [
    ("edge", "edge", 1),
    ("quirks", "quirks", 1),
    ("nostuff", "nostuff", 1),
    ("random_a", "random", 11),
    ("random_b", "random", 22),
    ("large", "large", 33),
]

_real_pool = multiprocessing.Pool
_pools = []


def _tracking_pool(*a, **k):
    p = _real_pool(*a, **k)
    _pools.append(p)
    return p


def _close_pools():
    while _pools:
        p = _pools.pop()
        p.terminate()
        p.join()


class Ref:
    def __init__(self, panopticapi_dir, biou_dir):
        sys.path.insert(0, os.path.abspath(biou_dir))
        sys.path.insert(0, os.path.abspath(panopticapi_dir))
        import numpy as np
        import cv2
        import PIL
        from panopticapi import evaluation as pan_eval
        from boundary_iou.coco_panoptic_api import evaluation as b_eval
        from boundary_iou.utils import mask_to_boundary
        self.np, self.pan, self.biou, self.mask_to_boundary = np, pan_eval, b_eval, mask_to_boundary
        self.versions = {
            "python": sys.version.split()[0], "numpy": np.__version__, "opencv": cv2.__version__,
            "pillow": PIL.__version__,
            "panopticapi": git_head(panopticapi_dir), "boundary_iou_api": git_head(biou_dir),
        }
        self.captured = None
        for mod in (pan_eval, b_eval):
            orig = mod.pq_compute_multi_core

            def wrapped(*a, _orig=orig, **k):
                st = _orig(*a, **k)
                self.captured = st
                return st
            mod.pq_compute_multi_core = wrapped
        multiprocessing.Pool = _tracking_pool

    def run(self, mod, setdir, chunks, **kw):
        """Run mod.pq_compute with `chunks` worker chunks. Returns a dict."""
        self.captured = None
        saved = multiprocessing.cpu_count
        multiprocessing.cpu_count = lambda: chunks
        buf = io.StringIO()
        err = None
        res = None
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
                res = mod.pq_compute(os.path.join(setdir, "gt.json"), os.path.join(setdir, "pred.json"), **kw)
        except Exception as e:  # noqa: BLE001
            err = "%s: %s" % (type(e).__name__, e)
            for pre in (os.path.abspath(setdir), os.path.normpath(setdir), setdir):
                err = err.replace(pre + os.sep, "<set>/")
        finally:
            multiprocessing.cpu_count = saved
            _close_pools()
        out = buf.getvalue().splitlines()
        with open(os.path.join(setdir, "gt.json")) as f:
            cats = json.load(f)["categories"]
        catd = {c["id"]: c for c in cats}
        st = self.captured
        rec = {"error": err}
        if st is None:
            return rec
        rec["per_category"] = {str(c["id"]): stat_dict(st.pq_per_cat[c["id"]]) if c["id"] in st.pq_per_cat
                               else {"iou": 0.0, "tp": 0, "fp": 0, "fn": 0} for c in cats}
        unl = {str(k): stat_dict(v) for k, v in st.pq_per_cat.items() if k not in catd}
        if unl:
            rec["per_category_unlisted"] = unl
        if res is not None:
            groups = {g: res[g] for g in ("All", "Things", "Stuff")}
            per_class = res["per_class"]
        else:
            groups = {}
            per_class = None
            for g, isthing in (("All", None), ("Things", True), ("Stuff", False)):
                try:
                    r, pc = st.pq_average(catd, isthing=isthing)
                    groups[g] = r
                except Exception as e:  # noqa: BLE001
                    groups[g] = {"error": "%s: %s" % (type(e).__name__, e)}
                    pc = None
                if g == "All" and pc is not None:
                    per_class = pc
        for g, r in groups.items():
            rec[g] = {k: pyval(v) for k, v in r.items()}
        if per_class is not None:
            rec["per_class"] = {str(k): {m: pyval(v) for m, v in d.items()} for k, d in per_class.items()}
        rec["printed_cores_line"] = next((l for l in out if l.startswith("Number of cores")), None)
        i = next((j for j, l in enumerate(out) if l.startswith("          | ")), None)
        rec["printed_table"] = out[i:i + 5] if i is not None else None
        return rec

    def per_image(self, mod, setdir, **kw):
        """Per-image stats: pq_compute_single_core on one (gt, pred) pair at a time."""
        with open(os.path.join(setdir, "gt.json")) as f:
            gt = json.load(f)
        with open(os.path.join(setdir, "pred.json")) as f:
            pred = json.load(f)
        cats = {c["id"]: c for c in gt["categories"]}
        pa = {a["image_id"]: a for a in pred["annotations"]}
        out = {}
        for ga in gt["annotations"]:
            pair = [(copy.deepcopy(ga), copy.deepcopy(pa[ga["image_id"]]))]
            with contextlib.redirect_stdout(io.StringIO()):
                st = mod.pq_compute_single_core(0, pair, os.path.join(setdir, "gt"), os.path.join(setdir, "pred"),
                                                cats, **kw)
            out[str(ga["image_id"])] = {str(k): stat_dict(v) for k, v in sorted(st.pq_per_cat.items())}
        return out


def git_head(d):
    try:
        return subprocess.check_output(["git", "-C", d, "rev-parse", "HEAD"], stderr=subprocess.DEVNULL,
                                       text=True).strip()
    except Exception:  # noqa: BLE001
        return KNOWN_COMMITS.get(os.path.basename(os.path.normpath(d)), "unknown (not a git checkout)")


KNOWN_COMMITS = {}


def pyval(v):
    """numpy scalars -> Python (json.dumps then writes repr-precision floats)."""
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return v


def stat_dict(s):
    return {"iou": pyval(float(s.iou)), "tp": int(s.tp), "fp": int(s.fp), "fn": int(s.fn)}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def input_hashes(setdir):
    h = {}
    for root, _dirs, files in os.walk(setdir):
        for fn in sorted(files):
            p = os.path.join(root, fn)
            rel = os.path.relpath(p, setdir).replace(os.sep, "/")
            if rel != "expected.json":
                h[rel] = sha256(p)
    return dict(sorted(h.items()))


def chunk_sizes(n, k):
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def dilation_table(ref, setdir):
    import numpy as np
    with open(os.path.join(setdir, "gt.json")) as f:
        gt = json.load(f)
    out = {}
    for r in RATIOS:
        d = {}
        for ann in gt["annotations"]:
            from PIL import Image
            w, h = Image.open(os.path.join(setdir, "gt", ann["file_name"])).size
            key = "%dx%d" % (h, w)
            if key not in d:
                d[key] = int(round(r * np.sqrt(h ** 2 + w ** 2)))
                d[key] = max(d[key], 1)
        out[str(r)] = d
    return out


def strip_printed(rec):
    return {k: v for k, v in rec.items() if not k.startswith("printed")}


def record_set(ref, setdir, meta):
    with open(os.path.join(setdir, "gt.json")) as f:
        gt = json.load(f)
    n = len(gt["annotations"])
    exp = dict(meta)
    exp["reference"] = ref.versions
    exp["inputs_sha256"] = input_hashes(setdir)
    exp["num_images"] = n
    exp["image_order"] = [a["image_id"] for a in gt["annotations"]]
    exp["categories"] = [{"id": c["id"], "isthing": c["isthing"]} for c in gt["categories"]]
    exp["chunk_sizes"] = {str(k): chunk_sizes(n, k) for k in CHUNKS}
    exp["pq"] = {}
    for k in CHUNKS:
        exp["pq"]["chunks_%d" % k] = ref.run(ref.pan, setdir, k)
    same = all(strip_printed(exp["pq"]["chunks_%d" % k]) == strip_printed(exp["pq"]["chunks_1"]) for k in CHUNKS)
    exp["pq_identical_across_chunks"] = same
    # boundary-iou-api with iou_type='segm' must reproduce panopticapi exactly
    segm_ok = True
    for k in CHUNKS:
        b = ref.run(ref.biou, setdir, k, iou_type="segm")
        segm_ok &= strip_printed(b) == strip_printed(exp["pq"]["chunks_%d" % k])
    exp["boundary_iou_api_segm_equals_panopticapi"] = segm_ok
    exp["boundary_pq"] = {}
    exp["dilation_px"] = dilation_table(ref, setdir)
    for r in RATIOS:
        exp["boundary_pq"][str(r)] = {}
        for k in CHUNKS:
            rec = ref.run(ref.biou, setdir, k, iou_type="boundary", dilation_ratio=r)
            exp["boundary_pq"][str(r)]["chunks_%d" % k] = rec if k == 1 else strip_printed(rec)
    exp["per_image"] = {"pq": ref.per_image(ref.pan, setdir)}
    for r in RATIOS:
        exp["per_image"]["boundary_pq_%s" % r] = ref.per_image(ref.biou, setdir, iou_type="boundary",
                                                               dilation_ratio=r)
    with open(os.path.join(setdir, "expected.json"), "w") as f:
        json.dump(exp, f, indent=1)
        f.write("\n")
    return exp


# ----------------------------------------------------------------------------
# error cases

def build_error_cases(root):
    import numpy as np
    W = gen_panoptic.SetWriter
    cats = [gen_panoptic.cat(1, "person", True), gen_panoptic.cat(10, "sky", False)]
    cases = {}

    def base(name):
        d = os.path.join(root, name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        return W(d, cats)

    def simple(name, desc, gt, gsegs, pr, psegs, **kw):
        # every case also holds one matching 1-pixel person (ids 6 / 16) so that
        # neither Things nor Stuff is empty
        gsegs = gsegs + [{"id": 6, "category_id": 1}] if (gt == 6).any() else gsegs
        psegs = psegs + [{"id": 16, "category_id": 1}] if (pr == 16).any() else psegs
        w = base(name)
        w.add(1, "img", gt, gsegs, pr, psegs)
        w.finish(random.Random(0), shuffle_pred=False)
        cases[name] = {"description": desc}
        return w

    def mk(v):
        a = np.full((4, 5), v, np.uint32)
        a[3, 4] = 6 if v == 7 else 16
        return a
    g = mk(7)
    p = mk(8)
    p[0, 0] = 9
    simple("png_id_not_in_json", "prediction PNG holds id 9 that pred segments_info lacks",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    p = mk(8)
    simple("json_id_not_in_png", "pred segments_info lists id 9 that the PNG lacks",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}, {"id": 9, "category_id": 1}])
    simple("unknown_pred_category", "pred segment category 5 is not in GT categories",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 5}])
    w = base("missing_prediction")
    gs, ps = [{"id": 7, "category_id": 10}, {"id": 6, "category_id": 1}], [{"id": 8, "category_id": 10},
                                                                            {"id": 16, "category_id": 1}]
    w.add(1, "img", g, gs, p, ps)
    w.add(2, "img2", g, gs, p, ps)
    w.pred_anns = w.pred_anns[:1]
    w.finish(random.Random(0), shuffle_pred=False)
    cases["missing_prediction"] = {"description": "GT image_id 2 has no prediction annotation"}
    # size mismatch: write the pred PNG by hand at another size
    w = simple("size_mismatch", "prediction PNG is 4x6, GT PNG 4x5",
               g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    gen_panoptic.write_png(os.path.join(root, "size_mismatch", "pred", "img.png"), np.pad(p, ((0, 0), (0, 1)), mode="edge"))
    w = simple("gray_png", "prediction PNG is 8-bit grayscale (mode L) instead of RGB",
               g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    from PIL import Image
    Image.fromarray(p.astype(np.uint8), mode="L").save(os.path.join(root, "gray_png", "pred", "img.png"))
    w = simple("rgba_png", "prediction PNG is RGBA (alpha 0): alpha is ignored, NOT an error",
               g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    a = np.zeros((4, 5, 4), np.uint8); a[..., :3] = gen_panoptic.id2rgb(p)
    Image.fromarray(a, mode="RGBA").save(os.path.join(root, "rgba_png", "pred", "img.png"))
    simple("zero_union", "GT JSON area 0 for a GT fully covered by an equal prediction: union = 0 -> numpy "
           "int64 division gives inf (RuntimeWarning), counted as TP with iou inf; NOT an error",
           g, [{"id": 7, "category_id": 10, "area": 0}], p, [{"id": 8, "category_id": 10}])
    simple("missing_iscrowd", "GT segment without `iscrowd`",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    with open(os.path.join(root, "missing_iscrowd", "gt.json")) as f:
        j = json.load(f)
    del j["annotations"][0]["segments_info"][0]["iscrowd"]
    with open(os.path.join(root, "missing_iscrowd", "gt.json"), "w") as f:
        json.dump(j, f, indent=1)
    simple("missing_area", "GT segment without `area` (only read when a pair is evaluated)",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    with open(os.path.join(root, "missing_area", "gt.json")) as f:
        j = json.load(f)
    del j["annotations"][0]["segments_info"][0]["area"]
    with open(os.path.join(root, "missing_area", "gt.json"), "w") as f:
        json.dump(j, f, indent=1)
    w = simple("empty_gt", "GT has no annotations: every group average divides by zero",
               g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    with open(os.path.join(root, "empty_gt", "gt.json")) as f:
        j = json.load(f)
    j["annotations"] = []
    with open(os.path.join(root, "empty_gt", "gt.json"), "w") as f:
        json.dump(j, f, indent=1)
    simple("missing_pred_png", "prediction PNG file does not exist",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    os.remove(os.path.join(root, "missing_pred_png", "pred", "img.png"))
    simple("missing_gt_folder", "GT PNG folder (gt.json without .json) does not exist",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    shutil.rmtree(os.path.join(root, "missing_gt_folder", "gt"))
    simple("duplicate_pred_image", "two prediction annotations for image 1: the LAST one in pred.json wins "
           "(the first references a missing PNG and is never read); NOT an error",
           g, [{"id": 7, "category_id": 10}], p, [{"id": 8, "category_id": 10}])
    with open(os.path.join(root, "duplicate_pred_image", "pred.json")) as f:
        j = json.load(f)
    j["annotations"].insert(0, {"image_id": 1, "file_name": "nope.png", "segments_info": []})
    with open(os.path.join(root, "duplicate_pred_image", "pred.json"), "w") as f:
        json.dump(j, f, indent=1)
    return cases


def record_errors(ref, root):
    cases = build_error_cases(root)
    for name, c in cases.items():
        d = os.path.join(root, name)
        c["inputs_sha256"] = input_hashes(d)
        for label, mod, kw in (("pq", ref.pan, {}),
                               ("boundary_pq_0.02", ref.biou, {"iou_type": "boundary", "dilation_ratio": 0.02})):
            # (numpy RuntimeWarnings are raised in the worker processes and are not recorded)
            rec = ref.run(mod, d, 1, **kw)
            rec.pop("printed_cores_line", None)
            c[label] = rec
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump({"reference": ref.versions, "cases": cases}, f, indent=1)
        f.write("\n")
    return cases


# ----------------------------------------------------------------------------
# shared fixture

def convert_shared_expected(sp):
    """The spec's expected values for the shared fixture, in our schema."""
    pq = {"per_category": sp["per_category_stats"], "All": sp["All"], "Things": sp["Things"],
          "Stuff": sp["Stuff"],
          "per_class": {k: {"pq": v[0], "sq": v[1], "rq": v[2]} for k, v in sp["per_class"].items()}}
    b = sp["boundary_pq_dilation_ratio_0.02"]
    bpq = {"per_category": b["per_category_stats"], "All": b["All"], "Things": b["Things"], "Stuff": b["Stuff"]}
    return pq, bpq


def check_shared(exp, spec_expected):
    pq, bpq = convert_shared_expected(spec_expected)
    problems = []
    got = exp["pq"]["chunks_1"]
    for key in ("All", "Things", "Stuff"):
        for m, v in pq[key].items():
            if got[key][m] != v:
                problems.append("pq %s.%s: got %r, spec %r" % (key, m, got[key][m], v))
    for c, v in pq["per_category"].items():
        for m in ("iou", "tp", "fp", "fn"):
            if got["per_category"][c][m] != v[m]:
                problems.append("pq cat %s.%s: got %r spec %r" % (c, m, got["per_category"][c][m], v[m]))
    for c, v in pq["per_class"].items():
        for m in ("pq", "sq", "rq"):
            if got["per_class"][c][m] != v[m]:
                problems.append("per_class %s.%s: got %r spec %r" % (c, m, got["per_class"][c][m], v[m]))
    gb = exp["boundary_pq"]["0.02"]["chunks_1"]
    for key in ("All", "Things", "Stuff"):
        for m, v in bpq[key].items():
            if gb[key][m] != v:
                problems.append("bpq %s.%s: got %r, spec %r" % (key, m, gb[key][m], v))
    for c, v in bpq["per_category"].items():
        for m in ("iou", "tp", "fp", "fn"):
            if gb["per_category"][c][m] != v[m]:
                problems.append("bpq cat %s.%s: got %r spec %r" % (c, m, gb["per_category"][c][m], v[m]))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--panopticapi", required=True)
    ap.add_argument("--boundary-iou-api", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shared-fixture", default="/work/shared/fixtures/segmetrics/panoptic",
                    help="dir with gt.json/pred.json/gt/pred of the spec's fixture (its expected.json one level up)")
    ap.add_argument("--only", nargs="*", help="record only these sets (names, 'shared_fixture', 'errors')")
    ap.add_argument("--panopticapi-commit", help="commit to record when DIR is not a git checkout")
    ap.add_argument("--boundary-iou-api-commit", help="commit to record when DIR is not a git checkout")
    a = ap.parse_args()
    if a.panopticapi_commit:
        KNOWN_COMMITS[os.path.basename(os.path.normpath(a.panopticapi))] = a.panopticapi_commit
    if a.boundary_iou_api_commit:
        KNOWN_COMMITS[os.path.basename(os.path.normpath(a.boundary_iou_api))] = a.boundary_iou_api_commit
    ref = Ref(a.panopticapi, a.boundary_iou_api)
    os.makedirs(a.out, exist_ok=True)
    want = set(a.only) if a.only else None
    summary = {}
    for name, profile, seed in SETS:
        if want and name not in want:
            continue
        d = os.path.join(a.out, name)
        if os.path.isdir(d):
            shutil.rmtree(d)
        gen_panoptic.PROFILES[profile](d, random.Random(seed))
        meta = {"set": name, "profile": profile, "seed": seed,
                "generator": "tests/panoptic/gen_panoptic.py --seed %d --profile %s --out DIR" % (seed, profile)}
        exp = record_set(ref, d, meta)
        summary[name] = exp
        print("%-14s images %3d  PQ(1) %s  same-across-chunks %s  segm==panopticapi %s" % (
            name, exp["num_images"], exp["pq"]["chunks_1"].get("All"), exp["pq_identical_across_chunks"],
            exp["boundary_iou_api_segm_equals_panopticapi"]))
    if not want or "shared_fixture" in want:
        d = os.path.join(a.out, "shared_fixture")
        if os.path.isdir(d):
            shutil.rmtree(d)
        shutil.copytree(a.shared_fixture, d)
        meta = {"set": "shared_fixture", "profile": None, "seed": None,
                "generator": "copy of /work/shared/fixtures/segmetrics/panoptic (spec section 6.2.5)"}
        exp = record_set(ref, d, meta)
        with open(os.path.join(os.path.dirname(os.path.normpath(a.shared_fixture)), "expected.json")) as f:
            spec = json.load(f)["panoptic"]
        probs = check_shared(exp, spec)
        exp["spec_check"] = {"matches_spec_expected_json": not probs, "problems": probs}
        with open(os.path.join(d, "expected.json"), "w") as f:
            json.dump(exp, f, indent=1)
            f.write("\n")
        print("shared_fixture spec check:", "OK" if not probs else probs)
    if not want or "errors" in want:
        cases = record_errors(ref, os.path.join(a.out, "errors"))
        for n_, c in cases.items():
            print("errors/%-22s pq: %s" % (n_, c["pq"]["error"]))


if __name__ == "__main__":
    main()
