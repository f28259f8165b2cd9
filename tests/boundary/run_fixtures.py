#!/usr/bin/env python3
"""maskeval coco --iou-type boundary against Boundary AP recorded from
boundary-iou-api (tests/data/boundary/<case>.json, recorded by
record_reference.py; the tool is not on PyPI, so CI compares with the
recording). Generated cases are regenerated with tests/parity/gen_coco.py and
checked against the recorded input digests first; hand-made cases read
tests/data/boundary/inputs/. Compared with ==: the 12 stats, and the
precision / recall / scores arrays byte for byte, for every backend given,
and for 3 shards merged.

    run_fixtures.py --maskeval BIN --data tests/data/boundary [--backend cpu --backend opencl]
"""
import argparse
import base64
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def array_bytes(rec):
    assert rec["encoding"] == "zlib+base64" and rec["dtype"] == "<f8" and rec["order"] == "C"
    return zlib.decompress(base64.b64decode(rec["data"]))


def inputs(case, tmp, data):
    p = case["params"]
    if p["source"] == "gen_coco":
        out = os.path.join(tmp, "set")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "parity", "gen_coco.py"),
                        "--seed", str(p["seed"]), "--profile", p["profile"], "--out", out],
                       check=True, capture_output=True)
        return os.path.join(out, "gt.json"), os.path.join(out, "dt.json")
    # recorded relative to the repository: tests/data/boundary/inputs/...
    rel = lambda q: os.path.join(data, os.path.relpath(q, "tests/data/boundary"))
    return rel(p["gt"]), rel(p["dt"])


def evaluate(exe, gt, dt, ratio, extra, tmp, tag):
    arr = os.path.join(tmp, "arr_" + tag)
    js = os.path.join(tmp, tag + ".json")
    p = subprocess.run([exe, "coco", "--gt", gt, "--dt", dt, "--iou-type", "boundary",
                        "--dilation-ratio", repr(ratio), "--json", js, "--dump-arrays", arr,
                        "--quiet", *extra], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        return None, p.stderr
    with open(js) as f:
        stats = json.load(f)["stats"]
    out = {"stats": stats}
    for name in ("precision", "recall", "scores"):
        with open(os.path.join(arr, name + ".f64"), "rb") as f:
            out[name] = f.read()
    return out, ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--backend", action="append")
    a = ap.parse_args()
    backends = a.backend or ["cpu"]
    failures, checked = [], 0
    for path in sorted(glob.glob(os.path.join(a.data, "*.json"))):
        if os.path.basename(path) == "bands.json":
            continue
        with open(path) as f:
            case = json.load(f)
        name = case["case"]
        with tempfile.TemporaryDirectory() as tmp:
            gt, dt = inputs(case, tmp, a.data)
            if sha256(gt) != case["gt_sha256"] or sha256(dt) != case["dt_sha256"]:
                failures.append(f"{name}: inputs differ from the recorded ones (generator drift)")
                continue
            extra = ["--no-cats"] if case["eval_overrides"].get("useCats") == 0 else []
            want = {"stats": case["stats"]}
            for k in ("precision", "recall", "scores"):
                want[k] = array_bytes(case[k])
            for be in backends:
                got, err = evaluate(a.maskeval, gt, dt, case["dilation_ratio"],
                                    extra + ["--backend", be], tmp, be)
                if got is None:
                    failures.append(f"{name} [{be}]: maskeval failed: {err.strip()}")
                    continue
                if got["stats"] != want["stats"]:
                    failures.append(f"{name} [{be}]: stats {got['stats']} != {want['stats']}")
                for k in ("precision", "recall", "scores"):
                    if got[k] != want[k]:
                        failures.append(f"{name} [{be}]: {k} differs")
                checked += 1
            # 3 shards merged == the recording
            parts = []
            for i in range(3):
                part = os.path.join(tmp, f"s{i}.mep")
                p = subprocess.run([a.maskeval, "coco", "--gt", gt, "--dt", dt, "--iou-type",
                                    "boundary", "--dilation-ratio", repr(case["dilation_ratio"]),
                                    "--shard", f"{i}/3", "--partial", part, "--quiet",
                                    "--backend", backends[0], *extra],
                                   capture_output=True, text=True, timeout=600)
                if p.returncode != 0:
                    failures.append(f"{name}: shard {i}/3: {p.stderr.strip()}")
                parts.append(part)
            js = os.path.join(tmp, "merged.json")
            arr = os.path.join(tmp, "arr_merged")
            p = subprocess.run([a.maskeval, "merge", *reversed(parts), "--json", js,
                                "--dump-arrays", arr, "--quiet"],
                               capture_output=True, text=True, timeout=600)
            if p.returncode != 0:
                failures.append(f"{name}: merge: {p.stderr.strip()}")
            else:
                with open(js) as f:
                    merged = json.load(f)
                if merged["stats"] != want["stats"] or merged.get("iou_type") != "boundary":
                    failures.append(f"{name}: merged shards: stats or iou_type differ")
                with open(os.path.join(arr, "precision.f64"), "rb") as f:
                    if f.read() != want["precision"]:
                        failures.append(f"{name}: merged shards: precision differs")
                checked += 1
    for f in failures:
        print("FAIL", f)
    print(f"{checked} Boundary AP comparisons, {len(failures)} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
