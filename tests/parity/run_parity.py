#!/usr/bin/env python3
"""Bit-for-bit parity test of `maskeval coco` against pycocotools.

    run_parity.py --maskeval PATH --seed N --iou-type segm|bbox --work DIR
                  [--profile P] [--backend cpu] [--backend opencl]
                  [--opts="--no-cats ..."] [--no-derive] [--timeout S] [--shards 1,2,3,7]

(write --opts=VALUE with "=": argparse would take a lone "--no-cats" after
a bare --opts for an option of its own)

Steps: generate dataset N (gen_coco.py), evaluate it with pycocotools
(ref_coco.py), run `maskeval coco ... --backend B --dump-arrays DIR --json
DIR/out.json OPTS` for every backend, then compare:
  * the 12 stats with Python == (element-wise);
  * precision / recall / scores byte for byte;
  * the evaluated parameters in arrays.json (cat_ids, thresholds, ...);
  * the first 12 lines of maskeval's stdout with summarize()'s output;
  * per-category AP in out.json with ref's per_category.json.
With --shards, every backend's output is also produced by N shard runs
(`--shard I/N --partial`) merged in a shuffled order, and must be identical
to the single run byte for byte (stdout, out.json, the arrays).
When --opts is empty (and --no-derive is not given) some seeds get evaluation
options derived from the seed, so the options are covered by a seed sweep.

Exit status: 0 all equal, 1 a mismatch, 2 maskeval failed or its output is
missing or malformed. PATH may be a .py stand-in (run with this interpreter).
"""

import argparse
import json
import os
import shlex
import random
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen_coco  # noqa: E402
import ref_coco  # noqa: E402

ARRAYS = ref_coco.ARRAY_NAMES
PARAM_KEYS = ("format", "iou_type", "cat_ids", "iou_thrs", "rec_thrs", "max_dets", "area_rng")
SHOW = 5   # mismatching elements printed per array


class Mismatch(Exception):
    """Output differs from pycocotools."""


class Broken(Exception):
    """maskeval failed or produced unreadable output."""


# ----------------------------------------------------------------------------
# Options derived from the seed
# ----------------------------------------------------------------------------

# Custom IoU threshold sets: a coarse one, one containing 1.0 (the 1-1e-10 cap)
# and an unsorted one without 0.5 (summarize then reports -1 for AP50).
IOU_THR_SETS = ("0.5,0.6,0.7,0.75,0.8,0.9",
                "0.3,0.5,0.75,0.9,1.0",
                "0.95,0.75,0.55,0.65")
AREA_RNG_SETS = ("0:1e10,0:400,400:4096.5,4096.5:1e10",
                 "0:1e5,0:1024,1024:2304,2304:1e5")


def derive_options(seed, gt):
    """Evaluation options for a seed (empty for most seeds).

    Several rules may fire for one seed; all choices are pure functions of the
    seed and of the generated GT, so a failing seed reproduces exactly.
    """
    opts = []
    if seed % 7 == 3:
        opts.append("--no-cats")
    if seed % 7 == 5:
        opts += ["--max-dets", "1,10,300" if (seed // 7) % 2 == 0 else "2,20,50"]
    if seed % 11 == 4:
        opts += ["--iou-thrs", IOU_THR_SETS[(seed // 11) % len(IOU_THR_SETS)]]
    if seed % 13 == 6:
        img_ids = sorted(i["id"] for i in gt["images"])
        subset = img_ids[::2] or img_ids
        opts += ["--img-ids", ",".join(str(i) for i in subset)]
    if seed % 13 == 10:
        # A reverse-sorted subset: pycocotools sorts it (np.unique) with useCats=1.
        cat_ids = sorted((c["id"] for c in gt["categories"]), reverse=True)
        subset = cat_ids[: max(1, (len(cat_ids) + 1) // 2)]
        opts += ["--cat-ids", ",".join(str(c) for c in subset)]
    if seed % 17 == 8:
        opts += ["--area-rng", AREA_RNG_SETS[(seed // 17) % len(AREA_RNG_SETS)]]
    return opts


# ----------------------------------------------------------------------------
# Running things
# ----------------------------------------------------------------------------

def run_reference(gt, dt, iou_type, opts, out_dir):
    rc = ref_coco.main(["--gt", gt, "--dt", dt, "--iou-type", iou_type, "--out", out_dir] + opts)
    if rc:
        raise RuntimeError("ref_coco failed (%d)" % rc)


def fresh_dir(path):
    """An empty output directory, so stale files of an earlier run never get compared."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)


def run_maskeval(exe, gt, dt, iou_type, backend, opts, out_dir, timeout):
    fresh_dir(out_dir)
    cmd = [exe] if not exe.endswith(".py") else [sys.executable, exe]
    cmd += ["coco", "--gt", gt, "--dt", dt, "--iou-type", iou_type, "--backend", backend,
            "--dump-arrays", out_dir, "--json", os.path.join(out_dir, "out.json")] + opts
    return run_cmd(cmd, timeout)


def run_cmd(cmd, timeout):
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, universal_newlines=True)
    except subprocess.TimeoutExpired:
        raise Broken("maskeval timed out after %ss: %s" % (timeout, shlex.join(cmd)))
    except OSError as e:
        raise Broken("cannot run maskeval: %s" % e)
    if proc.returncode != 0:
        raise Broken("maskeval exited with %d: %s\n--- stderr (tail) ---\n%s"
                     % (proc.returncode, shlex.join(cmd), proc.stderr[-3000:]))
    return proc.stdout


def dir_files(path):
    out = {}
    for name in sorted(os.listdir(path)):
        with open(os.path.join(path, name), "rb") as f:
            out[name] = f.read()
    return out


def check_shards(exe, gt, dt, iou_type, backend, opts, work, n_shards, seed, one_dir, one_stdout,
                 timeout):
    """N shard runs + `maskeval merge` (partials in a seed-shuffled order) must print and write
    exactly what the single run did: stdout, out.json and every array file, byte for byte."""
    base = [exe] if not exe.endswith(".py") else [sys.executable, exe]
    shard_dir = os.path.join(work, "shards-%s-%d" % (backend, n_shards))
    fresh_dir(shard_dir)
    parts = []
    for i in range(n_shards):
        part = os.path.join(shard_dir, "part%d.mep" % i)
        run_cmd(base + ["coco", "--gt", gt, "--dt", dt, "--iou-type", iou_type, "--backend", backend,
                        "--shard", "%d/%d" % (i, n_shards), "--partial", part, "--quiet"] + opts,
                timeout)
        parts.append(part)
    order = list(parts)
    random.Random(seed * 1000 + n_shards).shuffle(order)
    out_dir = os.path.join(shard_dir, "merged")
    os.makedirs(out_dir)
    stdout = run_cmd(base + ["merge"] + order + ["--dump-arrays", out_dir,
                                                 "--json", os.path.join(out_dir, "out.json")],
                     timeout)
    problems = []
    if stdout != one_stdout:
        problems.append("%d shards: merge printed other text than the single run" % n_shards)
    want, got = dir_files(one_dir), dir_files(out_dir)
    if sorted(want) != sorted(got):
        problems.append("%d shards: merge wrote files %s, the single run %s" % (n_shards, sorted(got), sorted(want)))
    for name in sorted(set(want) & set(got)):
        w, g = want[name], got[name]
        if name == "out.json":
            # The one member allowed to differ: "backend" (last) names the run's
            # backend, and is null for merged partials (they may come from several).
            w, g, problem = split_backend(w, g)
            if problem:
                problems.append("%d shards: out.json: %s" % (n_shards, problem))
        if w != g:
            problems.append("%d shards: %s differs from the single run's" % (n_shards, name))
    return problems


def split_backend(single, merged):
    """(single, merged) without their trailing `"backend"` member, and a problem or None."""
    key = b',\n "backend": '
    hs, sep_s, ts = single.rpartition(key)
    hm, sep_m, tm = merged.rpartition(key)
    if not sep_s or not sep_m:
        return single, merged, "no \"backend\" member"
    if tm != b"null}\n":
        return hs, hm, "merged \"backend\" is %r, not null" % tm[:60]
    if not (ts.startswith(b'"cpu"') or ts.startswith(b'"opencl: ')):
        return hs, hm, "single-run \"backend\" is %r" % ts[:60]
    return hs, hm, None


def load_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Broken("%s: %s" % (what, e))


# ----------------------------------------------------------------------------
# Comparisons (each returns a list of human-readable problems)
# ----------------------------------------------------------------------------

def fmt_float(v):
    return "%r (%s)" % (v, float(v).hex())


def compare_stats(ref, got, where):
    if not isinstance(got, list) or len(got) != len(ref):
        return ["%s: expected 12 stats, got %r" % (where, got)]
    problems = []
    for i, (a, b) in enumerate(zip(ref, got)):
        if not (isinstance(b, (int, float)) and a == b):
            problems.append("%s[%d]: pycocotools %s, maskeval %s" % (where, i, fmt_float(a),
                            fmt_float(b) if isinstance(b, (int, float)) else repr(b)))
    return problems


def read_array(directory, meta, name):
    entry = meta.get(name)
    if not isinstance(entry, dict) or "shape" not in entry:
        raise Broken("%s/arrays.json: no entry for %s" % (directory, name))
    shape = tuple(int(d) for d in entry["shape"])
    path = os.path.join(directory, entry.get("file", name + ".f64"))
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise Broken(str(e))
    return shape, raw


def compare_array(name, ref_dir, ref_meta, got_dir, got_meta):
    rshape, rraw = read_array(ref_dir, ref_meta, name)
    gshape, graw = read_array(got_dir, got_meta, name)
    if rshape != gshape:
        return ["%s: shape %s, maskeval %s" % (name, list(rshape), list(gshape))]
    if rraw == graw:
        return []
    if len(graw) != len(rraw):
        return ["%s: %d bytes, maskeval wrote %d (shape %s)" % (name, len(rraw), len(graw), list(rshape))]
    # Compare bit patterns, not values: -0.0 vs 0.0 and NaN payloads count.
    rbits = np.frombuffer(rraw, dtype="<u8")
    gbits = np.frombuffer(graw, dtype="<u8")
    bad = np.flatnonzero(rbits != gbits)
    rval = np.frombuffer(rraw, dtype="<f8")
    gval = np.frombuffer(graw, dtype="<f8")
    lines = ["%s: shape %s, %d of %d elements differ" % (name, list(rshape), bad.size, rbits.size)]
    for flat in bad[:SHOW]:
        idx = tuple(int(i) for i in np.unravel_index(flat, rshape))
        lines.append("    %s%s: pycocotools %s, maskeval %s"
                     % (name, list(idx), fmt_float(float(rval[flat])), fmt_float(float(gval[flat]))))
    return lines


def compare_params(ref_meta, got_meta):
    problems = []
    for key in PARAM_KEYS:
        if key not in got_meta:
            problems.append("arrays.json: key %r missing" % key)
        elif got_meta[key] != ref_meta[key]:
            problems.append("arrays.json %s: pycocotools %r, maskeval %r" % (key, ref_meta[key], got_meta[key]))
    return problems


def compare_summary(ref_text, stdout):
    want = ref_text.splitlines(keepends=True)
    got = stdout.splitlines(keepends=True)[:len(want)]
    problems = []
    for i, w in enumerate(want):
        g = got[i] if i < len(got) else "<missing>"
        if g != w:
            problems.append("summary line %d:\n    pycocotools %r\n    maskeval    %r" % (i + 1, w, g))
    return problems


def compare_per_category(ref, got, cat_names):
    if not isinstance(got, list):
        return ["out.json: per_category missing or not a list"]
    if len(got) != len(ref):
        return ["per_category: %d entries, maskeval %d" % (len(ref), len(got))]
    problems = []
    for r, g in zip(ref, got):
        if not isinstance(g, dict) or g.get("category_id") != r["category_id"]:
            problems.append("per_category: expected category %r, maskeval %r" % (r["category_id"], g))
            continue
        a, b = r["AP"], g.get("AP", "<missing>")
        if not (a is None and b is None) and not (a is not None and isinstance(b, (int, float)) and a == b):
            problems.append("per_category %d AP: pycocotools %s, maskeval %s"
                            % (r["category_id"], "null" if a is None else fmt_float(a),
                               fmt_float(b) if isinstance(b, (int, float)) else repr(b)))
        want_name = cat_names.get(r["category_id"])
        if want_name is not None and g.get("name") != want_name:
            problems.append("per_category %d name: %r, maskeval %r" % (r["category_id"], want_name, g.get("name")))
    return problems


def compare_backend(ref_dir, got_dir, stdout, cat_names):
    ref_meta = load_json(os.path.join(ref_dir, "arrays.json"), "reference arrays.json")
    got_meta = load_json(os.path.join(got_dir, "arrays.json"), "maskeval arrays.json")
    out = load_json(os.path.join(got_dir, "out.json"), "maskeval out.json")
    with open(os.path.join(ref_dir, "summary.txt")) as f:
        summary = f.read()
    ref_pc = load_json(os.path.join(ref_dir, "per_category.json"), "reference per_category.json")

    problems = compare_stats(ref_meta["stats"], got_meta.get("stats"), "arrays.json stats")
    if isinstance(out, dict) and "stats" in out:
        problems += compare_stats(ref_meta["stats"], out["stats"], "out.json stats")
    for name in ARRAYS:
        problems += compare_array(name, ref_dir, ref_meta, got_dir, got_meta)
    problems += compare_params(ref_meta, got_meta)
    problems += compare_summary(summary, stdout)
    problems += compare_per_category(ref_pc, out.get("per_category") if isinstance(out, dict) else None,
                                     cat_names)
    return problems


# ----------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--maskeval", required=True, help="maskeval binary (or a .py stand-in)")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--iou-type", required=True, choices=("segm", "bbox"))
    ap.add_argument("--work", required=True, help="scratch directory (created)")
    ap.add_argument("--profile", default="default", choices=gen_coco.PROFILES + ("auto",))
    ap.add_argument("--backend", action="append", help="repeatable; default cpu")
    ap.add_argument("--opts", default="", help="evaluation options for both sides, one string")
    ap.add_argument("--no-derive", action="store_true", help="never derive options from the seed")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per maskeval run")
    ap.add_argument("--shards", default="", help="comma-separated shard counts: also run "
                    "--shard I/N --partial + merge and compare with the single run byte for byte")
    ap.add_argument("--no-image-size", action="store_true", help="drop height and width from the "
                    "ground truth's images (as torchmetrics' COCO export does; bbox only)")
    args = ap.parse_args(argv)
    if args.no_image_size and args.iou_type != "bbox":
        ap.error("--no-image-size needs --iou-type bbox")
    shard_counts = [int(x) for x in args.shards.split(",") if x]
    backends = args.backend or ["cpu"]

    data_dir = os.path.join(args.work, "data")
    gt_path, dt_path = os.path.join(data_dir, "gt.json"), os.path.join(data_dir, "dt.json")
    gt, _ = gen_coco.write(args.seed, data_dir, args.profile)
    if args.no_image_size:
        for img in gt["images"]:
            img.pop("height", None)
            img.pop("width", None)
        with open(gt_path, "w") as f:
            f.write(gen_coco.dumps(gt))
    opts = shlex.split(args.opts)
    if not opts and not args.no_derive:
        opts = derive_options(args.seed, gt)
    tag = "seed=%d profile=%s iou=%s opts=[%s]" % (args.seed, args.profile, args.iou_type, shlex.join(opts))
    print("parity %s" % tag)
    cat_names = {c["id"]: c.get("name") for c in gt["categories"]}

    ref_dir = os.path.join(args.work, "ref")
    fresh_dir(ref_dir)
    run_reference(gt_path, dt_path, args.iou_type, opts, ref_dir)

    status = 0
    for backend in backends:
        got_dir = os.path.join(args.work, "maskeval-" + backend)
        try:
            stdout = run_maskeval(args.maskeval, gt_path, dt_path, args.iou_type, backend, opts,
                                  got_dir, args.timeout)
            problems = compare_backend(ref_dir, got_dir, stdout, cat_names)
            for n in shard_counts:
                problems += check_shards(args.maskeval, gt_path, dt_path, args.iou_type, backend, opts,
                                         args.work, n, args.seed, got_dir, stdout, args.timeout)
        except Broken as e:
            print("ERROR backend=%s %s\n%s" % (backend, tag, e))
            status = max(status, 2)
            continue
        if problems:
            print("MISMATCH backend=%s %s (%d problems)" % (backend, tag, len(problems)))
            for p in problems:
                print("  " + p)
            print("  reproduce: %s" % shlex.join(
                [sys.executable, os.path.abspath(__file__), "--maskeval", os.path.abspath(args.maskeval),
                 "--seed", str(args.seed), "--profile", args.profile, "--iou-type", args.iou_type,
                 "--work", args.work, "--backend", backend, "--opts=" + shlex.join(opts)]
                + ([] if opts else ["--no-derive"])))
            status = max(status, 1)
        else:
            print("OK backend=%s %s: 12 stats, 3 arrays, params, summary and %d per-category APs identical%s"
                  % (backend, tag, len(load_json(os.path.join(ref_dir, "per_category.json"), "ref")),
                     "; sharded %s + merge byte-identical" % args.shards if shard_counts else ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
