#!/usr/bin/env python3
"""Differential / fixture / bad-input tests of `maskeval semantic`.

Modes (exactly one):
  run_semantic.py --maskeval PATH --seed N --profile P --work DIR
                  [--backend cpu] [--backend opencl]
      generate a set with gen_labels.py (DIR/<profile>_s<N>/), run
      ref_semantic.py and maskeval (once per --backend; without --backend
      maskeval runs with its default), compare the JSON outputs: integer
      fields and the confusion matrix exactly, float metrics within 1e-12
      absolute, null (NaN) only against null.  --profile bad generates the
      bad cases and runs them as in --bad.
  run_semantic.py --maskeval PATH --fixtures DIR   (DIR = tests/data/segmetrics)
      known values: semantic_small (mmseg totals exact, per-class values to
      5e-8, mmseg summary numbers via round(100*x, 2)) and cityscapes_pixel
      (Cityscapes class IoUs and averageScoreClasses to 1e-12).
  run_semantic.py --maskeval PATH --bad DIR
      run the error cases written by gen_labels.py --profile bad.

Other options: --ref PATH (default: ref_semantic.py next to this file),
--timeout S (per maskeval run, default 600), --tol (default 1e-12),
--max-diffs N (default 40).  Exit status 0 = all passed, 1 = failures,
2 = usage / setup error.
"""

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen_labels.py")
REF = os.path.join(HERE, "ref_semantic.py")

FLOAT_TOP = ("aAcc", "mIoU", "mAcc", "mDice", "mPrecision", "mRecall", "mFscore", "fwIoU")
INT_TOP = ("num_classes", "invalid_pred_pixels", "invalid_gt_pixels", "images")
FLOAT_CLASS = ("IoU", "Acc", "Dice", "Precision", "Recall", "Fscore")
INT_CLASS = ("intersect", "union", "pred", "label")

# Cityscapes class name -> trainId (spec 1.2)
CITYSCAPES_TRAINID = {
    "road": 0, "sidewalk": 1, "building": 2, "wall": 3, "fence": 4, "pole": 5,
    "traffic light": 6, "traffic sign": 7, "vegetation": 8, "terrain": 9, "sky": 10,
    "person": 11, "rider": 12, "car": 13, "truck": 14, "bus": 15, "train": 16,
    "motorcycle": 17, "bicycle": 18,
}


class Failure(Exception):
    pass


def _reject_constant(name):
    raise ValueError(f"non-JSON constant {name} (NaN must be written as null)")


def load_json_strict(path):
    with open(path, "r", encoding="utf-8") as f:
        text = f.read()
    return json.loads(text, parse_constant=_reject_constant)


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and not (isinstance(v, float) and (math.isnan(v) or math.isinf(v))))


def fmt(v):
    return "null" if v is None else repr(v)


class Diff:
    def __init__(self, limit):
        self.items = []
        self.count = 0
        self.limit = limit

    def add(self, msg):
        self.count += 1
        if len(self.items) < self.limit:
            self.items.append(msg)

    def report(self, title):
        lines = [f"{title}: {self.count} difference(s)"]
        lines += ["  " + m for m in self.items]
        if self.count > len(self.items):
            lines.append(f"  ... {self.count - len(self.items)} more")
        return "\n".join(lines)


def cmp_float(diff, path, ref, got, tol):
    if ref is None or got is None:
        if ref is not got:
            diff.add(f"{path}: ref={fmt(ref)} maskeval={fmt(got)} (null must match null)")
        return
    if not is_num(got):
        diff.add(f"{path}: maskeval value {got!r} is not a finite number")
        return
    d = abs(float(ref) - float(got))
    if not d <= tol:
        diff.add(f"{path}: ref={ref!r} maskeval={got!r} |diff|={d:.3g} > {tol:g}")


def cmp_int(diff, path, ref, got):
    if not is_int(got):
        diff.add(f"{path}: maskeval value {got!r} is not a JSON integer (ref {ref!r})")
    elif ref != got:
        diff.add(f"{path}: ref={ref} maskeval={got} (diff {got - ref:+d})")


def compare_results(ref, got, tol, limit):
    diff = Diff(limit)
    for k in ("num_classes", "aAcc", "mIoU", "mAcc", "mDice", "mPrecision", "mRecall", "mFscore",
              "fwIoU", "per_class", "confusion", "confusion_format", "invalid_pred_pixels",
              "invalid_gt_pixels", "images"):
        if k not in got:
            diff.add(f"{k}: missing in maskeval output")
    for k in INT_TOP:
        if k in got:
            cmp_int(diff, k, ref[k], got[k])
    for k in FLOAT_TOP:
        if k in got:
            cmp_float(diff, k, ref[k], got[k], tol)
    if "confusion_format" in got and got["confusion_format"] != ref["confusion_format"]:
        diff.add(f"confusion_format: ref={ref['confusion_format']!r} maskeval={got['confusion_format']!r}")
    pc_ref, pc_got = ref["per_class"], got.get("per_class")
    if isinstance(pc_got, list):
        if len(pc_got) != len(pc_ref):
            diff.add(f"per_class: length ref={len(pc_ref)} maskeval={len(pc_got)}")
        for c, (r, g) in enumerate(zip(pc_ref, pc_got)):
            if not isinstance(g, dict):
                diff.add(f"per_class[{c}]: not an object")
                continue
            for k in INT_CLASS:
                if k not in g:
                    diff.add(f"per_class[{c}].{k}: missing")
                else:
                    cmp_int(diff, f"per_class[{c}].{k}", r[k], g[k])
            for k in FLOAT_CLASS:
                if k not in g:
                    diff.add(f"per_class[{c}].{k}: missing")
                else:
                    cmp_float(diff, f"per_class[{c}].{k}", r[k], g[k], tol)
    elif "per_class" in got:
        diff.add("per_class: not a list")
    cr, cg = ref["confusion"], got.get("confusion")
    if cg is not None:
        if ref["confusion_format"] == "dense":
            if not (isinstance(cg, list) and len(cg) == len(cr)
                    and all(isinstance(row, list) and len(row) == len(cr) for row in cg)):
                diff.add(f"confusion: expected {len(cr)} rows of {len(cr)} integers")
            else:
                for i, (rr, rg) in enumerate(zip(cr, cg)):
                    for j, (a, b) in enumerate(zip(rr, rg)):
                        if not is_int(b) or a != b:
                            cmp_int(diff, f"confusion[{i}][{j}] (gt {i}, pred {j})", a, b)
        else:
            if not isinstance(cg, list):
                diff.add("confusion: sparse format must be a list of [gt, pred, count]")
            else:
                rmap = {(a, b): n for a, b, n in cr}
                gmap = {}
                prev = None
                for t in cg:
                    if not (isinstance(t, list) and len(t) == 3 and all(is_int(x) for x in t)):
                        diff.add(f"confusion: bad triple {t!r}")
                        continue
                    key = (t[0], t[1])
                    if prev is not None and key <= prev:
                        diff.add(f"confusion: triples not sorted by (gt, pred) / duplicated at {t!r}")
                    prev = key
                    if t[2] == 0:
                        diff.add(f"confusion: zero-count triple {t!r}")
                    gmap[key] = t[2]
                for key in sorted(set(rmap) | set(gmap)):
                    a, b = rmap.get(key, 0), gmap.get(key, 0)
                    if a != b:
                        diff.add(f"confusion cell (gt {key[0]}, pred {key[1]}): ref={a} maskeval={b}")
    return diff


def run_cmd(cmd, cwd=None, timeout=600):
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failure(f"timed out after {timeout}s: {' '.join(cmd)}")
    except OSError as e:
        raise Failure(f"cannot run {cmd[0]}: {e}")
    return p


def run_eval(cmd, cwd, out_json, timeout, label):
    if os.path.exists(out_json):
        os.remove(out_json)
    p = run_cmd(cmd + ["--json", out_json], cwd=cwd, timeout=timeout)
    if p.returncode != 0:
        raise Failure(f"{label} exited with {p.returncode}\n  command: {' '.join(cmd)} (cwd {cwd})\n"
                      f"  stderr: {p.stderr.strip()[-2000:]}")
    try:
        return load_json_strict(out_json)
    except (OSError, ValueError) as e:
        raise Failure(f"{label}: cannot read its JSON output {out_json}: {e}")


def backends_or_default(backends):
    return backends if backends else [None]


# ---------------------------------------------------------------------------


def nested_layouts(opt, d, meta):
    """With --nest N: copies of the flat folders with each pair moved to one of N
    subfolders (by a hash of its stem): both sides nested, and nested ground
    truth with flat predictions. Yields (name, (gt, pred))."""
    if not opt.nest:
        return []
    args = meta["maskeval_args"]

    def arg(name):
        return args[args.index(name) + 1] if name in args else ""

    def spread(src, suffix, dst):
        shutil.rmtree(dst, ignore_errors=True)
        os.makedirs(dst)
        tail = suffix + ".png"
        for f in sorted(os.listdir(src)):
            sub = ""
            if f.endswith(tail) and len(f) > len(tail):
                sub = "city%d" % (zlib.crc32(f[:-len(tail)].encode()) % opt.nest)
                os.makedirs(os.path.join(dst, sub), exist_ok=True)
            shutil.copy2(os.path.join(src, f), os.path.join(dst, sub, f))
        return dst

    gt = os.path.join(d, meta["gt_dir"])
    pred = os.path.join(d, meta["pred_dir"])
    ngt = spread(gt, arg("--gt-suffix"), os.path.join(d, "nested_gt"))
    npred = spread(pred, arg("--pred-suffix"), os.path.join(d, "nested_pred"))
    return [("nested", (ngt, npred)), ("nested gt, flat pred", (ngt, pred))]


def mode_random(opt):
    if opt.profile == "bad":
        d = os.path.join(opt.work, f"bad_s{opt.seed}")
        p = run_cmd([sys.executable, GEN, "--seed", str(opt.seed), "--out", d, "--profile", "bad"])
        if p.returncode != 0:
            raise Failure(f"gen_labels.py failed:\n{p.stderr}")
        return mode_bad(opt, d)
    d = os.path.abspath(os.path.join(opt.work, f"{opt.profile}_s{opt.seed}"))
    os.makedirs(d, exist_ok=True)
    p = run_cmd([sys.executable, GEN, "--seed", str(opt.seed), "--out", d, "--profile", opt.profile])
    if p.returncode != 0:
        raise Failure(f"gen_labels.py failed:\n{p.stdout}{p.stderr}")
    meta = load_json_strict(os.path.join(d, "args.json"))
    common = ["--gt", meta["gt_dir"], "--pred", meta["pred_dir"]] + meta["maskeval_args"]
    ref = run_eval([sys.executable, opt.ref] + common, d, os.path.join(d, "ref.json"),
                   opt.timeout, "ref_semantic.py")
    failed = 0
    for be in backends_or_default(opt.backend):
        extra = ["--backend", be] if be else []
        tag = be or "default"
        label = f"maskeval ({tag} backend)"
        try:
            got = run_eval([opt.maskeval, "semantic"] + common + extra, d,
                           os.path.join(d, f"maskeval_{tag}.json"), opt.timeout, label)
        except Failure as e:
            print(f"FAIL {opt.profile} seed {opt.seed} [{tag}]: {e}")
            failed += 1
            continue
        diff = compare_results(ref, got, opt.tol, opt.max_diffs)
        for layout, ndirs in nested_layouts(opt, d, meta):
            # the same files spread over folders: the same numbers as the flat run
            cmd = [opt.maskeval, "semantic", "--gt", ndirs[0], "--pred", ndirs[1]] + \
                meta["maskeval_args"] + extra
            try:
                nested = run_eval(cmd, d, os.path.join(d, f"maskeval_{tag}_{layout}.json"),
                                  opt.timeout, f"{label}, {layout}")
            except Failure as e:
                print(f"FAIL {opt.profile} seed {opt.seed} [{tag}] {layout}: {e}")
                failed += 1
                continue
            nd = compare_results(ref, nested, opt.tol, opt.max_diffs)
            if nd.count:
                print("FAIL " + nd.report(f"{opt.profile} seed {opt.seed} [{tag}] {layout} vs "
                                          f"reference ({d})"))
                failed += 1
            elif nested.get("confusion") != got.get("confusion"):
                print(f"FAIL {opt.profile} seed {opt.seed} [{tag}] {layout}: confusion differs "
                      "from the flat run")
                failed += 1
            else:
                print(f"ok   {opt.profile} seed {opt.seed} [{tag}] {layout} == flat")
        if diff.count:
            print("FAIL " + diff.report(f"{opt.profile} seed {opt.seed} [{tag}] vs reference ({d})"))
            failed += 1
        else:
            print(f"ok   {opt.profile} seed {opt.seed} [{tag}]: K={ref['num_classes']} "
                  f"images={ref['images']} mIoU={ref['mIoU']!r} invalid_pred={ref['invalid_pred_pixels']} "
                  f"invalid_gt={ref['invalid_gt_pixels']}")
    return failed


# ---------------------------------------------------------------------------


def _as_expected(v):
    return None if v == "nan" else v


def check_semantic_small(opt, fixdir, exp, tmp, be):
    diff = Diff(opt.max_diffs)
    src = os.path.join(fixdir, "semantic_small")
    got = run_eval([opt.maskeval, "semantic", "--gt", os.path.join(src, "gt"),
                    "--pred", os.path.join(src, "pred"), "--num-classes", str(exp["num_classes"]),
                    "--ignore-index", str(exp["ignore_index"])] + (["--backend", be] if be else []),
                   None, os.path.join(tmp, "semantic_small.json"), opt.timeout, "maskeval")
    pc = got.get("per_class") or []
    if len(pc) != exp["num_classes"]:
        diff.add(f"per_class has {len(pc)} entries, expected {exp['num_classes']}")
        return diff
    tot = exp["mmseg_totals"]
    for key in ("intersect", "union", "pred", "label"):
        for c in range(exp["num_classes"]):
            cmp_int(diff, f"per_class[{c}].{key} (mmseg_totals)", tot[key][c], pc[c].get(key))
    for key, vals in exp["mmseg_per_class"].items():
        for c, v in enumerate(vals):
            cmp_float(diff, f"per_class[{c}].{key} (mmseg_per_class, rounded to 7 places)",
                      _as_expected(v), pc[c].get(key), 5e-8)
    for key, want in exp["mmseg_summary_nan_to_num_None"].items():
        v = got.get(key)
        if not is_num(v):
            diff.add(f"{key}: {v!r} is not a number (mmseg summary {want})")
        elif round(100 * v, 2) != want:
            diff.add(f"{key}: round(100*{v!r}, 2) = {round(100 * v, 2)} != mmseg summary {want}")
    # nan_to_num=0: NaN per-class values count as 0 in the mean
    names = {"mIoU": "IoU", "mAcc": "Acc", "mDice": "Dice", "mFscore": "Fscore",
             "mPrecision": "Precision", "mRecall": "Recall"}
    for key, want in exp["mmseg_summary_nan_to_num_0"].items():
        if key == "aAcc":
            continue
        vals = [pc[c].get(names[key]) for c in range(exp["num_classes"])]
        vals = [0.0 if v is None else v for v in vals]
        if not all(is_num(v) for v in vals):
            continue                      # already reported above
        m = sum(vals) / len(vals)
        if round(100 * m, 2) != want:
            diff.add(f"{key} with NaN->0: round(100*{m!r}, 2) != mmseg nan_to_num=0 summary {want}")
    # derived from the torchmetrics variant (pred1's 255 replaced by 3): in the
    # original data that pixel (GT 1) is a pure miss, so cell [1][3] is one less
    conf = [row[:] for row in exp["torchmetrics_confmat_rows_gt"]]
    conf[1][3] -= 1
    gc = got.get("confusion")
    if gc != conf:
        diff.add(f"confusion: {gc!r} != expected {conf!r} (torchmetrics variant minus the 255 pixel)")
    cmp_int(diff, "invalid_pred_pixels", 1, got.get("invalid_pred_pixels"))
    cmp_int(diff, "invalid_gt_pixels", 0, got.get("invalid_gt_pixels"))
    cmp_int(diff, "images", 2, got.get("images"))
    # detectron2's fwIoU on the variant equals ours on the original (classes 0/1 unchanged)
    cmp_float(diff, "fwIoU (detectron2_on_variant.fwIoU)", exp["detectron2_on_variant"]["fwIoU"],
              got.get("fwIoU"), 5e-8)
    return diff


def check_cityscapes_pixel(opt, fixdir, exp, tmp, be):
    diff = Diff(opt.max_diffs)
    src = os.path.join(fixdir, "cityscapes_pixel")
    # copy into gt/ and pred/ so this check does not depend on how maskeval
    # treats non-matching files sitting in the same directory
    gt, pred = os.path.join(tmp, "cs_gt"), os.path.join(tmp, "cs_pred")
    for d in (gt, pred):
        os.makedirs(d, exist_ok=True)
    for f in exp["files"]:
        name = os.path.basename(f)
        if name.endswith("_gtFine_labelIds.png"):
            shutil.copy(os.path.join(src, name), gt)
        elif name.endswith("_pred.png"):
            shutil.copy(os.path.join(src, name), pred)
    got = run_eval([opt.maskeval, "semantic", "--gt", gt, "--pred", pred, "--num-classes", "19",
                    "--gt-suffix", "_gtFine_labelIds", "--pred-suffix", "_pred",
                    "--label-map", "cityscapes", "--pred-label-map", "cityscapes"]
                   + (["--backend", be] if be else []),
                   None, os.path.join(tmp, "cityscapes_pixel.json"), opt.timeout, "maskeval")
    pc = got.get("per_class") or []
    if len(pc) != 19:
        diff.add(f"per_class has {len(pc)} entries, expected 19")
        return diff
    scores = exp["classScores_non_nan"]
    for name, tid in CITYSCAPES_TRAINID.items():
        want = scores.get(name)          # classes not listed are NaN in cityscapesScripts
        cmp_float(diff, f"per_class[{tid}].IoU ({name})", want, pc[tid].get("IoU"), 1e-12)
    cmp_float(diff, "mIoU (averageScoreClasses)", exp["averageScoreClasses"], got.get("mIoU"), 1e-12)
    return diff


def mode_fixtures(opt):
    fixdir = os.path.abspath(opt.fixtures)
    exp = load_json_strict(os.path.join(fixdir, "expected.json"))
    failed = 0
    with tempfile.TemporaryDirectory(prefix="maskeval_fix_") as tmp:
        for be in backends_or_default(opt.backend):
            tag = be or "default"
            for name, fn in (("semantic_small", check_semantic_small),
                             ("cityscapes_pixel", check_cityscapes_pixel)):
                try:
                    diff = fn(opt, fixdir, exp[name], tmp, be)
                except Failure as e:
                    print(f"FAIL fixture {name} [{tag}]: {e}")
                    failed += 1
                    continue
                if diff.count:
                    print("FAIL " + diff.report(f"fixture {name} [{tag}]"))
                    failed += 1
                else:
                    print(f"ok   fixture {name} [{tag}]")
    return failed


# ---------------------------------------------------------------------------


def mode_bad(opt, bad_dir):
    bad_dir = os.path.abspath(bad_dir)
    cases = sorted(n for n in os.listdir(bad_dir)
                   if os.path.isfile(os.path.join(bad_dir, n, "expect.json")))
    if not cases:
        raise Failure(f"no cases (*/expect.json) in {bad_dir}")
    failed = 0
    with tempfile.TemporaryDirectory(prefix="maskeval_bad_") as tmp:
        for be in backends_or_default(opt.backend):
            tag = be or "default"
            for name in cases:
                d = os.path.join(bad_dir, name)
                exp = load_json_strict(os.path.join(d, "expect.json"))
                out_json = os.path.join(tmp, f"{name}_{tag}.json")
                cmd = [opt.maskeval, "semantic", "--gt", os.path.join(d, "gt"),
                       "--pred", os.path.join(d, "pred")] + exp.get("args", []) + \
                      (["--backend", be] if be else []) + ["--json", out_json]
                try:
                    p = run_cmd(cmd, timeout=opt.timeout)
                except Failure as e:
                    print(f"FAIL bad case {name} [{tag}]: {e}")
                    failed += 1
                    continue
                problems = []
                if p.returncode != exp["exit"]:
                    problems.append(f"exit status {p.returncode}, expected {exp['exit']}")
                want = exp.get("stderr_contains") or ""
                if want and want.lower() not in p.stderr.lower():
                    problems.append(f"stderr does not contain {want!r}")
                if exp["exit"] != 0 and p.returncode < 0:
                    problems.append(f"killed by signal {-p.returncode}")
                if not problems and exp["exit"] == 0:
                    # valid (degenerate) input: the output must match the reference
                    try:
                        ref = run_eval([sys.executable, opt.ref, "--gt", os.path.join(d, "gt"),
                                        "--pred", os.path.join(d, "pred")] + exp.get("args", []),
                                       None, os.path.join(tmp, f"{name}_ref.json"), opt.timeout,
                                       "ref_semantic.py")
                        got = load_json_strict(out_json)
                        diff = compare_results(ref, got, opt.tol, opt.max_diffs)
                        if diff.count:
                            problems.append(diff.report("output vs reference"))
                    except (Failure, OSError, ValueError) as e:
                        problems.append(f"cannot compare with the reference: {e}")
                if problems:
                    print(f"FAIL bad case {name} [{tag}] ({exp.get('note', '')}): " + "; ".join(problems)
                          + f"\n  command: {' '.join(cmd)}\n  stderr: {p.stderr.strip()[-1000:]!r}")
                    failed += 1
                else:
                    print(f"ok   bad case {name} [{tag}]: exit {p.returncode}"
                          + (f", stderr: {p.stderr.strip().splitlines()[-1][:160]}" if p.stderr.strip() else ""))
    return failed


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--maskeval", required=True, help="path of the maskeval binary")
    ap.add_argument("--seed", type=int)
    ap.add_argument("--profile")
    ap.add_argument("--work", help="work directory for generated sets and outputs")
    ap.add_argument("--fixtures", help="tests/data/segmetrics")
    ap.add_argument("--bad", help="directory written by gen_labels.py --profile bad")
    ap.add_argument("--backend", action="append", choices=("cpu", "opencl"))
    ap.add_argument("--ref", default=REF)
    ap.add_argument("--nest", type=int, default=0,
                    help="also run on copies spread over N subfolders (recursive search)")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--tol", type=float, default=1e-12)
    ap.add_argument("--max-diffs", type=int, default=40)
    opt = ap.parse_args(argv)
    modes = [opt.fixtures is not None, opt.bad is not None,
             opt.seed is not None or opt.profile is not None or opt.work is not None]
    if sum(modes) != 1:
        ap.error("give exactly one of: --seed/--profile/--work, --fixtures, --bad")
    if modes[2] and (opt.seed is None or opt.profile is None or opt.work is None):
        ap.error("--seed, --profile and --work go together")
    opt.maskeval = os.path.abspath(opt.maskeval) if os.sep in opt.maskeval else opt.maskeval
    opt.ref = os.path.abspath(opt.ref)
    try:
        if opt.fixtures is not None:
            failed = mode_fixtures(opt)
        elif opt.bad is not None:
            failed = mode_bad(opt, opt.bad)
        else:
            failed = mode_random(opt)
    except Failure as e:
        print(f"ERROR: {e}")
        return 2
    print("PASSED" if not failed else f"FAILED ({failed})")
    return 0 if not failed else 1


if __name__ == "__main__":
    sys.exit(main())
