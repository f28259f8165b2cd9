#!/usr/bin/env python3
"""Determinism: the same inputs give byte-identical --json files (and
--dump-arrays files) whatever the thread count (1, 2, 8) and backend
(cpu, and opencl when a device exists, also with a device budget small
enough to force many double-buffered batches), run after run."""
import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return p.stdout


def same_json(a, b, backend, iou="segm"):
    """Byte-identical apart from the last member, "backend", which must name
    the backend b ran on ("cpu", or "opencl: DEVICE (PLATFORM, DRIVER)")."""
    with open(a, "rb") as f:
        da = f.read()
    with open(b, "rb") as f:
        db = f.read()
    ha, sep_a, _ = da.rpartition(b',\n "backend": ')
    hb, sep, tail = db.rpartition(b',\n "backend": ')
    if not sep_a and not sep:
        return da == db  # no backend member in this output
    if not sep or ha != hb:
        return False
    name = json.loads(tail.rstrip()[:-1])
    want = "opencl:" if backend.startswith("opencl") and iou == "segm" else "cpu"
    ok = name.startswith(want)
    if not ok:
        print(f"backend {name!r}, wanted {want}...")
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    os.makedirs(args.work)
    backends = [("cpu", [])]
    if "no OpenCL devices" not in run([args.maskeval, "devices"]):
        backends.append(("opencl", []))
        backends.append(("opencl-small", ["--max-device-mem", "1M"]))
    data = os.path.join(args.work, "data")
    run([args.python, os.path.join(HERE, "..", "parity", "gen_coco.py"), "--seed", "11",
         "--profile", "many_dets", "--out", data])
    sem = os.path.join(args.work, "sem")
    run([args.python, os.path.join(HERE, "..", "semantic", "gen_labels.py"), "--seed", "3",
         "--profile", "gray8", "--out", sem])
    failures = 0
    for iou in ("segm", "bbox"):
        ref = None
        for backend, extra in backends:
            for threads in (1, 2, 8, 2):
                tag = f"{iou}-{backend}-{threads}"
                out = os.path.join(args.work, tag)
                if os.path.exists(out):
                    tag += "-again"
                    out += "-again"
                run([args.maskeval, "coco", "--gt", os.path.join(data, "gt.json"), "--dt",
                     os.path.join(data, "dt.json"), "--iou-type", iou, "--backend", backend.split("-")[0],
                     "--threads", str(threads), "--json", out + ".json", "--dump-arrays", out,
                     "--quiet"] + extra)
                if ref is None:
                    ref = out
                    continue
                same = same_json(ref + ".json", out + ".json", backend, iou) and all(
                    filecmp.cmp(os.path.join(ref, f), os.path.join(out, f), shallow=False)
                    for f in ("arrays.json", "precision.f64", "recall.f64", "scores.f64"))
                print(f"{'OK' if same else 'DIFFERENT'} coco {tag}")
                failures += not same
    ref = None
    sem_args = json.load(open(os.path.join(sem, "args.json")))["maskeval_args"]
    for backend, extra in backends:
        for threads in (1, 2, 8):
            out = os.path.join(args.work, f"sem-{backend}-{threads}.json")
            run([args.maskeval, "semantic", "--gt", os.path.join(sem, "gt"), "--pred",
                 os.path.join(sem, "pred")] + sem_args + ["--backend", backend.split("-")[0],
                 "--threads", str(threads), "--json", out, "--quiet"] + extra)
            if ref is None:
                ref = out
                continue
            same = same_json(ref, out, backend)
            print(f"{'OK' if same else 'DIFFERENT'} semantic {backend} {threads} threads")
            failures += not same
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
