#!/usr/bin/env python3
"""maskeval.panoptic.pq_compute against the outputs recorded from panopticapi and
boundary-iou-api (tests/data/panoptic): for every set and chunk count, the result
dict == the recorded All / Things / Stuff (pq sq rq n) and per_class (pq sq rq,
with sq the int 0 where tp == 0), its printed table == the recorded one, and for
Boundary PQ the same at each recorded ratio; the sets whose reference raised
raise here too; both backends.

    test_panoptic.py [--data tests/data/panoptic] [--backend cpu --backend opencl]
"""
import argparse
import contextlib
import io
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
import maskeval.panoptic as mp  # noqa: E402

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL", msg)


def run(d, chunks, ratio, backend):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        r = mp.pq_compute(os.path.join(d, "gt.json"), os.path.join(d, "pred.json"),
                          os.path.join(d, "gt"), os.path.join(d, "pred"), chunks=chunks,
                          dilation_ratio=ratio, backend=backend)
    return r, out.getvalue().splitlines()


def compare(where, want, got, lines):
    for g in ("All", "Things", "Stuff"):
        for k in ("pq", "sq", "rq", "n"):
            if k in want.get(g, {}) and got[g][k] != want[g][k]:
                fail("%s: %s %s: %r != %r" % (where, g, k, got[g][k], want[g][k]))
    per = got["per_class"]
    if [str(k) for k in per] != list(want["per_class"]):
        fail("%s: per_class keys %s != %s" % (where, list(per), list(want["per_class"])))
    for cid, w in want["per_class"].items():
        g = per.get(int(cid))
        if g is None:
            continue
        for k in ("pq", "sq", "rq"):
            if g[k] != w[k] or type(g[k]) is not type(w[k]):
                fail("%s: class %s %s: %r != %r" % (where, cid, k, g[k], w[k]))
    if "printed_table" in want:
        table = [l for l in lines if "|" in l or l.startswith("---")]
        if table != want["printed_table"]:
            fail("%s: printed table %s != %s" % (where, table, want["printed_table"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data", "panoptic"))
    ap.add_argument("--backend", action="append")
    a = ap.parse_args()
    checked = 0
    for name in sorted(os.listdir(a.data)):
        d = os.path.join(a.data, name)
        exp_path = os.path.join(d, "expected.json")
        if name == "errors" or not os.path.exists(exp_path):
            continue
        with open(exp_path) as f:
            exp = json.load(f)
        runs = [(0.0, exp["pq"])] + [(float(r), v) for r, v in exp.get("boundary_pq", {}).items()]
        for ratio, by_chunks in runs:
            for key, want in by_chunks.items():
                chunks = int(key.split("_")[1])
                for be in a.backend or ["cpu"]:
                    where = "%s: ratio %g, chunks %d, %s" % (name, ratio, chunks, be)
                    err = want.get("error")
                    try:
                        got, lines = run(d, chunks, ratio, be)
                    except ZeroDivisionError:
                        if not err or "ZeroDivisionError" not in err:
                            fail("%s: ZeroDivisionError, the reference gave %s" % (where, err))
                        checked += 1
                        continue
                    except (ValueError, Exception) as e:  # noqa: BLE001
                        if not err:
                            fail("%s: %s: %s" % (where, type(e).__name__, e))
                        checked += 1
                        continue
                    if err:
                        fail("%s: ran, but the reference raised %s" % (where, err))
                        continue
                    compare(where, want, got, lines)
                    checked += 1
    # panopticapi's folder check, and a default folder derived from the JSON path
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            mp.pq_compute(os.path.join(a.data, "random_a", "gt.json"),
                          os.path.join(a.data, "random_a", "pred.json"), "/nonexistent",
                          os.path.join(a.data, "random_a", "pred"))
        fail("a missing ground-truth folder was accepted")
    except Exception as e:  # noqa: BLE001
        if "with ground truth segmentations doesn't exist" not in str(e):
            fail("missing folder: %s" % e)
    print("panoptic (Python): %d comparisons, %d failures" % (checked, len(failures)))
    return 1 if failures or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
