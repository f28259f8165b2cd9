#!/usr/bin/env python3
"""Inputs that are not what they claim (the second hostile-input corpus):
exit 1 and one message naming the file and the element, quickly, and what
is valid still evaluates. One case per class:

  inputs that are not files: a device (/dev/zero) is refused at once, a pipe
  or FIFO is read (and gives the same numbers as the file); a dangling
  symlink among semantic PNGs is an error naming it;
  ids of magnitude 2^53 or more are refused (2^53 - 1 is fine);
  strings must be valid UTF-8 as json.load decodes them: each byte string
  here is checked against Python's own decoder, both ways;
  PNG CRC errors (in IDAT, in an ancillary chunk) are refused;
  a PNG decompression bomb (a header asking for 20000 x 20000) is a limit
  error before anything is decoded, and --max-image-pixels moves the limit.

    test_hostile_input.py --maskeval PATH --work DIR

Needs only the standard library (and the data in data/).
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data")
FAIL = []
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def run(exe, args, rc=None, stdin=None, timeout=60):
    p = subprocess.run([exe] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=timeout)
    p.err = p.stderr.decode("utf-8", "replace")
    if rc is not None and p.returncode != rc:
        raise AssertionError("exit %d, expected %d: %s\n%s" % (p.returncode, rc, " ".join(args), p.err))
    return p


def one_error(p, *needles):
    lines = p.err.strip().splitlines()
    assert len(lines) == 1, "want one error line, got:\n" + p.err
    for n in needles:
        assert n in p.err, "stderr lacks %r: %s" % (n, p.err)


def chunk(kind, body, crc=None):
    c = zlib.crc32(kind + body) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", c)


def png_gray8(w, h, rows, extra=b"", bad_idat_crc=False, bad_text_crc=False):
    raw = b"".join(b"\0" + bytes(r) for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    text = chunk(b"tEXt", b"Comment\0hostile", crc=0x12345678 if bad_text_crc else None)
    idat = zlib.compress(raw, 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + text + extra +
            chunk(b"IDAT", idat, crc=0xDEADBEEF if bad_idat_crc else None) + chunk(b"IEND", b""))


def png_bomb(w, h):
    """A valid header for w x h 8-bit grayscale and a tiny (short) IDAT: a
    decoder that trusts the header allocates w*h bytes first."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * 4096, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args(argv)
    exe, work = args.maskeval, args.work
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)
    W = lambda *p: os.path.join(work, *p)  # noqa: E731
    gt, dt = os.path.join(DATA, "gt.json"), os.path.join(DATA, "results.json")

    def coco(g, d, *extra):
        return ["coco", "--gt", g, "--dt", d, "--iou-type", "bbox", "--json", "-", "--quiet"] + list(extra)

    @case
    def device_input_refused_at_once():
        t = time.monotonic()
        p = run(exe, coco(gt, "/dev/zero"), rc=1)
        one_error(p, "/dev/zero", "not a regular file or a pipe")
        assert time.monotonic() - t < 10, "took %.1f s" % (time.monotonic() - t)

    @case
    def pipe_input_reads_like_the_file():
        want = run(exe, coco(gt, dt), rc=0).stdout
        got = run(exe, coco(gt, "/dev/stdin"), rc=0, stdin=open(dt, "rb").read()).stdout
        assert json.loads(got)["stats"] == json.loads(want)["stats"], "pipe input gave other numbers"
        fifo = W("dt.fifo")
        os.mkfifo(fifo)
        proc = subprocess.Popen([exe] + coco(gt, fifo), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        with open(fifo, "wb") as f:
            f.write(open(dt, "rb").read())
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert json.loads(out)["stats"] == json.loads(want)["stats"]

    @case
    def pipe_of_garbage_fails_at_the_first_byte():
        t = time.monotonic()
        p = run(exe, coco(gt, "/dev/stdin"), rc=1, stdin=b"\0" * (8 << 20))
        one_error(p, "/dev/stdin")
        assert time.monotonic() - t < 10

    def small(img_id=7, name=b"a"):
        """A one-image set: GT bytes with the image id and category name given
        (name as raw bytes), and results for that image."""
        g = (b'{"images": [{"id": %d, "height": 20, "width": 20}], "categories": [{"id": 1, "name": "'
             % img_id + name + b'"}], "annotations": [{"id": 1, "image_id": %d, "category_id": 1, '
             b'"iscrowd": 0, "area": 16, "bbox": [2, 2, 4, 4]}]}' % img_id)
        d = b'[{"image_id": %d, "category_id": 1, "score": 0.5, "bbox": [2, 2, 4, 5]}]' % img_id
        gp, dp = W("small_gt.json"), W("small_dt.json")
        open(gp, "wb").write(g)
        open(dp, "wb").write(d)
        return gp, dp, g

    @case
    def ids_at_2_53_refused():
        gp, dp, _ = small(img_id=7)
        want = json.loads(run(exe, coco(gp, dp), rc=0).stdout)["stats"]
        for big, ok in ((9007199254740993, False), (9007199254740992, False), (-9007199254740992, False),
                        (9007199254740991, True), (-9007199254740991, True)):
            gp, dp, _ = small(img_id=big)
            p = run(exe, coco(gp, dp))
            if ok:
                assert p.returncode == 0, "%d refused: %s" % (big, p.err)
                assert json.loads(p.stdout)["stats"] == want, p.stdout
            else:
                assert p.returncode == 1, "id %d: exit %d" % (big, p.returncode)
                one_error(p, "small_gt.json", "images[0]", "2^53")

    @case
    def strings_are_utf8_as_json_load_decodes_them():
        samples = [
            b"\xff\xfe", b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
            b"\xf8\x88\x80\x80\x80", b"\xe2\x82", b"a\x80b", b"\xc3",
            "caf\u00e9".encode(), "\u65e5\u672c".encode(), "\U0001f600".encode(), b"\xef\xbf\xbf",
            b"\xf4\x8f\xbf\xbf", b"\xed\x9f\xbf", b"\xee\x80\x80",
        ]
        accepted = 0
        for s in samples:
            gp, dp, text = small(name=s)
            try:
                json.loads(text.decode("utf-8"))
                python_ok = True
            except (UnicodeDecodeError, ValueError):
                python_ok = False
            p = run(exe, coco(gp, dp))
            if python_ok:
                accepted += 1
                assert p.returncode == 0, "%r refused, json.load takes it: %s" % (s, p.err)
            else:
                assert p.returncode == 1, "%r: exit %d, json.load refuses it" % (s, p.returncode)
                one_error(p, "small_gt.json", "UTF-8")
        assert accepted == 7, accepted

    def semantic_dirs(name, gt_pngs, pred_pngs):
        g, d = W(name, "gt"), W(name, "pred")
        os.makedirs(g)
        os.makedirs(d)
        for stem, data in gt_pngs.items():
            open(os.path.join(g, stem + ".png"), "wb").write(data)
        for stem, data in pred_pngs.items():
            open(os.path.join(d, stem + ".png"), "wb").write(data)
        return g, d

    def sem(g, d, *extra):
        return ["semantic", "--gt", g, "--pred", d, "--num-classes", "4", "--json", "-", "--quiet"] + list(extra)

    rows = [[(x + y) % 4 for x in range(16)] for y in range(16)]
    good = png_gray8(16, 16, rows)

    @case
    def valid_png_with_ancillary_chunks_counts():
        g, d = semantic_dirs("valid", {"a": good}, {"a": good})
        p = run(exe, sem(g, d), rc=0)
        out = json.loads(p.stdout)
        assert out["aAcc"] == 1 and out["confusion"] == [[64, 0, 0, 0], [0, 64, 0, 0], [0, 0, 64, 0],
                                                         [0, 0, 0, 64]], p.stdout

    @case
    def dangling_png_symlink_is_an_error():
        g, d = semantic_dirs("dangling", {"a": good, "b": good}, {"a": good})
        os.symlink(W("dangling", "nowhere.png"), os.path.join(d, "b.png"))
        p = run(exe, sem(g, d), rc=1)
        one_error(p, "b.png")

    @case
    def png_crc_errors_refused():
        for kw, chunk_name in (({"bad_idat_crc": True}, "IDAT"), ({"bad_text_crc": True}, "tEXt")):
            g, d = semantic_dirs("crc_" + chunk_name, {"a": good}, {"a": png_gray8(16, 16, rows, **kw)})
            p = run(exe, sem(g, d), rc=1)
            one_error(p, os.path.join("pred", "a.png"), "CRC error", chunk_name)

    @case
    def png_bomb_is_a_limit_error():
        g, d = semantic_dirs("bomb", {"a": good}, {"a": png_bomb(20000, 20000)})
        t = time.monotonic()
        p = run(exe, sem(g, d), rc=1)
        one_error(p, "a.png", "20000x20000", "limit", "--max-image-pixels")
        assert time.monotonic() - t < 10

    @case
    def max_image_pixels_moves_the_limit():
        g, d = semantic_dirs("limit", {"a": good}, {"a": good})
        p = run(exe, sem(g, d, "--max-image-pixels", "255"), rc=1)
        one_error(p, "a.png", "16x16", "255")
        run(exe, sem(g, d, "--max-image-pixels", "256"), rc=0)
        p = run(exe, sem(g, d, "--max-image-pixels", str((1 << 30) + 1)), rc=2)
        assert "--max-image-pixels" in p.err, p.err

    @case
    def infinite_area_refused():
        # decided and documented (README, Exactness): Python reads 1e400 as inf
        # and pycocotools evaluates with it; maskeval refuses it, naming it
        g = json.load(open(gt))
        g["annotations"][3]["area"] = 0.0
        text = json.dumps(g).replace('"area": 0.0', '"area": 1e400', 1)
        open(W("inf_area.json"), "w").write(text)
        p = run(exe, coco(W("inf_area.json"), dt), rc=1)
        one_error(p, "inf_area.json", "annotations[3]", "area: expected a finite number")

    @case
    def palette_png_without_plte_refused():
        # decided and documented: Pillow decodes the indices of such a file,
        # maskeval refuses it as the PNG standard does
        ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 3, 0, 0, 0)
        idat = zlib.compress(b"".join(b"\0" + bytes([1, 2, 3, 0]) for _ in range(4)), 9)
        no_plte = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) +
                   chunk(b"IEND", b""))
        g, d = semantic_dirs("no_plte", {"a": png_gray8(4, 4, [[0] * 4] * 4)}, {"a": no_plte})
        p = run(exe, sem(g, d), rc=1)
        one_error(p, os.path.join("pred", "a.png"), "PLTE")

    for fn in CASES:
        try:
            fn()
            print("ok   %s" % fn.__name__)
        except Exception as e:  # noqa: BLE001
            FAIL.append(fn.__name__)
            print("FAIL %s: %s" % (fn.__name__, e))
    if FAIL:
        print("%d of %d cases failed" % (len(FAIL), len(CASES)))
        return 1
    print("all %d cases passed" % len(CASES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
