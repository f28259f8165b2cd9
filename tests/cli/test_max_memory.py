#!/usr/bin/env python3
"""--max-memory: results read in passes over the images give the same bytes,
under the budget.

    test_max_memory.py --maskeval BIN --gen-coco-scale BIN --work DIR [--python PY]

A COCO-like set from gen_coco_scale (C, seeded) and, with --python (the test
venv), an LVIS-like one from tests/bench/lvis/gen_lvis_scale.py. Each is
evaluated once without a budget, measuring the child's peak RSS (wait4), and
again with --max-memory below that peak (60 % for COCO masks, 90 % for LVIS
masks, whose one-pass peak is within a third of what no pass count shrinks: the
1203-category arrays and every result's records), and boxes with a budget above
it (their per-result records, not the text, are most of the peak, so passes
cannot cut it much; the budget must then change nothing): stdout and --json
must be byte-identical, the mask runs must have taken more than one pass,
and every peak RSS must stay under its budget. The LVIS set is also evaluated with
--ap fixed and --ap pooled, with --dets-per-cat 40 so that the per-category cap
(ranked over the whole file in a first pass) decides which detections count. A
budget below what the ground truth needs is a usage error, and --max-memory with
--shard is refused.
"""
import argparse
import os
import subprocess
import sys


def peak_rss(argv):
    """(stdout, stderr, peak RSS in bytes) of one run."""
    pid = os.fork()
    if pid == 0:  # child: exec with stdout/stderr to files
        out = os.open("/tmp/.mm_out_%d" % os.getpid(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        err = os.open("/tmp/.mm_err_%d" % os.getpid(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(out, 1)
        os.dup2(err, 2)
        os.execv(argv[0], argv)
    _, status, ru = os.wait4(pid, 0)
    with open("/tmp/.mm_out_%d" % pid, "rb") as f:
        out = f.read()
    with open("/tmp/.mm_err_%d" % pid) as f:
        err = f.read()
    os.unlink("/tmp/.mm_out_%d" % pid)
    os.unlink("/tmp/.mm_err_%d" % pid)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise AssertionError("%s: exit %d: %s" % (" ".join(argv), code, err[-2000:]))
    return out, err, ru.ru_maxrss * 1024


def check(label, base, work, fraction=0.6, need_passes=True):
    one = os.path.join(work, label + "_one.json")
    passes = os.path.join(work, label + "_passes.json")
    out1, _, rss1 = peak_rss(base + ["--json", one])
    budget = int(rss1 * fraction)
    out2, err2, rss2 = peak_rss(base + ["--json", passes, "--max-memory", str(budget),
                                        "--timing"])
    with open(one, "rb") as f:
        a = f.read()
    with open(passes, "rb") as f:
        b = f.read()
    problems = []
    if out1 != out2:
        problems.append("stdout differs")
    if a != b:
        problems.append("--json differs")
    if need_passes and "passes over the images" not in err2:
        problems.append("ran in one pass: %r" % err2[-300:])
    if rss2 > budget:
        problems.append("peak RSS %.1f MB over the budget %.1f MB" % (rss2 / 2**20, budget / 2**20))
    print("%s %s: one pass %.1f MB; --max-memory %.1f MB -> %.1f MB%s" % (
        "FAIL" if problems else "ok  ", label, rss1 / 2**20, budget / 2**20, rss2 / 2**20,
        (": " + "; ".join(problems)) if problems else ""))
    return not problems


def edge_cases(exe, work):
    """--passes on the sample: every shape of results file the loader takes
    gives the bytes of one pass, and what it refuses, the same message."""
    import gzip
    import json
    data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")
    gt = os.path.join(data, "gt.json")
    with open(os.path.join(data, "results.json")) as f:
        res = json.load(f)
    d = os.path.join(work, "edge")
    os.makedirs(d, exist_ok=True)
    raw = json.dumps(res).encode()
    variants = {
        "plain": raw,
        "pretty": json.dumps(res, indent=2).encode(),
        "bom": b"\xef\xbb\xbf" + raw,
        "escaped_key": json.dumps(res).replace('"image_id"', '"image\\u005fid"', 3).encode(),
        "repeated_key": (b'[{"image_id": 1, ' + json.dumps(res[0])[1:].encode() + b", " +
                         json.dumps(res[1:])[1:].encode()),
        "first_elsewhere": json.dumps(sorted(res, key=lambda r: -r["image_id"])).encode(),
        "empty": b"[]",
        "unknown_image": json.dumps(res[:5] + [dict(res[5], image_id=987654321)] + res[6:]).encode(),
        "truncated": raw[:len(raw) // 2],
        "not_array": b'{"images": []}',
        "bad_score": json.dumps(res[:3] + [dict(res[3], score="high")] + res[4:]).encode(),
    }
    ok = True
    for name, body in variants.items():
        for gz in (False, True):
            path = os.path.join(d, name + (".json.gz" if gz else ".json"))
            with (gzip.open(path, "wb") if gz else open(path, "wb")) as f:
                f.write(body)
            outs = []
            for passes in (None, 3, 7):
                argv = [exe, "coco", "--gt", gt, "--dt", path, "--iou-type", "segm", "--backend",
                        "cpu", "--format", "json"] + (["--passes", str(passes)] if passes else [])
                p = subprocess.run(argv, capture_output=True)
                outs.append((p.returncode, p.stdout, p.stderr))
            same = all(o == outs[0] for o in outs[1:])
            if not same:
                print("FAIL --passes %s%s: differs from one pass: %r" % (
                    name, " (gzip)" if gz else "", [(o[0], o[2][-200:]) for o in outs]))
                ok = False
    if ok:
        print("ok   --passes 3 and 7 on %d kinds of results files (plain and gzip): the bytes "
              "and messages of one pass" % len(variants))
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--gen-coco-scale", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--python", help="interpreter with numpy and pycocotools (LVIS set)")
    args = ap.parse_args()
    os.makedirs(args.work, exist_ok=True)
    exe = os.path.abspath(args.maskeval)
    ok = True
    d = os.path.join(args.work, "coco")
    subprocess.run([args.gen_coco_scale, "--out", d, "--images", "3000", "--dets", "100"],
                   check=True, capture_output=True)
    # masks: the results text dominates, so passes cut the peak well below one
    # pass's; boxes: every result's records (48 bytes) and the arrays are most
    # of it, so a budget is only checked to change nothing
    for iou, dt, frac, need in (("segm", "dt.json", 0.6, True), ("bbox", "dt_bbox.json", 1.5, False)):
        base = [exe, "coco", "--gt", os.path.join(d, "gt.json"), "--dt", os.path.join(d, dt),
                "--iou-type", iou, "--backend", "cpu"]
        ok &= check("coco_" + iou, base, args.work, frac, need)
    if args.python:
        l = os.path.join(args.work, "lvis")
        gen = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench", "lvis",
                           "gen_lvis_scale.py")
        subprocess.run([args.python, gen, "--out", l, "--images", "1000", "--workers", "2"],
                       check=True, capture_output=True)
        base = [exe, "lvis", "--gt", os.path.join(l, "gt.json"), "--dt",
                os.path.join(l, "dt_segm.json"), "--iou-type", "segm", "--backend", "cpu"]
        ok &= check("lvis_segm", base, args.work, 0.9)
        for ap in ("fixed", "pooled"):
            ok &= check("lvis_segm_" + ap, base + ["--ap", ap, "--dets-per-cat", "40"],
                        args.work, 0.9)
    ok &= edge_cases(exe, args.work)
    # refusals
    gt, dt = os.path.join(d, "gt.json"), os.path.join(d, "dt.json")
    p = subprocess.run([exe, "coco", "--gt", gt, "--dt", dt, "--iou-type", "segm",
                        "--max-memory", "2M"], capture_output=True, text=True)
    ok &= p.returncode == 2 and "--max-memory" in p.stderr
    p = subprocess.run([exe, "coco", "--gt", gt, "--dt", dt, "--iou-type", "segm",
                        "--max-memory", "1G", "--shard", "0/2", "--partial", "x.mep"],
                       capture_output=True, text=True)
    ok &= p.returncode == 2 and "drop --shard" in p.stderr
    print("PASS" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
