#!/usr/bin/env python3
"""Reports (issue 14 items 2-4): --format csv|md|json, --plot, diff, gates.

  golden files: the sample's CSV, Markdown, SVG (with per-category charts),
  diff text/md/csv/json are byte-for-byte those in tests/data/reports/
  (regenerate with --update after an intended change, and review the diff);
  the CSV parses with Python's csv module and its "all" row equals --json's
  stats; every Markdown table has a header, a separator row and rows of the
  same column count; the SVG parses as XML, is byte-stable across runs and
  backends, and rsvg-convert renders it to a PNG with the curves' colours;
  diff sorts by magnitude, refuses other ground truth, IoU type and
  parameters (exit 1); gates exit 3 after writing every output, 0 when
  met, 2 for an unknown statistic.

    test_reports.py --maskeval PATH --work DIR [--update]

Needs only the standard library, and rsvg-convert (librsvg2-bin) for the
rendering case.
"""
import argparse
import csv
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import xml.dom.minidom
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "data")
GOLDEN = os.path.join(ROOT, "tests", "data", "reports")
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def run(exe, args, rc=0, cwd=None):
    p = subprocess.run([exe] + args, capture_output=True, timeout=300, cwd=cwd)
    if rc is not None and p.returncode != rc:
        raise AssertionError("%s exited %d, wanted %d\nstdout: %s\nstderr: %s"
                             % (" ".join(args), p.returncode, rc, p.stdout[-1500:],
                                p.stderr[-1500:]))
    return p


def png_pixels(path):
    """(width, height, set of RGB colours) of an 8-bit RGB/RGBA PNG."""
    with open(path, "rb") as fh:
        data = fh.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), (depth, ctype)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours = set()
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        for x in range(0, stride, bpp):
            colours.add(bytes(line[x:x + 3]))
        prev = line
    return w, h, colours


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--update", action="store_true", help="rewrite the golden files")
    args = ap.parse_args()
    exe = os.path.abspath(args.maskeval)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # names relative to data/, so that the golden files do not hold this machine's paths
    gt, dt = "gt.json", "results.json"

    def W(*p):
        return os.path.join(work, *p)

    def coco(extra, iou="segm", dtf=dt):
        return ["coco", "--gt", gt, "--dt", dtf, "--iou-type", iou, "--backend", "cpu"] + extra

    def golden(name, got):
        path = os.path.join(GOLDEN, name)
        if args.update:
            os.makedirs(GOLDEN, exist_ok=True)
            with open(path, "wb") as fh:
                fh.write(got)
            return
        with open(path, "rb") as fh:
            want = fh.read()
        assert got == want, "%s differs from the golden file %s (%d vs %d bytes); if the " \
            "change is intended, rerun with --update and review" % (name, path, len(got),
                                                                    len(want))

    # a second results file: every other detection
    with open(os.path.join(DATA, dt)) as fh:
        results = json.load(fh)
    with open(W("half.json"), "w") as fh:
        json.dump(results[::2], fh)
    run(exe, coco(["--json", W("a.json"), "--quiet"]), cwd=DATA)
    run(exe, coco(["--json", W("b.json"), "--quiet"], dtf=W("half.json")), cwd=DATA)

    @case
    def csv_golden_and_parses():
        out = run(exe, coco(["--format", "csv"]), cwd=DATA).stdout
        golden("sample_segm.csv", out)
        rows = list(csv.reader(io.StringIO(out.decode(), newline="")))
        assert rows[0][:3] == ["category_id", "name", "AP"] and len(rows[0]) == 14, rows[0]
        assert all(len(r) == 14 for r in rows), [len(r) for r in rows]
        with open(W("a.json")) as fh:
            doc = json.load(fh)
        assert rows[1][:2] == ["", "all"] and [float(v) for v in rows[1][2:]] == doc["stats"]
        per = {c["category_id"]: c for c in doc["per_category"]}
        assert len(rows) - 2 == len(per)
        for r in rows[2:]:
            c = per[int(r[0])]
            assert r[1] == c["name"]
            # the per-category AP column is the --json per-category AP (or -1 for null)
            assert float(r[2]) == (c["AP"] if c["AP"] is not None else -1), (r, c)

    @case
    def csv_and_md_escape_names():
        g = json.load(open(os.path.join(DATA, gt)))
        min(g["categories"], key=lambda c: c["id"])["name"] = 'a "quoted", name | with *stars*'
        with open(W("gt_names.json"), "w") as fh:
            json.dump(g, fh)
        out = run(exe, ["coco", "--gt", W("gt_names.json"), "--dt", os.path.join(DATA, dt),
                        "--iou-type", "segm", "--format", "csv"]).stdout.decode()
        rows = list(csv.reader(io.StringIO(out, newline="")))
        assert rows[2][1] == 'a "quoted", name | with *stars*', rows[2]
        md = run(exe, ["coco", "--gt", W("gt_names.json"), "--dt", os.path.join(DATA, dt),
                       "--iou-type", "segm", "--format", "md"]).stdout.decode()
        assert 'a "quoted", name \\| with \\*stars\\*' in md, md

    @case
    def markdown_golden_and_tables_well_formed():
        out = run(exe, coco(["--format", "md"]), cwd=DATA).stdout
        golden("sample_segm.md", out)
        check_md(out.decode())

    def check_md(text):
        tables = [b.strip().split("\n") for b in text.split("\n\n") if b.strip().startswith("|")]
        assert len(tables) >= 1, text
        for t in tables:
            def cells(line):
                body = line.replace("\\|", "\x00")
                assert body.startswith("|") and body.endswith("|"), line
                return body[1:-1].split("|")
            n = len(cells(t[0]))
            assert all(set(c.strip()) <= set("-:") and c.strip() for c in cells(t[1])), t[1]
            assert len(t) >= 3, t
            for line in t:
                assert len(cells(line)) == n, (line, n)

    @case
    def json_format_is_the_json_document():
        out = run(exe, coco(["--format", "json"]), cwd=DATA).stdout
        with open(W("a.json"), "rb") as fh:
            assert out == fh.read()
        run(exe, coco(["--format", "json", "--json", "-"]), rc=2, cwd=DATA)

    @case
    def svg_golden_xml_stable_across_backends():
        run(exe, coco(["--plot", W("pr.svg"), "--plot-per-category", "--quiet"]), cwd=DATA)
        with open(W("pr.svg"), "rb") as fh:
            svg = fh.read()
        golden("sample_segm_pr.svg", svg)
        doc = xml.dom.minidom.parseString(svg)
        root = doc.documentElement
        assert root.tagName == "svg" and root.getAttribute("xmlns") == "http://www.w3.org/2000/svg"
        lines = doc.getElementsByTagName("polyline")
        assert len(lines) >= 10, len(lines)
        run(exe, coco(["--plot", W("pr2.svg"), "--plot-per-category", "--quiet"]), cwd=DATA)
        with open(W("pr2.svg"), "rb") as fh:
            assert fh.read() == svg, "the SVG changed between two runs"
        devs = json.loads(run(exe, ["devices", "--json"]).stdout)
        if devs:
            run(exe, ["coco", "--gt", gt, "--dt", dt, "--iou-type", "segm", "--backend",
                      "opencl", "--plot", W("pr_cl.svg"), "--plot-per-category", "--quiet"],
                cwd=DATA)
            with open(W("pr_cl.svg"), "rb") as fh:
                assert fh.read() == svg, "the SVG differs between the CPU and OpenCL backends"
        # sharded + merged: the same picture
        for i in range(2):
            run(exe, coco(["--shard", "%d/2" % i, "--partial", W("p%d.mep" % i)]), cwd=DATA)
        run(exe, ["merge", W("p1.mep"), W("p0.mep"), "--plot", W("pr_m.svg"),
                  "--plot-per-category", "--quiet"])
        with open(W("pr_m.svg"), "rb") as fh:
            assert fh.read() == svg, "the merged run's SVG differs"

    @case
    def svg_renders():
        rsvg = shutil.which("rsvg-convert")
        assert rsvg, "rsvg-convert not found (Debian: librsvg2-bin, installed by .ci/deps.sh)"
        run(exe, coco(["--plot", W("main.svg"), "--quiet"]), cwd=DATA)
        subprocess.run([rsvg, "-o", W("main.png"), W("main.svg")], check=True, timeout=60)
        w, h, colours = png_pixels(W("main.png"))
        assert (w, h) == (720, 480), (w, h)
        # the IoU=0.50 curve's colour (#440154) and the last one's (#fde725) are drawn
        assert b"\x44\x01\x54" in colours and b"\xfd\xe7\x25" in colours, len(colours)

    @case
    def diff_sorted_and_golden():
        for fmt, ext in (("text", "txt"), ("md", "md"), ("csv", "csv"), ("json", "json")):
            out = run(exe, ["diff", "a.json", "b.json", "--format", fmt], cwd=work).stdout
            golden("diff_sample." + ext, out)
        d = json.loads(run(exe, ["diff", "a.json", "b.json", "--format", "json"],
                           cwd=work).stdout)
        mags = [abs(s["delta"]) for s in d["stats"] if s["delta"] is not None]
        assert mags == sorted(mags, reverse=True), mags
        with open(W("a.json")) as fh:
            a = json.load(fh)
        with open(W("b.json")) as fh:
            b = json.load(fh)
        names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs",
                 "ARm", "ARl"]
        for s in d["stats"]:
            i = names.index(s["stat"])
            assert s["a"] == a["stats"][i] and s["b"] == b["stats"][i]
            assert s["delta"] == b["stats"][i] - a["stats"][i]
        check_md(run(exe, ["diff", "a.json", "b.json", "--format", "md"], cwd=work).stdout
                 .decode())
        run(exe, ["diff", "a.json", "b.json", "--json", W("d.json"), "--quiet"], cwd=work)
        with open(W("d.json")) as fh:
            assert json.load(fh) == d

    @case
    def diff_refuses_incomparable():
        run(exe, coco(["--json", W("bbox.json"), "--quiet"], iou="bbox"), cwd=DATA)
        p = run(exe, ["diff", W("a.json"), W("bbox.json")], rc=1)
        assert b"segm evaluation" in p.stderr and p.stdout == b"", p.stderr
        run(exe, coco(["--json", W("md.json"), "--max-dets", "1,10,50", "--quiet"]), cwd=DATA)
        p = run(exe, ["diff", W("a.json"), W("md.json")], rc=1)
        assert b"params.max_dets" in p.stderr, p.stderr
        g = json.load(open(os.path.join(DATA, gt)))
        g["annotations"] = g["annotations"][1:]
        with open(W("gt2.json"), "w") as fh:
            json.dump(g, fh)
        run(exe, ["coco", "--gt", W("gt2.json"), "--dt", os.path.join(DATA, dt), "--iou-type",
                  "segm", "--json", W("other_gt.json"), "--quiet"])
        p = run(exe, ["diff", W("a.json"), W("other_gt.json")], rc=1)
        assert b"different ground truth" in p.stderr, p.stderr
        with open(W("junk.json"), "w") as fh:
            fh.write('{"stats": 1}')
        p = run(exe, ["diff", W("a.json"), W("junk.json")], rc=1)
        assert b"junk.json: not the --json output" in p.stderr, p.stderr
        run(exe, ["diff", W("a.json")], rc=2)

    @case
    def gates_exit_codes():
        with open(W("a.json")) as fh:
            ap = json.load(fh)["stats"][0]
        p = run(exe, coco(["--min-ap", repr(ap), "--quiet"]), cwd=DATA)  # AP >= AP holds
        p = run(exe, coco(["--min-ap", "0.9", "--json", W("g.json"), "--plot", W("g.svg"),
                           "--quiet"]), rc=3, cwd=DATA)
        err = p.stderr.decode().strip().splitlines()
        assert len(err) == 1 and err[0].startswith("maskeval: gate failed: AP = "), err
        assert os.path.exists(W("g.json")) and os.path.exists(W("g.svg")), \
            "a failed gate must still write every output"
        p = run(exe, coco(["--min", "AP50=0.1,AR100=0.95", "--quiet"]), rc=3, cwd=DATA)
        assert b"AR100 = " in p.stderr, p.stderr
        p = run(exe, coco(["--min", "APx=0.1"]), rc=2, cwd=DATA)
        assert b"unknown statistic 'APx'" in p.stderr, p.stderr
        p = run(exe, coco(["--min", "AP=abc"]), rc=2, cwd=DATA)
        # merge applies gates too
        for i in range(2):
            run(exe, coco(["--shard", "%d/2" % i, "--partial", W("q%d.mep" % i)]), cwd=DATA)
        run(exe, ["merge", W("q0.mep"), W("q1.mep"), "--min-ap", "0.9", "--quiet"], rc=3)
        run(exe, ["merge", W("q0.mep"), W("q1.mep"), "--min-ap", "0.1", "--quiet"], rc=0)

    def tide(extra, iou="segm", dtf=dt, gtf=gt):
        return ["tide", "--gt", gtf, "--dt", dtf, "--iou-type", iou, "--backend", "cpu"] + extra

    @case
    def tide_formats_golden():
        # text, csv and md of the sample are golden; json agrees with csv
        for fmt, ext in (("text", "txt"), ("csv", "csv"), ("md", "md")):
            out = run(exe, tide(["--format", fmt]), cwd=DATA).stdout
            golden("sample_tide." + ext, out)
        doc = json.loads(run(exe, tide(["--format", "json"]), cwd=DATA).stdout)
        assert doc["kind"] == "tide" and doc["reference"] == "tidecv 1.0.1", doc
        rows = list(csv.reader(io.StringIO(
            run(exe, tide(["--format", "csv"]), cwd=DATA).stdout.decode())))
        assert rows[0] == ["metric", "name", "value"], rows[0]
        got = {(r[0], r[1]): r[2] for r in rows[1:]}
        assert float(got[("AP", "0.5")]) == doc["AP"], (got[("AP", "0.5")], doc["AP"])
        for e, v in doc["main_errors"].items():
            assert float(got[("dAP", e)]) == v, e
            assert int(got[("count", e)]) == doc["error_counts"][e], e
        for e, v in doc["special_errors"].items():
            assert float(got[("dAP", e)]) == v, e
        assert float(got[("range_AP", "mean")]) == doc["range"]["mean"]
        assert [float(got[("range_AP", "%g" % th)]) for th in doc["range"]["thresholds"]] == \
            doc["range"]["AP"]
        check_md(run(exe, tide(["--format", "md"]), cwd=DATA).stdout.decode())
        # --json FILE writes the same document as --format json
        run(exe, tide(["--json", W("t.json"), "--quiet"]), cwd=DATA)
        with open(W("t.json")) as fh:
            assert json.load(fh) == doc
        # --no-range drops the range everywhere
        doc2 = json.loads(run(exe, tide(["--format", "json", "--no-range"]), cwd=DATA).stdout)
        assert doc2["range"] is None and doc2["AP"] == doc["AP"], doc2

    @case
    def tide_gates_and_usage():
        with open(W("t.json")) as fh:
            t = json.load(fh)
        run(exe, tide(["--min-ap", repr(t["AP"]), "--quiet"]), cwd=DATA)
        p = run(exe, tide(["--min-ap", "99", "--json", W("tg.json"), "--quiet"]), rc=3, cwd=DATA)
        err = p.stderr.decode().strip().splitlines()
        assert len(err) == 1 and err[0].startswith("maskeval: gate failed: AP = "), err
        assert os.path.exists(W("tg.json")), "a failed gate must still write every output"
        p = run(exe, tide(["--min", "AP50:95=99", "--quiet"]), rc=3, cwd=DATA)
        assert b"AP50:95 = " in p.stderr, p.stderr
        p = run(exe, tide(["--min", "AP50:95=1", "--no-range", "--quiet"]), rc=2, cwd=DATA)
        p = run(exe, tide(["--min", "APs=1"]), rc=2, cwd=DATA)
        assert b"unknown statistic 'APs'" in p.stderr, p.stderr
        for bad, msg in ((["--pos-thresh", "1.5"], b"--pos-thresh"),
                         (["--pos-thresh", "0"], b"--pos-thresh"),
                         (["--bg-thresh", "0.6"], b"--bg-thresh must not exceed"),
                         (["--max-dets", "0"], b"--max-dets"),
                         (["--format", "svg"], b"--format"),
                         (["--bogus"], b"unknown option --bogus")):
            p = run(exe, tide(bad), rc=2, cwd=DATA)
            assert msg in p.stderr, (bad, p.stderr)
        p = run(exe, ["tide", "--gt", gt, "--dt", dt], rc=2, cwd=DATA)
        assert b"--iou-type" in p.stderr, p.stderr
        p = run(exe, ["tide", "--gt", gt, "--dt", dt, "--iou-type", "keypoints"], rc=2, cwd=DATA)
        # an annotation on an image the file does not list: tidecv would raise
        # KeyError; maskeval names it
        with open(os.path.join(DATA, gt)) as fh:
            g = json.load(fh)
        g["annotations"][3]["image_id"] = 987654
        with open(W("orphan.json"), "w") as fh:
            json.dump(g, fh)
        p = run(exe, tide([], gtf=W("orphan.json")), rc=1, cwd=DATA)
        assert b"orphan.json" in p.stderr and b"annotations[3]" in p.stderr, p.stderr
        assert p.stdout == b"", "nothing may be printed for refused input"

    sem_dir = os.path.join(ROOT, "tests", "data", "segmetrics", "semantic_small")

    def semantic(extra):
        return ["semantic", "--gt", "gt", "--pred", "pred", "--num-classes", "4",
                "--backend", "cpu", "--quiet"] + extra

    @case
    def semantic_formats_golden():
        with open(W("names.txt"), "w") as fh:
            fh.write("road|lane\nsky\nc_d, \"e\"\nx\n")
        names = ["--class-names", W("names.txt")]
        out = run(exe, semantic(["--format", "csv"] + names), cwd=sem_dir).stdout
        golden("semantic_small.csv", out)
        md = run(exe, semantic(["--format", "md"] + names), cwd=sem_dir).stdout
        golden("semantic_small.md", md)
        check_md(md.decode())
        doc = json.loads(run(exe, semantic(["--format", "json"] + names), cwd=sem_dir).stdout)
        rows = list(csv.DictReader(io.StringIO(out.decode())))
        allrow, per = rows[0], rows[1:]
        assert allrow["name"] == "all" and allrow["class"] == "", allrow
        for key, col in (("mIoU", "IoU"), ("mAcc", "Acc"), ("mDice", "Dice"), ("mFscore", "Fscore"),
                         ("mPrecision", "Precision"), ("mRecall", "Recall"), ("aAcc", "aAcc"),
                         ("fwIoU", "fwIoU")):
            assert float(allrow[col]) == doc[key], (key, allrow[col], doc[key])
        assert len(per) == doc["num_classes"] == 4
        for c, (row, want) in enumerate(zip(per, doc["per_class"])):
            assert int(row["class"]) == c and row["name"] == want["name"], (row, want)
            for col in ("IoU", "Acc", "Dice", "Fscore", "Precision", "Recall"):
                got = float(row[col])
                assert (want[col] is None and got != got) or got == want[col], (c, col, got)
            for col in ("intersect", "union", "pred", "label"):
                assert int(row[col]) == want[col], (c, col)

    @case
    def semantic_gates_and_merge():
        p = run(exe, semantic(["--min", "mIoU=0.99", "--json", W("sg.json")]), rc=3, cwd=sem_dir)
        err = p.stderr.decode().strip().splitlines()
        assert err[-1].startswith("maskeval: gate failed: mIoU = "), err
        assert os.path.exists(W("sg.json")), "a failed gate must still write every output"
        run(exe, semantic(["--min", "mIoU=0.4,aAcc=0.7,fwIoU=0.5"]), cwd=sem_dir)
        p = run(exe, semantic(["--min-ap", "0.1"]), rc=2, cwd=sem_dir)
        assert b"unknown statistic 'AP'" in p.stderr, p.stderr
        p = run(exe, semantic(["--plot", W("x.svg")]), rc=2, cwd=sem_dir)
        whole = run(exe, semantic(["--format", "csv"]), cwd=sem_dir).stdout
        for i in range(3):
            run(exe, semantic(["--shard", "%d/3" % i, "--partial", W("s%d.mep" % i)]), cwd=sem_dir)
        p = run(exe, semantic(["--shard", "0/3", "--partial", W("sx.mep"), "--format", "csv"]),
                rc=2, cwd=sem_dir)
        parts = [W("s%d.mep" % i) for i in (2, 0, 1)]
        merged = run(exe, ["merge"] + parts + ["--format", "csv", "--quiet"]).stdout
        assert merged == whole, "merge --format csv differs from the unsharded run"
        run(exe, ["merge"] + parts + ["--min", "mIoU=0.99", "--quiet"], rc=3)
        run(exe, ["merge"] + parts + ["--min", "mIoU=0.1", "--quiet"], rc=0)
        p = run(exe, ["merge"] + parts + ["--numpy-compat", "legacy"], rc=2)
        assert b"--numpy-compat is for COCO partials" in p.stderr, p.stderr
        p = run(exe, semantic(["--numpy-compat", "legacy"]), rc=2, cwd=sem_dir)
        assert b"--numpy-compat is for COCO statistics" in p.stderr, p.stderr
        p = run(exe, tide(["--numpy-compat", "legacy"]), rc=2, cwd=DATA)
        assert b"--numpy-compat is for COCO statistics" in p.stderr, p.stderr
        p = run(exe, coco(["--numpy-compat", "1.26"]), rc=2, cwd=DATA)
        assert b"--numpy-compat must be 2.3 or legacy" in p.stderr, p.stderr
        # the sample has 4 categories (< 8193 entries): both modes agree, and
        # the JSON says which one ran
        a = json.loads(run(exe, coco(["--format", "json"]), cwd=DATA).stdout)
        b = json.loads(run(exe, coco(["--format", "json", "--numpy-compat", "legacy"]),
                           cwd=DATA).stdout)
        assert a["stats"] == b["stats"] and "numpy_compat" not in a["params"], a["params"]
        assert b["params"]["numpy_compat"] == "legacy", b["params"]
        p = run(exe, ["merge"] + parts + ["--min", "AP=0.1"], rc=2)
        assert b"not a statistic of semantic partials" in p.stderr, p.stderr
        p = run(exe, ["merge", W("q0.mep"), W("q1.mep"), "--min", "mIoU=0.1"], rc=2)
        assert b"not a statistic of COCO partials" in p.stderr, p.stderr

    failed = 0
    for fn in CASES:
        try:
            fn()
            print("ok   " + fn.__name__)
        except Exception as e:  # noqa: BLE001 - report every case
            failed += 1
            print("FAIL %s: %s" % (fn.__name__, e))
    print("%d of %d cases failed" % (failed, len(CASES)) if failed else
          "all %d cases passed" % len(CASES))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
