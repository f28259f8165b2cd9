#!/usr/bin/env python3
"""Stand-in for the maskeval binary, built on pycocotools, to self-test the drivers.

    stub_maskeval.py coco --gt GT --dt DT --iou-type segm|bbox [--backend B]
                     [--dump-arrays DIR] [--json FILE] [evaluation options]

It mimics the `maskeval coco` interface that run_parity.py and micro.py drive:
the 12 summary lines on stdout, the arrays.json/.f64 dump and the --json file
with "stats" and "per_category". Setting MASKEVAL_STUB_FAULT to one of
stats, precision, recall, scores, summary, percat, params, crash makes it lie
in that one place, so the drivers' mismatch reports can be exercised:

    MASKEVAL_STUB_FAULT=precision run_parity.py --maskeval tests/parity/stub_maskeval.py ...
"""

import argparse
import json
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ref_coco  # noqa: E402


def flip_last_bit(path, index):
    """Change one float64 in a dump by one ulp (the smallest lie possible)."""
    index %= os.path.getsize(path) // 8
    with open(path, "r+b") as f:
        f.seek(8 * index)
        (bits,) = struct.unpack("<Q", f.read(8))
        f.seek(8 * index)
        f.write(struct.pack("<Q", bits ^ 1))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("coco",))
    ap.add_argument("--gt", required=True)
    ap.add_argument("--dt", required=True)
    ap.add_argument("--iou-type", required=True, choices=("segm", "bbox"))
    ap.add_argument("--backend", default="cpu")
    ap.add_argument("--dump-arrays")
    ap.add_argument("--json")
    ref_coco.add_eval_options(ap)
    args = ap.parse_args(argv)
    fault = os.environ.get("MASKEVAL_STUB_FAULT", "")
    if fault == "crash":
        print("stub: simulated crash", file=sys.stderr)
        return 3

    ev, summary = ref_coco.run(args.gt, args.dt, args.iou_type, args)
    if fault == "summary":
        summary = summary.replace("= 0.", "= 1.", 1)
    sys.stdout.write(summary)
    print("(stub maskeval, backend %s)" % args.backend)

    stats = [float(v) for v in ev.stats]
    if fault == "stats":
        stats[1] = stats[1] + 1e-16 if stats[1] > 0 else 0.5
    per_cat = ref_coco.per_category_ap(ev)
    with open(args.gt) as f:
        names = {c["id"]: c.get("name", "") for c in json.load(f).get("categories", [])}
    for pc in per_cat:
        pc["name"] = names.get(pc["category_id"], "")
    if fault == "percat" and per_cat:
        per_cat[0]["AP"] = 0.123
    if args.dump_arrays:
        meta = ref_coco.dump(ev, summary, args.iou_type, args.dump_arrays)
        meta["stats"] = stats
        if fault == "params":
            meta["iou_thrs"][8] = 0.9
        with open(os.path.join(args.dump_arrays, "arrays.json"), "w") as f:
            json.dump(meta, f, indent=1)
        if fault in ref_coco.ARRAY_NAMES:
            for i in (0, 7, 1000):
                flip_last_bit(os.path.join(args.dump_arrays, fault + ".f64"), i)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"iou_type": args.iou_type, "stats": stats, "per_category": per_cat}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
