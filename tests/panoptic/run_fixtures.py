#!/usr/bin/env python3
"""maskeval panoptic against the outputs recorded from panopticapi and
boundary-iou-api (tests/data/panoptic/<set>/expected.json, recorded by
record_reference.py; neither tool is on PyPI, so CI compares with the
recording). Every number is compared with ==: per category (iou, tp, fp, fn),
per class (pq, sq, rq), All / Things / Stuff (pq, sq, rq, n), for each
recorded chunk count (panopticapi's process count, --chunks) and, for Boundary
PQ, each dilation ratio. The error cases must fail with exit status 1 and a
message, never a crash, exactly where the reference raised; where the
reference ran, maskeval must give its numbers.

    run_fixtures.py --maskeval BIN --data tests/data/panoptic [--threads 1,2]
"""
import argparse
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile


def same(a, b):
    if a in ("inf", "-inf", "nan"):
        # recorded as strings; JSON has no such numbers, maskeval writes null
        return b is None
    if isinstance(a, float) and math.isnan(a):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if a is None:
        return b is None
    return a == b and type(a) in (int, float) and type(b) in (int, float)


def run(args, exe, threads, backend="cpu"):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "pq.json")
        p = subprocess.run([exe, "panoptic", *args, "--json", out, "--threads", str(threads),
                            "--backend", backend],
                           capture_output=True, text=True, timeout=300)
        if p.returncode != 0:
            return p.returncode, p.stderr, None
        with open(out) as f:
            return 0, p.stderr, json.load(f)


def compare(want, got, where, failures):
    for cat, w in want["per_category"].items():
        g = got["per_class"].get(cat)
        if g is None:
            failures.append(f"{where}: category {cat} missing")
            continue
        for k in ("iou", "tp", "fp", "fn"):
            if not same(w[k], g[k]):
                failures.append(f"{where}: category {cat} {k}: want {w[k]!r} got {g[k]!r}")
    for cat, w in want.get("per_class", {}).items():
        g = got["per_class"][cat]
        for k in ("pq", "sq", "rq"):
            if not same(w[k], g[k]):
                failures.append(f"{where}: class {cat} {k}: want {w[k]!r} got {g[k]!r}")
    for grp in ("All", "Things", "Stuff"):
        w, g = want.get(grp), got[grp]
        if w is None:
            continue
        for k in ("pq", "sq", "rq", "n"):
            if k in w and not same(w[k], g[k]):
                failures.append(f"{where}: {grp} {k}: want {w[k]!r} got {g[k]!r}")


def check_inputs(d, sha, failures):
    for rel, h in sha.items():
        path = os.path.join(d, rel)
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != h:
                failures.append(f"{path}: contents differ from the recording")


def set_args(d):
    return ["--gt-json", os.path.join(d, "gt.json"), "--pred-json", os.path.join(d, "pred.json"),
            "--gt-dir", os.path.join(d, "gt"), "--pred-dir", os.path.join(d, "pred")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--backend", action="append",
                    help="repeat every run with each backend (default: cpu); error messages "
                         "must then be the same on each")
    a = ap.parse_args()
    backends = a.backend or ["cpu"]
    failures, checked = [], 0
    threads = [int(t) for t in a.threads.split(",")]
    for name in sorted(os.listdir(a.data)):
        d = os.path.join(a.data, name)
        exp_path = os.path.join(d, "expected.json")
        if name == "errors" or not os.path.exists(exp_path):
            continue
        with open(exp_path) as f:
            exp = json.load(f)
        check_inputs(d, exp.get("inputs_sha256", {}), failures)
        runs = [("pq", [], exp["pq"])]
        for ratio, by_chunks in exp.get("boundary_pq", {}).items():
            runs.append((f"boundary {ratio}", ["--dilation-ratio", ratio], by_chunks))
        for label, extra, by_chunks in runs:
            for key, want in by_chunks.items():
                chunks = key.split("_")[1]
                for t, be in ((t, be) for t in threads for be in backends):
                    where = f"{name}: {label}, --chunks {chunks}, --threads {t}, --backend {be}"
                    rc, err, got = run(set_args(d) + extra + ["--chunks", chunks], a.maskeval, t,
                                       be)
                    if want.get("error") and "ZeroDivisionError" in want["error"] and rc == 0:
                        # a group without categories: panopticapi divides by
                        # zero, maskeval reports null means with n = 0
                        empty = [g for g in ("All", "Things", "Stuff") if got[g]["n"] == 0]
                        if not empty or any(got[g]["pq"] is not None for g in empty):
                            failures.append(f"{where}: expected a group with n = 0, null means")
                        if "per_category" in want:
                            compare(want, got, where, failures)
                        checked += 1
                        continue
                    if want.get("error"):
                        if rc != 1 or not err.startswith("maskeval: "):
                            failures.append(f"{where}: the reference raised {want['error']}; "
                                            f"maskeval exited {rc}: {err.strip()}")
                        continue
                    if rc != 0:
                        failures.append(f"{where}: exit {rc}: {err.strip()}")
                        continue
                    compare(want, got, where, failures)
                    checked += 1
    # shards: --shard I/3 --partial, merged in a shuffled order, == one process, byte for byte
    for name in sorted(os.listdir(a.data)):
        d = os.path.join(a.data, name)
        if name == "errors" or not os.path.exists(os.path.join(d, "expected.json")):
            continue
        for extra in ([], ["--dilation-ratio", "0.02"]):
            with tempfile.TemporaryDirectory() as tmp:
                base = set_args(d) + extra + ["--chunks", "7"]
                one = os.path.join(tmp, "one.json")
                p = subprocess.run([a.maskeval, "panoptic", *base, "--json", one],
                                   capture_output=True, timeout=300)
                if p.returncode != 0:
                    continue  # a set the reference refuses (checked above)
                parts = []
                for i in (2, 0, 1):
                    part = os.path.join(tmp, f"s{i}.part")
                    q = subprocess.run([a.maskeval, "panoptic", *base, "--shard", f"{i}/3",
                                        "--partial", part], capture_output=True, timeout=300)
                    if q.returncode != 0:
                        failures.append(f"{name}: shard {i}/3 {extra}: {q.stderr.decode()}")
                    parts.append(part)
                merged = os.path.join(tmp, "merged.json")
                q = subprocess.run([a.maskeval, "merge", *parts, "--json", merged],
                                   capture_output=True, timeout=300)
                with open(one, "rb") as f1:
                    want = f1.read()
                got = b""
                if q.returncode == 0:
                    with open(merged, "rb") as f2:
                        got = f2.read()
                if q.returncode != 0 or want != got:
                    failures.append(f"{name}: 3 shards merged {extra} differ from one process "
                                    f"(merge exit {q.returncode}: {q.stderr.decode().strip()})")
                checked += 1
    # error cases: where the reference raised, maskeval exits 1 with a message
    err_dir = os.path.join(a.data, "errors")
    if os.path.isdir(err_dir):
        with open(os.path.join(err_dir, "expected.json")) as f:
            cases = json.load(f)["cases"]
        for case, info in sorted(cases.items()):
            d = os.path.join(err_dir, case)
            for label, extra, key, be in ((lab, ex, k, be) for lab, ex, k in (
                    ("pq", [], "pq"),
                    ("boundary 0.02", ["--dilation-ratio", "0.02"], "boundary_pq_0.02"))
                    for be in backends):
                want = info.get(key)
                if want is None:
                    continue
                where = f"errors/{case}: {label}, --backend {be}"
                rc, err, got = run(set_args(d) + extra, a.maskeval, 1, be)
                if be != backends[0]:
                    rc0, err0, _ = run(set_args(d) + extra, a.maskeval, 1, backends[0])
                    if (rc, err) != (rc0, err0):
                        failures.append(f"{where}: exit {rc} {err.strip()!r} but with "
                                        f"{backends[0]}: exit {rc0} {err0.strip()!r}")
                if want.get("error"):
                    # a group without categories divides by zero in the
                    # reference; maskeval reports NaN (null) with n = 0
                    if "ZeroDivisionError" in want["error"] and rc == 0:
                        if got["All"]["n"] != 0 or got["All"]["pq"] is not None:
                            failures.append(f"{where}: expected n = 0 and null means")
                        checked += 1
                        continue
                    if rc != 1 or not err.startswith("maskeval: ") or "\n" in err.strip():
                        failures.append(f"{where}: the reference raised {want['error']}; "
                                        f"maskeval exited {rc}: {err.strip()}")
                    checked += 1
                    continue
                if rc != 0:
                    failures.append(f"{where}: the reference ran; maskeval exited {rc}: "
                                    f"{err.strip()}")
                    continue
                compare(want, got, where, failures)
                checked += 1
    for f in failures:
        print("FAIL", f)
    print(f"{checked} panoptic comparisons, {len(failures)} failures")
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
