#!/usr/bin/env python3
"""Sharded runs and `maskeval merge`, beyond the parity suite's byte-for-byte
checks of COCO sharding:

  * semantic: N in {1, 2, 3, 7} shards of generated label maps, merged in a
    shuffled order, print and write exactly what one run does (with and
    without Cityscapes names);
  * refusals, one test each: partials from other ground truth (or another
    semantic dataset), other parameters, another format version, overlapping
    images, a missing shard, a truncated file, a corrupt body, a corrupt
    header, something that is not a partial, COCO mixed with semantic, and
    the usage errors of --shard. Each exits non-zero with a message naming
    the file and writes no output.

    test_partials.py --maskeval PATH --work DIR
"""
import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import zlib

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
import gen_coco  # noqa: E402

FAILURES = []


def run(exe, args, expect_rc=0):
    proc = subprocess.run([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=120)
    if proc.returncode != expect_rc:
        raise AssertionError("exit %d (expected %d): %s\n%s" % (proc.returncode, expect_rc,
                                                               " ".join(args), proc.stderr))
    return proc


def case(name):
    def wrap(fn):
        def inner(*a):
            try:
                fn(*a)
                print("ok   %s" % name)
            except AssertionError as e:
                FAILURES.append(name)
                print("FAIL %s: %s" % (name, e))
        inner.__name__ = fn.__name__
        CASES.append(inner)
        return inner
    return wrap


CASES = []


def refuse(exe, work, args, needle, rc=1):
    """A merge (or run) that must fail, name what it names, and write no --json."""
    out = os.path.join(work, "must-not-exist.json")
    if os.path.exists(out):
        os.remove(out)
    extra = ["--json", out] if args and args[0] == "merge" else []
    proc = run(exe, args + extra, expect_rc=rc)
    if needle not in proc.stderr:
        raise AssertionError("message lacks %r: %r" % (needle, proc.stderr))
    if os.path.exists(out):
        raise AssertionError("an output file was written")
    return proc.stderr


def rewrite_header(path, out, version=None, flip_body=None, flip_header=None):
    with open(path, "rb") as f:
        b = bytearray(f.read())
    if version is not None:
        b[8:12] = version.to_bytes(4, "little")
        b[44:48] = (zlib.crc32(bytes(b[:44])) & 0xffffffff).to_bytes(4, "little")
    if flip_body is not None:
        b[48 + flip_body] ^= 0x01
    if flip_header is not None:
        b[flip_header] ^= 0x01
    with open(out, "wb") as f:
        f.write(bytes(b))


# ---------------------------------------------------------------------------
# COCO
# ---------------------------------------------------------------------------

def coco_setup(exe, work):
    d1, d2 = os.path.join(work, "coco1"), os.path.join(work, "coco2")
    gen_coco.write(11, d1)
    gen_coco.write(12, d2)
    parts = []
    for i in range(3):
        p = os.path.join(work, "c%d.mep" % i)
        run(exe, ["coco", "--gt", os.path.join(d1, "gt.json"), "--dt", os.path.join(d1, "dt.json"),
                  "--iou-type", "segm", "--shard", "%d/3" % i, "--partial", p, "--quiet"])
        parts.append(p)
    other_gt = os.path.join(work, "c_other_gt.mep")
    run(exe, ["coco", "--gt", os.path.join(d2, "gt.json"), "--dt", os.path.join(d2, "dt.json"),
              "--iou-type", "segm", "--shard", "1/3", "--partial", other_gt, "--quiet"])
    other_params = os.path.join(work, "c_other_params.mep")
    run(exe, ["coco", "--gt", os.path.join(d1, "gt.json"), "--dt", os.path.join(d1, "dt.json"),
              "--iou-type", "segm", "--max-dets", "1,10,50", "--shard", "1/3",
              "--partial", other_params, "--quiet"])
    return d1, parts, other_gt, other_params


# ---------------------------------------------------------------------------
# Semantic
# ---------------------------------------------------------------------------

def write_labels(root, n, k, seed, city=False):
    """n pairs of label maps; ground truth holds the ignore index 255, and
    predictions some values outside [0, k)."""
    rng = np.random.default_rng(seed)
    gt_dir, pr_dir = os.path.join(root, "gt"), os.path.join(root, "pred")
    os.makedirs(gt_dir)
    os.makedirs(pr_dir)
    ids = np.array([7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33, 0, 1])
    for i in range(n):
        h, w = int(rng.integers(5, 40)), int(rng.integers(5, 40))
        if city:
            g = ids[rng.integers(0, len(ids), (h, w))].astype(np.uint8)
            p = rng.integers(0, k + 2, (h, w)).astype(np.uint8)
        else:
            g = rng.integers(0, k, (h, w)).astype(np.uint8)
            g[rng.random((h, w)) < 0.1] = 255
            p = np.where(rng.random((h, w)) < 0.7, g, rng.integers(0, k + 1, (h, w))).astype(np.uint8)
        stem = "img%03d" % ((i * 37) % 101)  # file order differs from creation order
        Image.fromarray(g).save(os.path.join(gt_dir, stem + ".png"))
        Image.fromarray(p).save(os.path.join(pr_dir, stem + ".png"))
    return gt_dir, pr_dir


def semantic_shards(exe, work, gt_dir, pr_dir, k, extra, label):
    base = ["semantic", "--gt", gt_dir, "--pred", pr_dir, "--num-classes", str(k)] + extra
    one_json = os.path.join(work, label + "-one.json")
    one = run(exe, base + ["--json", one_json]).stdout
    with open(one_json, "rb") as f:
        want = f.read()
    for n in (1, 2, 3, 7):
        parts = []
        for i in range(n):
            p = os.path.join(work, "%s-%d-%d.mep" % (label, n, i))
            run(exe, base + ["--shard", "%d/%d" % (i, n), "--partial", p, "--quiet"])
            parts.append(p)
        random.Random(n).shuffle(parts)
        mj = os.path.join(work, "%s-merged-%d.json" % (label, n))
        got = run(exe, ["merge"] + parts + ["--json", mj]).stdout
        with open(mj, "rb") as f:
            got_json = f.read()
        if got != one or got_json != want:
            raise AssertionError("%s: %d shards + merge differ from one run" % (label, n))


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args(argv)
    exe, work = args.maskeval, args.work
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)

    d1, parts, other_gt, other_params = coco_setup(exe, work)
    sem_a = write_labels(os.path.join(work, "sem_a"), 11, 6, 1)
    sem_b = write_labels(os.path.join(work, "sem_b"), 11, 6, 2)
    sem_c = write_labels(os.path.join(work, "sem_c"), 9, 19, 3, city=True)
    for i in range(2):
        run(exe, ["semantic", "--gt", sem_a[0], "--pred", sem_a[1], "--num-classes", "6",
                  "--shard", "%d/2" % i, "--partial", os.path.join(work, "s%d.mep" % i), "--quiet"])
    run(exe, ["semantic", "--gt", sem_b[0], "--pred", sem_b[1], "--num-classes", "6",
              "--shard", "1/2", "--partial", os.path.join(work, "s_other_data.mep"), "--quiet"])
    run(exe, ["semantic", "--gt", sem_a[0], "--pred", sem_a[1], "--num-classes", "7",
              "--shard", "1/2", "--partial", os.path.join(work, "s_other_params.mep"), "--quiet"])
    s0, s1 = os.path.join(work, "s0.mep"), os.path.join(work, "s1.mep")

    @case("semantic: 1/2/3/7 shards + merge == one run (stdout, --json)")
    def _():
        semantic_shards(exe, work, sem_a[0], sem_a[1], 6, [], "plain")

    @case("semantic: Cityscapes names survive sharding")
    def _():
        semantic_shards(exe, work, sem_c[0], sem_c[1], 19, ["--label-map", "cityscapes"], "city")

    @case("coco: merge order does not matter")
    def _():
        a = run(exe, ["merge", parts[2], parts[0], parts[1]]).stdout
        b = run(exe, ["merge", parts[1], parts[2], parts[0]]).stdout
        if a != b:
            raise AssertionError("different output for another order")

    @case("refuse: other ground truth")
    def _():
        refuse(exe, work, ["merge", parts[0], other_gt, parts[2]], "another ground truth file")
        refuse(exe, work, ["merge", parts[0], other_gt, parts[2]], other_gt)

    @case("refuse: other parameters")
    def _():
        refuse(exe, work, ["merge", parts[0], other_params, parts[2]], "other parameters")

    @case("refuse: other format version")
    def _():
        p = os.path.join(work, "v2.mep")
        rewrite_header(parts[1], p, version=2)
        refuse(exe, work, ["merge", parts[0], p, parts[2]], p + ": partial-file format version 2")

    @case("refuse: overlapping images")
    def _():
        refuse(exe, work, ["merge", parts[0], parts[1], parts[2], parts[1]], "also in")

    @case("refuse: a missing shard")
    def _():
        refuse(exe, work, ["merge", parts[0], parts[2]], "of every shard")

    @case("refuse: truncated file")
    def _():
        with open(parts[1], "rb") as f:
            b = f.read()
        for cut in (5, 47, 48, len(b) // 2, len(b) - 1):
            p = os.path.join(work, "cut%d.mep" % cut)
            with open(p, "wb") as f:
                f.write(b[:cut])
            refuse(exe, work, ["merge", parts[0], p, parts[2]], p + ": ")

    @case("refuse: corrupt body (CRC)")
    def _():
        p = os.path.join(work, "flip.mep")
        rewrite_header(parts[1], p, flip_body=100)
        refuse(exe, work, ["merge", parts[0], p, parts[2]], p + ": corrupt partial file (body CRC)")

    @case("refuse: corrupt header (CRC)")
    def _():
        p = os.path.join(work, "fliph.mep")
        rewrite_header(parts[1], p, flip_header=20)
        refuse(exe, work, ["merge", parts[0], p, parts[2]], p + ": corrupt partial file (header CRC)")

    @case("refuse: not a partial file")
    def _():
        gt = os.path.join(d1, "gt.json")
        refuse(exe, work, ["merge", gt], gt + ": not a maskeval partial file")

    @case("refuse: COCO and semantic partials mixed")
    def _():
        refuse(exe, work, ["merge", parts[0], s0], "semantic")

    @case("refuse: semantic partials of another dataset")
    def _():
        refuse(exe, work, ["merge", s0, os.path.join(work, "s_other_data.mep")], "another dataset")

    @case("refuse: semantic partials with other parameters")
    def _():
        refuse(exe, work, ["merge", s0, os.path.join(work, "s_other_params.mep")], "other parameters")

    @case("refuse: semantic overlap and missing shard")
    def _():
        refuse(exe, work, ["merge", s0, s1, s1], "also in")
        refuse(exe, work, ["merge", s1], "of every shard")

    @case("usage: --shard without --partial, out of range, malformed")
    def _():
        gt, dt = os.path.join(d1, "gt.json"), os.path.join(d1, "dt.json")
        base = ["coco", "--gt", gt, "--dt", dt, "--iou-type", "bbox"]
        refuse(exe, work, base + ["--shard", "0/2"], "--partial", rc=2)
        refuse(exe, work, base + ["--shard", "2/2", "--partial", "x.mep"], "--shard", rc=2)
        refuse(exe, work, base + ["--shard", "a/2", "--partial", "x.mep"], "--shard", rc=2)
        refuse(exe, work, base + ["--partial", "x.mep", "--json", "y.json"], "merge", rc=2)
        refuse(exe, work, ["merge"], "no partial files", rc=2)

    for c in CASES:
        c()
    print("%d passed, %d failed" % (len(CASES) - len(FAILURES), len(FAILURES)))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
