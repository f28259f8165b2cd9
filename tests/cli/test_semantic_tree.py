#!/usr/bin/env python3
"""`maskeval semantic` on folder trees and with class names (issue 15, items
9 and 16); standard library only.

  * a Cityscapes-like tree (3 city folders, _gtFine_labelTrainIds /
    _leftImg8bit suffixes, the other gtFine files and hidden files beside
    them) gives the same confusion matrix as the same files flat, as nested
    ground truth with flat predictions, and as a pure-Python count;
  * the order is the sorted relative path, whatever the creation order
    (shard 0/N holds positions 0, N, 2N, ...), and the counts are named;
  * duplicate stems, unpaired files (counted, the first few named) and a
    symbolic link to a folder (not followed) are handled as documented;
  * --class-names cityscapes, ade20k, voc, a file (lines or a JSON array),
    wrong counts (the file and line named), and JSON escaping of a quote and
    non-ASCII UTF-8;
  * --json has "params"; sharded + merged --json (with names) is byte for
    byte the one-process one.

    test_semantic_tree.py --maskeval PATH --work DIR
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib

FAILURES = []
CASES = []
K = 5
IGNORE = 255


def case(name):
    def wrap(fn):
        def inner(*a):
            try:
                fn(*a)
                print("ok   %s" % name)
            except AssertionError as e:
                FAILURES.append(name)
                print("FAIL %s: %s" % (name, e))
        CASES.append(inner)
        return inner
    return wrap


def run(exe, args, expect_rc=0):
    proc = subprocess.run([exe] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120)
    if proc.returncode != expect_rc:
        raise AssertionError("exit %d (expected %d): %s\n%s" % (
            proc.returncode, expect_rc, " ".join(args), proc.stderr.decode("utf-8", "replace")))
    proc.out = proc.stdout.decode("utf-8")
    proc.err = proc.stderr.decode("utf-8", "replace")
    return proc


def write_png(path, w, h, px):
    """8-bit gray PNG."""
    raw = b"".join(b"\0" + bytes(px[y * w:(y + 1) * w]) for y in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


CITIES = ["zurich", "aachen", "bremen"]  # created out of order on purpose
GS, PS = "_gtFine_labelTrainIds", "_leftImg8bit"


def make_data(work):
    """Nested and flat copies of the same label maps; returns the pure-Python confusion."""
    rng = random.Random(15)
    cm = [[0] * K for _ in range(K)]
    images = []
    for city in CITIES:
        for i in rng.sample(range(10), 4):
            stem = "%s_%06d_000019" % (city, i)
            w, h = rng.randint(3, 9), rng.randint(3, 9)
            g = [rng.choice(list(range(K)) + [IGNORE]) for _ in range(w * h)]
            p = [min(K - 1, v) if rng.random() < 0.6 else rng.randrange(K) for v in g]
            images.append((city, stem))
            for a, b in zip(g, p):
                if a != IGNORE:
                    cm[a][b] += 1
            for root in ("nested", "flat"):
                sub = city if root == "nested" else ""
                write_png(os.path.join(work, root, "gt", sub, stem + GS + ".png"), w, h, g)
                write_png(os.path.join(work, root, "pred", sub, stem + PS + ".png"), w, h, p)
            # Cityscapes' other files beside the train ids: never picked up
            write_png(os.path.join(work, "nested", "gt", city, stem + "_gtFine_labelIds.png"), w, h, g)
            with open(os.path.join(work, "nested", "gt", city, stem + "_gtFine_polygons.json"), "w") as f:
                f.write("{}")
    # hidden entries are skipped
    write_png(os.path.join(work, "nested", "gt", ".cache", "x" + GS + ".png"), 2, 2, [0] * 4)
    write_png(os.path.join(work, "nested", "gt", "aachen", ".y" + GS + ".png"), 2, 2, [0] * 4)
    return cm, images


def read_png_gray8(path):
    """The samples of a PNG written by write_png (filter 0, one IDAT)."""
    with open(path, "rb") as f:
        b = f.read()
    w, h = struct.unpack(">II", b[16:24])
    at, data = 8, b""
    while at < len(b):
        n, = struct.unpack(">I", b[at:at + 4])
        if b[at + 4:at + 8] == b"IDAT":
            data += b[at + 8:at + 8 + n]
        at += 12 + n
    raw = zlib.decompress(data)
    return [v for y in range(h) for v in raw[y * (w + 1) + 1:(y + 1) * (w + 1)]]


def image_cells(work, key):
    g = read_png_gray8(os.path.join(work, "nested", "gt", key + GS + ".png"))
    p = read_png_gray8(os.path.join(work, "nested", "pred", key + PS + ".png"))
    cells = {}
    for a, b in zip(g, p):
        if a != IGNORE:
            cells[(a, b)] = cells.get((a, b), 0) + 1
    return cells


def partial_cells(path):
    """The confusion cells of a semantic partial (README "Partial files")."""
    with open(path, "rb") as f:
        b = f.read()
    at = 48 + 4 + 8
    for _ in range(2):  # lookup tables as runs
        runs, = struct.unpack("<I", b[at:at + 4])
        at += 4 + 12 * runs
    tag, = struct.unpack("<I", b[at:at + 4])
    at += 4 + (0 if tag == 0xffffffff else tag)
    n_items, _ = struct.unpack("<QQ", b[at:at + 16])
    at += 16 + (n_items + 7) // 8 + 8
    n_cells, = struct.unpack("<Q", b[at:at + 8])
    at += 8
    cells = {}
    for i in range(n_cells):
        r, c, v = struct.unpack("<IIQ", b[at + 16 * i:at + 16 * (i + 1)])
        cells[(r, c)] = v
    return cells


def sem(exe, gt, pred, extra=(), rc=0):
    return run(exe, ["semantic", "--gt", gt, "--pred", pred, "--num-classes", str(K),
                     "--gt-suffix", GS, "--pred-suffix", PS] + list(extra), rc)


def confusion(exe, work, gt, pred, extra=()):
    out = os.path.join(work, "c.json")
    sem(exe, gt, pred, ["--json", out, "--quiet"] + list(extra))
    with open(out) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    exe, work = args.maskeval, args.work
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    cm, images = make_data(work)
    n = len(images)
    ng, npd = os.path.join(work, "nested", "gt"), os.path.join(work, "nested", "pred")
    fg, fp = os.path.join(work, "flat", "gt"), os.path.join(work, "flat", "pred")

    @case("nested tree == flat == pure-Python confusion")
    def _():
        a = confusion(exe, work, ng, npd)
        b = confusion(exe, work, fg, fp)
        c = confusion(exe, work, ng, fp)
        assert a["confusion"] == cm, (a["confusion"], cm)
        assert b["confusion"] == cm and c["confusion"] == cm
        assert a["images"] == b["images"] == c["images"] == n
        assert a["params"]["pairing"] == "relative path", a["params"]
        assert b["params"]["pairing"] == "flat" and c["params"]["pairing"] == "stem"
        for k in ("mIoU", "aAcc", "fwIoU", "per_class"):
            assert a[k] == b[k] == c[k], k

    @case("counts named on stderr; --quiet silences them")
    def _():
        p = sem(exe, ng, npd)
        want = "found %d ground-truth and %d prediction label maps in 3 folders" % (n, n)
        assert want in p.err, p.err
        p = sem(exe, ng, fp)
        assert "in 3 folders and %d predictions in 1 folder (paired by stem)" % n in p.err, p.err
        p = sem(exe, ng, npd, ["--quiet"])
        # --quiet: the summary line only (as in every command), nothing on stderr
        assert p.err == "" and p.out.startswith("summary (percent): ") and \
            "per class" not in p.out, (p.err, p.out)

    @case("order: sorted relative path; shard i/N holds position i")
    def _():
        keys = sorted("%s/%s" % (c, s) for c, s in images)
        p = sem(exe, ng, npd, ["--shard", "1/3", "--partial", os.path.join(work, "o.mep")])
        assert "%d of %d image pairs" % (len(keys[1::3]), n) in p.err, p.err
        # one image per shard: shard i's counts are those of the i-th key
        for i, key in enumerate(keys):
            part = os.path.join(work, "order%d.mep" % i)
            sem(exe, ng, npd, ["--shard", "%d/%d" % (i, n), "--partial", part, "--quiet"])
            assert partial_cells(part) == image_cells(work, key), key

    @case("duplicate stems (flat side vs nested side) refused, both files named")
    def _():
        d = os.path.join(work, "dup")
        shutil.rmtree(d, ignore_errors=True)
        write_png(os.path.join(d, "gt", "a", "s" + GS + ".png"), 2, 2, [0] * 4)
        write_png(os.path.join(d, "gt", "b", "s" + GS + ".png"), 2, 2, [0] * 4)
        write_png(os.path.join(d, "pred", "s" + PS + ".png"), 2, 2, [0] * 4)
        p = sem(exe, os.path.join(d, "gt"), os.path.join(d, "pred"), rc=1)
        assert "duplicate ground-truth stem 's'" in p.err, p.err
        assert os.path.join("a", "s" + GS) in p.err and os.path.join("b", "s" + GS) in p.err
        # both nested: the relative path tells them apart
        write_png(os.path.join(d, "pred2", "a", "s" + PS + ".png"), 2, 2, [0] * 4)
        write_png(os.path.join(d, "pred2", "b", "s" + PS + ".png"), 2, 2, [0] * 4)
        sem(exe, os.path.join(d, "gt"), os.path.join(d, "pred2"))

    @case("unpaired files: counted, the first 3 named, exit 1")
    def _():
        d = os.path.join(work, "unpaired")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(npd, os.path.join(d, "pred"))
        gone = sorted(os.listdir(os.path.join(d, "pred", "bremen")))
        for f in gone:
            os.remove(os.path.join(d, "pred", "bremen", f))
        write_png(os.path.join(d, "pred", "extra", "e" + PS + ".png"), 2, 2, [0] * 4)
        p = sem(exe, ng, os.path.join(d, "pred"), rc=1)
        assert "%d of %d ground-truth files have no prediction, 1 of %d predictions no ground "\
            "truth" % (len(gone), n, n - len(gone) + 1) in p.err, p.err
        assert p.err.count("no prediction ") == min(3, len(gone)), p.err
        assert "extra/e" + PS + ".png: unpaired prediction" in p.err, p.err

    @case("a symbolic link to a folder is not followed (warned)")
    def _():
        d = os.path.join(work, "link")
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(ng, os.path.join(d, "gt"))
        os.symlink(os.path.join(d, "gt"), os.path.join(d, "gt", "aachen", "loop"))
        p = sem(exe, os.path.join(d, "gt"), npd)
        assert "symbolic link to a folder, not followed" in p.err, p.err
        assert "found %d ground-truth" % n in p.err, p.err

    def names_json(spec, k, rc=0, extra=()):
        out = os.path.join(work, "names.json")
        p = run(exe, ["semantic", "--gt", fg, "--pred", fp, "--gt-suffix", GS, "--pred-suffix", PS,
                      "--num-classes", str(k), "--class-names", spec, "--json", out] + list(extra), rc)
        if rc != 0:
            return p, None
        with open(out, "rb") as f:
            raw = f.read()
        return p, (raw, json.loads(raw.decode("utf-8")))

    @case("built-in names: cityscapes 19, ade20k 150, voc 21 (first and last)")
    def _():
        for spec, k, first, last in (("cityscapes", 19, "road", "bicycle"),
                                     ("ade20k", 150, "wall", "flag"),
                                     ("voc", 21, "background", "tvmonitor")):
            p, (_, j) = names_json(spec, k)
            names = [c["name"] for c in j["per_class"]]
            assert len(names) == k and names[0] == first and names[-1] == last, names
            assert j["params"]["class_names"] == spec, j["params"]
            assert p.out.splitlines()[2].startswith(first + " "), p.out
            assert ("\n" + last + " ") in p.out, p.out
        _, (_, j) = names_json("ade20k", 150)
        assert [c["name"] for c in j["per_class"]][7] == "bed ", "mmseg spells 'bed '"
        p, _ = names_json("cityscapes", 20, rc=2)
        assert "cityscapes has 19 names, but --num-classes is 20" in p.err, p.err

    @case("names from a file (lines, JSON array); escaping; wrong counts name file and line")
    def _():
        tricky = ['back"ground', "caf\u00e9", "\u6771\u4eac", "back\\slash", "x"]
        lines = os.path.join(work, "names.txt")
        with open(lines, "wb") as f:
            f.write("\r\n".join(tricky).encode("utf-8") + b"\n")
        arr = os.path.join(work, "names_array.json")
        with open(arr, "w", encoding="utf-8") as f:
            json.dump(tricky, f, ensure_ascii=True)
        p1, (raw, j1) = names_json(lines, K)
        assert [c["name"] for c in j1["per_class"]] == tricky
        assert b'"back\\"ground"' in raw and "caf\u00e9".encode("utf-8") in raw, raw[:200]
        assert j1["params"]["class_names"]["path"] == lines, j1["params"]
        assert len(j1["params"]["class_names"]["digest"]) == 16
        assert "caf\u00e9 " in p1.out and 'back"ground' in p1.out
        _, (_, j2) = names_json(arr, K)
        assert [c["name"] for c in j2["per_class"]] == tricky
        p, _ = names_json(lines, K + 1, rc=2)
        assert lines + ": 5 names (line 5 is the last), but --num-classes is 6" in p.err, p.err
        p, _ = names_json(lines, K - 1, rc=2)
        assert lines + ": line 5: more names than --num-classes 4" in p.err, p.err
        p, _ = names_json(arr, K - 1, rc=2)
        assert arr + ": element 4: more names than" in p.err, p.err
        bad = os.path.join(work, "bad_names.txt")
        with open(bad, "wb") as f:
            f.write(b"a\nb\n\nd\ne\n")
        p, _ = names_json(bad, K, rc=2)
        assert bad + ": line 3: an empty name" in p.err, p.err
        with open(bad, "wb") as f:
            f.write(b"a\nb\n\xff\nd\ne\n")
        p, _ = names_json(bad, K, rc=2)
        assert bad + ": line 3: not UTF-8" in p.err, p.err
        p, _ = names_json(os.path.join(work, "nope.txt"), K, rc=2)
        assert "nope.txt" in p.err and "cityscapes, ade20k, voc" in p.err, p.err

    @case("--json params; no names: no name field")
    def _():
        j = confusion(exe, work, ng, npd, ["--ignore-index", "255"])
        assert "name" not in j["per_class"][0]
        want = {"num_classes": K, "ignore_index": IGNORE, "reduce_zero_label": False,
                "label_map": None, "pred_label_map": None, "class_names": None,
                "gt": ng, "pred": npd, "gt_suffix": GS, "pred_suffix": PS,
                "pairing": "relative path"}
        assert j["params"] == want, j["params"]
        lm = os.path.join(work, "map.json")
        with open(lm, "w") as f:
            json.dump({"4": 3}, f)
        j = confusion(exe, work, ng, npd, ["--label-map", lm, "--ignore-index", "-1",
                                           "--reduce-zero-label"])
        assert j["params"]["label_map"]["path"] == lm and j["params"]["ignore_index"] is None
        assert j["params"]["reduce_zero_label"] is True

    @case("sharded + merged --json and table byte-identical to one process, with names")
    def _():
        names = os.path.join(work, "names.txt")
        one = os.path.join(work, "one.json")
        p1 = sem(exe, ng, npd, ["--class-names", names, "--json", one])
        with open(one, "rb") as f:
            want = f.read()
        for shards in (2, 3, 7):
            parts = []
            for i in range(shards):
                parts.append(os.path.join(work, "s%d_%d.mep" % (shards, i)))
                sem(exe, ng, npd, ["--class-names", names, "--shard", "%d/%d" % (i, shards),
                                   "--partial", parts[-1], "--quiet"])
            out = os.path.join(work, "merged.json")
            random.Random(shards).shuffle(parts)
            p2 = run(exe, ["merge"] + parts + ["--json", out])
            with open(out, "rb") as f:
                got = f.read()
            assert got == want, "merged --json differs for %d shards" % shards
            assert p2.out == p1.out, (p2.out, p1.out)
        # other names: other parameters, refused
        a = os.path.join(work, "na.mep")
        b = os.path.join(work, "nb.mep")
        sem(exe, ng, npd, ["--class-names", names, "--shard", "0/2", "--partial", a, "--quiet"])
        sem(exe, ng, npd, ["--shard", "1/2", "--partial", b, "--quiet"])
        p = run(exe, ["merge", a, b], 1)
        assert "other parameters" in p.err, p.err

    for c in CASES:
        c()
    if FAILURES:
        print("%d failed: %s" % (len(FAILURES), ", ".join(FAILURES)))
        return 1
    print("all %d passed" % len(CASES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
