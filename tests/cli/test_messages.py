#!/usr/bin/env python3
"""Helpful messages for common mistakes (issue 15 item 8), without changing
any number.

Accepted transparently, with output byte-identical to the plain files' (stdout
and --json): gzip-compressed GT / results (also through a pipe), a UTF-8
byte-order mark, both together.

Refused with exit 1 (input) or 2 (usage), one message naming the file and the
element, and no output file touched: JSON Lines results, NaN / Infinity
tokens, RLE counts written as str(bytes), swapped --gt / --dt, --cat-ids /
--img-ids absent from the ground truth, --iou-thrs outside [0, 1], a
truncated or corrupt .gz, other compressions.

Uses data/gt.json and data/results.json; needs only the standard library.
"""
import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys


def run(maskeval, args, timeout=60):
    return subprocess.run([maskeval, "coco"] + args, capture_output=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    m = args.maskeval
    w = args.work
    shutil.rmtree(w, ignore_errors=True)
    os.makedirs(w)
    gt_bytes = open(os.path.join(args.data, "gt.json"), "rb").read()
    dt_bytes = open(os.path.join(args.data, "results.json"), "rb").read()
    gt = json.loads(gt_bytes)
    dt = json.loads(dt_bytes)

    def write(name, data):
        path = os.path.join(w, name)
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return path

    GT = write("gt.json", gt_bytes)
    DT = write("dt.json", dt_bytes)
    failures = []
    n = 0

    # ---- accepted: same bytes out as the plain files ----------------------
    def accepted(name, gt_path, dt_path, iou="segm"):
        nonlocal n
        n += 1
        outs = []
        for g, d, tag in ((GT, DT, "plain"), (gt_path, dt_path, "variant")):
            out = os.path.join(w, f"{name.replace(' ', '_')}.{tag}.json")
            p = run(m, ["--gt", g, "--dt", d, "--iou-type", iou, "--json", out])
            if p.returncode != 0:
                failures.append(f"{name} ({tag}): exit {p.returncode}: {p.stderr.decode().strip()}")
                return
            outs.append((p.stdout, open(out, "rb").read()))
        if outs[0] != outs[1]:
            failures.append(f"{name}: output differs from the plain files'")

    gz_gt = write("gt.json.gz", gzip.compress(gt_bytes))
    gz_dt = write("dt.json.gz", gzip.compress(dt_bytes))
    # two gzip members, as `cat a.gz b.gz` makes (gzip -d reads both)
    gz2_dt = write("dt2.json.gz", gzip.compress(dt_bytes[:1000]) + gzip.compress(dt_bytes[1000:]))
    bom_gt = write("gt_bom.json", b"\xef\xbb\xbf" + gt_bytes)
    bom_dt = write("dt_bom.json", b"\xef\xbb\xbf" + dt_bytes)
    gzbom_dt = write("dt_bom.json.gz", gzip.compress(b"\xef\xbb\xbf" + dt_bytes))
    accepted("gzip gt", gz_gt, DT)
    accepted("gzip results", GT, gz_dt)
    accepted("gzip both (bbox)", gz_gt, gz_dt, "bbox")
    accepted("gzip two members", GT, gz2_dt)
    accepted("bom gt", bom_gt, DT)
    accepted("bom results", GT, bom_dt)
    accepted("bom inside gzip", GT, gzbom_dt)
    # a pipe: the gzip magic and a BOM pass its early not-JSON check
    n += 1
    p = subprocess.run(["bash", "-c", f'"$0" coco --gt <(cat "$1") --dt <(cat "$2") --iou-type segm',
                        m, gz_gt, bom_dt], capture_output=True, timeout=60)
    plain = run(m, ["--gt", GT, "--dt", DT, "--iou-type", "segm"])
    if p.returncode != 0 or p.stdout != plain.stdout:
        failures.append(f"gzip / bom through pipes: exit {p.returncode}: {p.stderr.decode().strip()}")

    # ---- refused -----------------------------------------------------------
    def refused(name, gt_path, dt_path, extra, want_rc, needles, iou="segm"):
        nonlocal n
        n += 1
        out = os.path.join(w, "out.json")
        with open(out, "w") as f:
            f.write("previous contents\n")
        arrays = os.path.join(w, "arrays")
        shutil.rmtree(arrays, ignore_errors=True)
        p = run(m, ["--gt", gt_path, "--dt", dt_path, "--iou-type", iou, "--json", out,
                    "--dump-arrays", arrays] + extra)
        err = p.stderr.decode()
        problems = []
        if p.returncode != want_rc:
            problems.append(f"exit {p.returncode}, want {want_rc}")
        for s in needles:
            if s not in err:
                problems.append(f"stderr lacks {s!r}")
        if want_rc == 1 and len(err.strip().splitlines()) != 1:
            problems.append("want exactly one error line")
        if p.stdout:
            problems.append("printed to stdout")
        if open(out).read() != "previous contents\n":
            problems.append("clobbered the --json file")
        if os.path.exists(arrays) and os.listdir(arrays):
            problems.append("wrote arrays")
        if [f for f in os.listdir(w) if ".tmp." in f]:
            problems.append("left temporary files")
        if problems:
            failures.append(f"{name}: " + "; ".join(problems) + f"\n    stderr: {err.strip()}")

    jsonl = write("dt.jsonl", "\n".join(json.dumps(r) for r in dt[:5]) + "\n")
    refused("json lines results", GT, jsonl, [], 1,
            [f"{jsonl}: looks like JSON Lines (one object per line)", "expects a JSON array of results"])
    gt_jsonl = write("gt.jsonl", json.dumps(gt) + "\n" + json.dumps(gt) + "\n")
    refused("json lines gt", gt_jsonl, DT, [], 1, [f"{gt_jsonl}: invalid JSON at line 2", "JSON Lines?"])

    nan = [dict(r) for r in dt[:20]]
    nan[17]["score"] = float("nan")
    nan_path = write("dt_nan.json", json.dumps(nan))  # what json.dump writes: NaN
    refused("score NaN", GT, nan_path, [], 1,
            [f"{nan_path}: result 17: score is NaN, which is not valid JSON", "float('nan')"])
    inf = [dict(r) for r in dt[:5]]
    inf[3]["bbox"] = [1, 2, float("inf"), 4]
    inf_path = write("dt_inf.json", json.dumps(inf))
    refused("bbox Infinity", GT, inf_path, [], 1, [f"{inf_path}: result 3: bbox[2] is Infinity"], "bbox")
    g = json.loads(gt_bytes)
    g["annotations"][4]["area"] = float("-inf")
    ginf = write("gt_inf.json", json.dumps(g))
    refused("gt area -Infinity", ginf, DT, [], 1, [f"{ginf}: annotations[4]: area is -Infinity"])

    rb = [dict(r) for r in dt[:5]]
    rb[3] = dict(rb[3], segmentation=dict(rb[3]["segmentation"]))
    rb[3]["segmentation"]["counts"] = str(rb[3]["segmentation"]["counts"].encode())  # "b'...'"
    rb_path = write("dt_bytes.json", json.dumps(rb))
    refused("counts as str(bytes)", GT, rb_path, [], 1,
            [f"{rb_path}: result 3: segmentation.counts: looks like a Python bytes repr \"b'...'\"",
             "counts.decode('ascii')"])

    refused("swapped --gt / --dt", DT, GT, [], 1,
            [f"{DT}: is a results list", "are --gt and --dt swapped?"])
    refused("ground truth as --dt", GT, GT, [], 1,
            [f"{GT}: is a COCO ground-truth file", "are --gt and --dt swapped?"])

    refused("--cat-ids absent", GT, DT, ["--cat-ids", "349,999"], 2,
            [f"--cat-ids: 999 is not a category of {GT}"])
    refused("--cat-ids several absent", GT, DT, ["--cat-ids", "1,2,3,4,5,6,7"], 2,
            [f"--cat-ids: 1, 2, 3, 4, 5, ... are not categories of {GT}"])
    img = gt["images"][0]["id"]
    refused("--img-ids absent", GT, DT, ["--img-ids", f"{img},424242"], 2,
            [f"--img-ids: 424242 is not an image of {GT}"])
    refused("--iou-thrs above 1", GT, DT, ["--iou-thrs", "0.5,1.5"], 2, ["--iou-thrs: 1.5 is outside [0, 1]"])
    refused("--iou-thrs below 0", GT, DT, ["--iou-thrs", "-0.25"], 2, ["--iou-thrs: -0.25 is outside [0, 1]"])
    refused("--iou-thrs NaN", GT, DT, ["--iou-thrs", "0.5,nan"], 2, ["--iou-thrs needs comma-separated finite numbers"])

    z = gzip.compress(dt_bytes)
    trunc = write("trunc.json.gz", z[: len(z) // 2])
    refused("truncated gzip", GT, trunc, [], 1, [f"{trunc}: gzip-compressed, but truncated"])
    bad = bytearray(z)
    bad[len(bad) // 2] ^= 0xFF
    corrupt = write("corrupt.json.gz", bytes(bad))
    refused("corrupt gzip", GT, corrupt, [], 1, [f"{corrupt}: gzip-compressed, but corrupt"])
    trail = write("trail.json.gz", z + b"junk")
    refused("gzip with trailing data", GT, trail, [], 1, [f"{trail}: gzip-compressed, with 4 bytes of other data"])
    zst = write("dt.json.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 16)
    refused("zstd", GT, zst, [], 1, [f"{zst}: zstd-compressed; decompress it first"])

    for f in failures:
        print("FAIL", f)
    print(f"{n - len(failures)}/{n} message cases pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
