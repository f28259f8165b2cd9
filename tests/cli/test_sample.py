#!/usr/bin/env python3
"""maskeval coco on data/ prints exactly what pycocotools printed, and its
--json stats equal pycocotools' to the last bit (data/expected.json)."""
import argparse
import json
import os
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--backend", default="cpu")
    args = ap.parse_args()
    expected = json.load(open(os.path.join(args.data, "expected.json")))
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for iou in ("segm", "bbox"):
            out = os.path.join(tmp, iou + ".json")
            proc = subprocess.run(
                [args.maskeval, "coco", "--gt", os.path.join(args.data, "gt.json"),
                 "--dt", os.path.join(args.data, "results.json"), "--iou-type", iou,
                 "--backend", args.backend, "--json", out],
                capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                print(f"{iou}: exit {proc.returncode}: {proc.stderr}")
                failed += 1
                continue
            want_lines = open(os.path.join(args.data, f"expected_{iou}.txt")).read()
            got_lines = "".join(proc.stdout.splitlines(keepends=True)[:12])
            stats = json.load(open(out))["stats"]
            ok = got_lines == want_lines and stats == expected[iou]
            print(f"{iou}: {'OK' if ok else 'MISMATCH'}")
            if not ok:
                print("want:\n" + want_lines + "got:\n" + got_lines)
                print("stats want", expected[iou], "\n      got ", stats)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
