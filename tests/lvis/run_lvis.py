#!/usr/bin/env python3
"""maskeval lvis against lvis-api, bit for bit.

    run_lvis.py --maskeval BIN --work DIR --seed N [--profile P] [--max-dets N]
                [--backend B ...] [--shards 1,3] [--legacy-python PY]
    run_lvis.py --maskeval BIN --work DIR --micro [--backend B ...]

The reference is lvis 0.5.3 from PyPI, which is lvis-api master except for
one `np.float` (master: `float`) and use_cats = 0 (spec lvis.md 0): the
harness sets `np.float = float` before importing it, and imports its three
modules without the package __init__ (which pulls in OpenCV and matplotlib
for visualisation only). It runs in a subprocess of the given interpreter,
LVISResults(gt, dt, max_dets=N) and LVISEval with params.max_dets = N.

Compared with ==: the 13 results (and their key names), the 13 lines
print_results() prints (character for character), the precision array
[T, R, K, A] and the recall array [T, K, A] byte for byte (--dump-arrays),
for every backend, and for sharded runs merged with `maskeval merge`. With
--legacy-python (a venv with numpy < 2.3) the same set is also checked
against lvis-api on that numpy with `--numpy-compat legacy`.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_lvis  # noqa: E402

REFERENCE = r"""
import importlib.util, json, sys, types
import numpy as np
if not hasattr(np, "float"):
    np.float = float  # lvis 0.5.3's only difference from master in this path
spec = importlib.util.find_spec("lvis")
pkg = types.ModuleType("lvis")
pkg.__path__ = list(spec.submodule_search_locations)
sys.modules["lvis"] = pkg
import logging
logging.disable(logging.CRITICAL)
from lvis.lvis import LVIS
from lvis.results import LVISResults
from lvis.eval import LVISEval
gt_path, dt_path, iou, max_dets, out = sys.argv[1:6]
max_dets = int(max_dets)
gt = LVIS(gt_path)
dt = LVISResults(gt, dt_path, max_dets=max_dets)
E = LVISEval(gt, dt, iou)
E.params.max_dets = max_dets
E.run()
res = E.get_results()
import contextlib, io
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    E.print_results()
np.save(out + ".precision.npy", E.eval["precision"])
np.save(out + ".recall.npy", E.eval["recall"])
with open(out, "w") as f:
    json.dump({"numpy": np.__version__, "keys": list(res.keys()), "printed": buf.getvalue(),
               "values": [float(v) for v in res.values()]}, f)
"""


def reference(python, gt, dt, iou, max_dets, out):
    p = subprocess.run([python, "-c", REFERENCE, gt, dt, iou, str(max_dets), out],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("lvis-api failed: " + p.stderr[-3000:])
    with open(out) as f:
        ref = json.load(f)
    ref["precision"] = np.load(out + ".precision.npy")
    ref["recall"] = np.load(out + ".recall.npy")
    return ref


def run(args, argv, rc=0):
    p = subprocess.run([args.maskeval] + argv, capture_output=True, text=True)
    if rc is not None and p.returncode != rc:
        raise RuntimeError("maskeval %s: exit %d: %s" % (" ".join(argv), p.returncode, p.stderr))
    return p


def load_mine(d):
    with open(os.path.join(d, "arrays.json")) as f:
        meta = json.load(f)
    shape = meta["precision"]["shape"]
    prec = np.fromfile(os.path.join(d, "precision.f64"), dtype="<f8").reshape(shape)
    rec = np.fromfile(os.path.join(d, "recall.f64"), dtype="<f8").reshape(meta["recall"]["shape"])
    return meta, prec, rec


def compare(label, mine_json, arrays_dir, ref):
    bad = []
    keys, vals = list(mine_json["results"].keys()), list(mine_json["results"].values())
    if keys != ref["keys"]:
        bad.append("keys %r != %r" % (keys, ref["keys"]))
    for k, a, b in zip(keys, vals, ref["values"]):
        if a != b:
            bad.append("%s %r != %r" % (k, a, b))
    meta, prec, rec = load_mine(arrays_dir)
    if list(meta["results"].values()) != vals:
        bad.append("arrays.json results differ from --json")
    rp, rr = ref["precision"], ref["recall"]
    if prec.shape[:4] != rp.shape or prec.shape[4] != 1:
        bad.append("precision shape %r vs %r" % (prec.shape, rp.shape))
    elif prec[..., 0].tobytes() != np.ascontiguousarray(rp).tobytes():
        n = int((prec[..., 0] != rp).sum())
        bad.append("precision differs in %d entries" % n)
    if rec.shape[:3] != rr.shape:
        bad.append("recall shape %r vs %r" % (rec.shape, rr.shape))
    elif rec[..., 0].tobytes() != np.ascontiguousarray(rr).tobytes():
        bad.append("recall differs")
    for b in bad:
        print("FAIL %s: %s" % (label, b))
    return not bad


def check(args, name, gt, dt, iou, max_dets, legacy=None):
    """Every backend and shard count against one reference run."""
    d = os.path.join(args.work, name, iou)
    os.makedirs(d, exist_ok=True)
    ok = True
    ref = reference(sys.executable, gt, dt, iou, max_dets, os.path.join(d, "ref.json"))
    base = ["lvis", "--gt", gt, "--dt", dt, "--iou-type", iou, "--max-dets", str(max_dets),
            "--quiet"]
    for backend in args.backend:
        for shards in args.shards:
            label = "%s %s %s shards=%d" % (name, iou, backend, shards)
            out = os.path.join(d, "%s_%d" % (backend, shards))
            if shards == 1:
                p = run(args, base + ["--backend", backend, "--json", out + ".json",
                                      "--dump-arrays", out])
                if p.stdout != ref["printed"]:
                    print("FAIL %s: the summary lines differ from print_results():\n%s\n%s"
                          % (label, p.stdout, ref["printed"]))
                    ok = False
            else:
                parts = []
                for i in range(shards):
                    parts.append("%s_p%d.mep" % (out, i))
                    run(args, base + ["--backend", backend, "--shard", "%d/%d" % (i, shards),
                                      "--partial", parts[-1]])
                run(args, ["merge"] + parts[::-1] + ["--quiet", "--json", out + ".json",
                                                     "--dump-arrays", out])
            with open(out + ".json") as f:
                mine = json.load(f)
            if compare(label, mine, out, ref):
                print("ok   %s  AP %r APr %r APc %r APf %r" % (label, *ref["values"][0:1],
                                                              *ref["values"][6:9]))
            else:
                ok = False
    if legacy:
        ref2 = reference(legacy, gt, dt, iou, max_dets, os.path.join(d, "ref_legacy.json"))
        out = os.path.join(d, "legacy")
        run(args, base + ["--backend", "cpu", "--numpy-compat", "legacy", "--json",
                          out + ".json", "--dump-arrays", out])
        with open(out + ".json") as f:
            mine = json.load(f)
        label = "%s %s numpy %s (--numpy-compat legacy)" % (name, iou, ref2["numpy"])
        n_diff = sum(a != b for a, b in zip(ref["values"], ref2["values"]))
        if compare(label, mine, out, ref2):
            print("ok   %s; differs from numpy %s in %d results" % (label, ref["numpy"], n_diff))
        else:
            ok = False
    return ok


def run_generated(args):
    d = os.path.join(args.work, "%s_%d" % (args.profile, args.seed))
    gen_lvis.write(args.seed, d, args.profile)
    gt, dt = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
    ok = True
    for iou in ("bbox", "segm"):
        ok &= check(args, "%s_%d" % (args.profile, args.seed), gt, dt, iou, args.max_dets,
                    args.legacy_python)
    ok &= check_diff(args, d, gt, dt)
    return ok


def check_diff(args, d, gt, dt):
    """maskeval diff of two LVIS evaluations: the 13 results and per-category AP."""
    with open(dt) as f:
        dets = json.load(f)
    half = os.path.join(d, "half.json")
    with open(half, "w") as f:
        json.dump(dets[::2], f)
    outs = []
    for path, tag in ((dt, "a"), (half, "b")):
        outs.append(os.path.join(d, "diff_%s.json" % tag))
        run(args, ["lvis", "--gt", gt, "--dt", path, "--iou-type", "bbox", "--max-dets",
                   str(args.max_dets), "--quiet", "--json", outs[-1]])
    doc = json.loads(run(args, ["diff", outs[0], outs[1], "--format", "json"]).stdout)
    with open(outs[0]) as f:
        ra = json.load(f)["results"]
    with open(outs[1]) as f:
        rb = json.load(f)["results"]
    got = {s["stat"]: (s["a"], s["b"]) for s in doc["stats"]}
    want = {k: (None if ra[k] == -1 else ra[k], None if rb[k] == -1 else rb[k]) for k in ra}
    deltas = [abs(s["delta"]) for s in doc["stats"] if s["delta"] is not None]
    if doc.get("kind") != "lvis" or got != want or deltas != sorted(deltas, reverse=True):
        print("FAIL diff of two LVIS results: %r" % doc["stats"])
        return False
    coco = os.path.join(d, "coco.json")
    run(args, ["coco", "--gt", os.path.join(HERE, "..", "..", "data", "gt.json"), "--dt",
               os.path.join(HERE, "..", "..", "data", "results.json"), "--iou-type", "bbox",
               "--quiet", "--json", coco])
    p = run(args, ["diff", outs[0], coco], rc=1)
    if "an LVIS evaluation" not in p.stderr:
        print("FAIL diff LVIS vs COCO: %r" % p.stderr)
        return False
    print("ok   diff of two LVIS results (13 results sorted by |delta|), LVIS vs COCO refused")
    return True


# ----------------------------------------------------------------------------
# Micro vectors (spec lvis.md 6), built here and run through both tools.

B = [0, 0, 10, 10]


def micro_sets():
    """name -> (images, anns, dets, categories, kwargs)"""
    c3 = {1: "f", 2: "c", 3: "r"}

    def img(i, neg=(), nel=()):
        return {"id": i, "width": 100, "height": 100, "file_name": "%d.jpg" % i,
                "neg_category_ids": list(neg), "not_exhaustive_category_ids": list(nel)}

    def ann(i, c, b, **kw):
        a = {"image_id": i, "category_id": c, "bbox": b, "area": float(b[2] * b[3]),
             "segmentation": [[b[0], b[1], b[0] + b[2], b[1], b[0] + b[2], b[1] + b[3],
                               b[0], b[1] + b[3]]]}
        a.update(kw)
        return a

    def det(i, c, b, s):
        return {"image_id": i, "category_id": c, "bbox": [float(v) for v in b], "score": s}

    v = {}
    v["L0"] = ([img(1)], [ann(1, 1, B)], [det(1, 1, B, .9)], c3, {})
    l1 = [det(1, 1, B, .9), det(2, 2, B, .8), det(1, 2, [50, 50, 10, 10], .95), det(1, 7, B, .99)]
    v["L1a"] = ([img(1), img(2)], [ann(1, 1, B), ann(2, 2, B)], l1, c3, {})
    v["L1b"] = ([img(1, neg=[2]), img(2)], [ann(1, 1, B), ann(2, 2, B)], l1, c3, {})
    l2 = [det(1, 1, [50, 50, 10, 10], .95), det(1, 1, B, .9)]
    v["L2a"] = ([img(1)], [ann(1, 1, B)], l2, c3, {})
    v["L2b"] = ([img(1, nel=[1])], [ann(1, 1, B)], l2, c3, {})
    v["L2c"] = ([img(1, nel=[1])], [ann(1, 1, B), ann(1, 1, [20, 20, 10, 10])],
                [det(1, 1, B, .9), det(1, 1, [50, 50, 10, 10], .8)], c3, {})
    l3 = [det(1, 2, [50, 50, 10, 10], round(0.99 - i * 1e-4, 4)) for i in range(300)] + \
        [det(1, 1, B, .5)]
    v["L3a"] = ([img(1)], [ann(1, 1, B)], l3, c3, {})
    v["L3b"] = ([img(1)], [ann(1, 1, B)], l3, c3, {"max_dets": -1})
    v["L3c"] = ([img(1)], [ann(1, 1, B)],
                [dict(d, category_id=9) if d["category_id"] == 2 else d for d in l3], c3, {})
    l4 = [det(1, 1, B, .5), det(2, 1, [50, 50, 10, 10], .5)]
    v["L4a"] = ([img(1), img(2)], [ann(1, 1, B), ann(2, 1, B)], l4, c3, {})
    v["L4b"] = ([img(1), img(2)], [ann(1, 1, B), ann(2, 1, B)], l4[::-1], c3, {})
    l4c = [det(1, 1, B, .5), det(1, 1, [50, 50, 10, 10], .5)]
    two = [ann(1, 1, B), ann(1, 1, [20, 20, 10, 10])]
    v["L4c"] = ([img(1)], two, l4c, c3, {})
    v["L4d"] = ([img(1)], two, l4c[::-1], c3, {})
    v["L5a"] = ([img(1)], [ann(1, 1, B, area=0.0), ann(1, 1, [20, 20, 10, 10])],
                [det(1, 1, B, .95), det(1, 1, [20, 20, 10, 10], .9)], c3, {})
    v["L5b"] = ([img(1)], [ann(1, 1, B)], [det(1, 1, [0, 0, 0, 10], .95), det(1, 1, B, .9)], c3, {})
    v["L6a"] = ([img(1)], [ann(1, 1, B, iscrowd=1)], [det(1, 1, B, .9)], c3, {})
    v["L6b"] = ([img(1)], [ann(1, 1, [0, 0, 60, 60], iscrowd=1)],
                [det(1, 1, [10, 10, 20, 20], .9)], c3, {})
    v["L6c"] = ([img(1)], [ann(1, 1, B, ignore=1), ann(1, 1, [20, 20, 10, 10])],
                [det(1, 1, B, .95), det(1, 1, [20, 20, 10, 10], .9)], c3, {})
    v["L8"] = ([img(1)], [ann(1, 1, B)], [det(1, 1, B, .9)], c3, {"max_dets": 100})
    c4 = {1: "r", 2: "c", 3: "f", 4: "f"}
    v["L9"] = ([img(1)], [ann(1, 1, B), ann(1, 2, [20, 20, 10, 10]), ann(1, 3, [40, 40, 40, 40]),
                          ann(1, 4, [0, 50, 40, 40])],
               [det(1, 1, B, .9), det(1, 2, [60, 0, 10, 10], .8), det(1, 2, [20, 20, 10, 10], .7),
                det(1, 3, [40, 40, 40, 40], .6), det(1, 4, [0, 50, 40, 40], .5)], c4, {})
    v["L10"] = ([img(1)], [ann(1, 1, B)], [det(1, 1, [0, 0, 10, 5], .9)], c3, {})
    v["L14"] = ([img(1)], [dict(ann(1, 1, B), id=0)], [det(1, 1, B, .9)], c3, {"keep_ids": True})
    return v


def run_micro(args):
    ok = True
    for name, (images, anns, dets, cats, kw) in micro_sets().items():
        d = os.path.join(args.work, "micro", name)
        os.makedirs(d, exist_ok=True)
        for i, a in enumerate(anns):
            if not kw.get("keep_ids") or "id" not in a:
                a.setdefault("id", i + 1)
        gt = {"images": images, "annotations": anns,
              "categories": [{"id": c, "name": "c%d" % c, "frequency": f} for c, f in cats.items()]}
        gp, dp = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
        with open(gp, "w") as f:
            json.dump(gt, f)
        with open(dp, "w") as f:
            json.dump(dets, f)
        ok &= check(args, "micro_" + name, gp, dp, "bbox", kw.get("max_dets", 300))
    ok &= run_refusals(args)
    return ok


def run_refusals(args):
    """What lvis-api raises on, maskeval names (spec lvis.md 6 L13)."""
    d = os.path.join(args.work, "micro", "refusals")
    os.makedirs(d, exist_ok=True)
    base_img = {"id": 1, "width": 100, "height": 100, "neg_category_ids": [],
                "not_exhaustive_category_ids": []}
    good = {"images": [base_img], "categories": [{"id": 1, "name": "a", "frequency": "f"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": B, "area": 100.0,
                             "segmentation": [[0, 0, 10, 0, 10, 10, 0, 10]]}]}
    cases = [
        ("no neg_category_ids", dict(good, images=[{k: v for k, v in base_img.items()
                                                    if k != "neg_category_ids"}]),
         "images[0] (id 1): neg_category_ids: missing"),
        ("no not_exhaustive", dict(good, images=[{k: v for k, v in base_img.items()
                                                  if k != "not_exhaustive_category_ids"}]),
         "not_exhaustive_category_ids: missing"),
        ("bad neg id", dict(good, images=[dict(base_img, neg_category_ids=[1, "x"])]),
         "neg_category_ids[1]: expected an integer"),
        ("no frequency", dict(good, categories=[{"id": 1, "name": "a"}]),
         "categories[0] (id 1): frequency: missing"),
        ("frequency x", dict(good, categories=[{"id": 1, "name": "a", "frequency": "x"}]),
         "frequency: not one of r, c, f"),
    ]
    dt = os.path.join(d, "dt.json")
    with open(dt, "w") as f:
        json.dump([{"image_id": 1, "category_id": 1, "bbox": B, "score": 0.5}], f)
    ok = True
    for label, g, want in cases:
        gp = os.path.join(d, label.replace(" ", "_") + ".json")
        with open(gp, "w") as f:
            json.dump(g, f)
        p = run(args, ["lvis", "--gt", gp, "--dt", dt, "--iou-type", "bbox"], rc=None)
        if p.returncode != 1 or want not in p.stderr or p.stdout:
            print("FAIL refusal %s: exit %d, stderr %r" % (label, p.returncode, p.stderr))
            ok = False
        else:
            print("ok   refusal %s: %s" % (label, p.stderr.strip()))
    gp = os.path.join(d, "good.json")
    with open(gp, "w") as f:
        json.dump(good, f)
    for argv, want in ((["--no-cats"], "unknown option --no-cats"),
                       (["--max-dets", "-2"], "--max-dets needs an integer >= 0, or -1"),
                       (["--cat-ids", "5"], "lvis-api raises KeyError")):
        p = run(args, ["lvis", "--gt", gp, "--dt", dt, "--iou-type", "bbox"] + argv, rc=2)
        if want not in p.stderr:
            print("FAIL usage %s: %r" % (argv, p.stderr))
            ok = False
        else:
            print("ok   usage %s" % argv)
    return ok


def run_devil(args):
    """maskeval lvis --ap fixed|pooled against the recorded outputs of Dave et
    al.'s scripts (tests/data/lvis/devil_fixtures.json, made by
    make_devil_fixtures.py from the same inputs)."""
    import devil_cases
    with open(args.devil) as f:
        fx = json.load(f)
    ok, seen = True, 0
    for name, gt, dets, ious, modes in devil_cases.all_cases():
        gp, dp = devil_cases.write_case(os.path.join(args.work, "devil"), name, gt, dets)
        for iou in ious:
            for mode, k in modes:
                key = "%s/%s/%s/%d" % (name, iou, mode, k)
                want = fx["cases"][key]
                for backend in args.backend:
                    out = os.path.join(args.work, "devil", name, "%s_%s_%d_%s.json"
                                       % (iou, mode, k, backend))
                    run(args, ["lvis", "--gt", gp, "--dt", dp, "--iou-type", iou, "--ap", mode,
                               "--dets-per-cat", str(k), "--backend", backend, "--quiet",
                               "--json", out])
                    with open(out) as f:
                        mine = json.load(f)
                    got = mine["pooled"] if mode == "pooled" else mine["results"]
                    if list(got.keys()) != want["keys"] or list(got.values()) != want["values"]:
                        print("FAIL %s %s: %r != %r" % (key, backend, got, want))
                        ok = False
                    else:
                        print("ok   %s %s  %s" % (key, backend, want["values"][:4]))
                # three shards merged give the same bytes
                parts = [out[:-5] + "_p%d.mep" % i for i in range(3)]
                for i, part in enumerate(parts):
                    run(args, ["lvis", "--gt", gp, "--dt", dp, "--iou-type", iou, "--ap", mode,
                               "--dets-per-cat", str(k), "--backend", "cpu", "--quiet",
                               "--shard", "%d/3" % i, "--partial", part])
                merged = run(args, ["merge"] + parts + ["--format", "json"]).stdout
                whole = run(args, ["lvis", "--gt", gp, "--dt", dp, "--iou-type", iou, "--ap", mode,
                                   "--dets-per-cat", str(k), "--backend", "cpu",
                                   "--format", "json"]).stdout
                strip = lambda t: {k2: v for k2, v in json.loads(t).items() if k2 != "backend"}
                if strip(merged) != strip(whole):
                    print("FAIL %s: merged shards differ from one process" % key)
                    ok = False
                seen += 1
    if seen != len(fx["cases"]):
        print("FAIL: %d fixture cases, %d checked" % (len(fx["cases"]), seen))
        ok = False
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--backend", action="append")
    ap.add_argument("--shards", default="1")
    ap.add_argument("--micro", action="store_true")
    ap.add_argument("--devil", help="check --ap fixed|pooled against this fixture file")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--profile", default="default", choices=gen_lvis.PROFILES)
    ap.add_argument("--max-dets", type=int, default=300)
    ap.add_argument("--legacy-python", help="interpreter with lvis and numpy < 2.3")
    args = ap.parse_args()
    args.backend = args.backend or ["cpu"]
    args.shards = [int(s) for s in args.shards.split(",")]
    os.makedirs(args.work, exist_ok=True)
    try:
        if args.micro:
            ok = run_micro(args)
        elif args.devil:
            ok = run_devil(args)
        elif args.seed is not None:
            ok = run_generated(args)
        else:
            ap.error("--micro or --seed N")
    except RuntimeError as e:
        print("FAIL: %s" % e)
        ok = False
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
