#!/usr/bin/env python3
"""maskeval-mpi under mpirun: 4 ranks (oversubscribed on a small machine)
print and write exactly what one `maskeval` process does, for two generated
COCO sets (segm and bbox) and one semantic set; and a bad input that only
one rank reads (one corrupt PNG of a semantic set) makes every rank exit
non-zero, with the message, within a timeout instead of hanging.

    test_mpi.py --maskeval PATH --maskeval-mpi PATH --work DIR [--mpirun mpirun]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "parity"))
sys.path.insert(0, HERE)
import gen_coco  # noqa: E402
import test_partials  # noqa: E402

sys.path.insert(0, os.path.join(HERE, "..", "lvis"))
import gen_lvis  # noqa: E402

TIMEOUT = 120


def run(cmd, expect_ok=True):
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=TIMEOUT)
    if expect_ok and proc.returncode != 0:
        raise AssertionError("exit %d: %s\n%s" % (proc.returncode, " ".join(cmd), proc.stderr[-3000:]))
    return proc


def read(path):
    with open(path, "rb") as f:
        return f.read()


MISSING = object()


def split_backend(data):
    """A --json file's bytes before its last member, "backend" (where this
    process computed: merged partials say null), and that member's value."""
    head, sep, tail = data.rpartition(b',\n "backend": ')
    if not sep:
        return data, MISSING
    return head, json.loads(tail.rstrip()[:-1])


def same_outputs(one_out, mpi_out, files):
    problems = []
    if one_out != mpi_out:
        problems.append("stdout differs")
    for a, b in files:
        if os.path.isdir(a):
            for name in sorted(os.listdir(a)):
                if read(os.path.join(a, name)) != read(os.path.join(b, name)):
                    problems.append("%s differs" % name)
        else:
            (ha, ba), (hb, bb) = split_backend(read(a)), split_backend(read(b))
            if ha != hb:
                problems.append("%s differs" % os.path.basename(a))
            elif ba is not MISSING and (ba is None or bb is not None):
                problems.append("%s: backend %r, merged %r (want a name, then null)" %
                                (os.path.basename(a), ba, bb))
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--maskeval-mpi", required=True)
    ap.add_argument("--mpirun", default="mpirun")
    ap.add_argument("--work", required=True)
    args = ap.parse_args(argv)
    work = args.work
    if os.path.isdir(work):
        shutil.rmtree(work)
    os.makedirs(work)
    mpirun = [args.mpirun, "--allow-run-as-root", "--oversubscribe", "-np", "4", args.maskeval_mpi]
    failed = 0
    total = 0

    for seed, iou in ((21, "segm"), (22, "bbox")):
        total += 1
        d = os.path.join(work, "coco%d" % seed)
        gen_coco.write(seed, d)
        base = ["coco", "--gt", os.path.join(d, "gt.json"), "--dt", os.path.join(d, "dt.json"),
                "--iou-type", iou]
        one = run([args.maskeval] + base + ["--json", os.path.join(d, "one.json"),
                                            "--dump-arrays", os.path.join(d, "one")]).stdout
        mpi = run(mpirun + base + ["--json", os.path.join(d, "mpi.json"),
                                   "--dump-arrays", os.path.join(d, "mpi")]).stdout
        problems = same_outputs(one, mpi, [(os.path.join(d, "one.json"), os.path.join(d, "mpi.json")),
                                           (os.path.join(d, "one"), os.path.join(d, "mpi"))])
        print("%s coco %s seed %d: 4 ranks vs one process%s" % ("FAIL" if problems else "ok  ", iou, seed,
                                                                 ": " + "; ".join(problems) if problems else ""))
        failed += bool(problems)

    # LVIS (and AP-pool): the partials carry the LVIS parameters
    for seed, iou, extra in ((1, "segm", []), (2, "bbox", ["--ap", "pooled", "--dets-per-cat", "9"])):
        total += 1
        d = os.path.join(work, "lvis%d" % seed)
        gen_lvis.write(seed, d)
        base = ["lvis", "--gt", os.path.join(d, "gt.json"), "--dt", os.path.join(d, "dt.json"),
                "--iou-type", iou] + extra
        one = run([args.maskeval] + base + ["--json", os.path.join(d, "one.json"),
                                            "--dump-arrays", os.path.join(d, "one")]).stdout
        mpi = run(mpirun + base + ["--json", os.path.join(d, "mpi.json"),
                                   "--dump-arrays", os.path.join(d, "mpi")]).stdout
        problems = same_outputs(one, mpi, [(os.path.join(d, "one.json"), os.path.join(d, "mpi.json")),
                                           (os.path.join(d, "one"), os.path.join(d, "mpi"))])
        print("%s lvis %s seed %d %s: 4 ranks vs one process%s" % (
            "FAIL" if problems else "ok  ", iou, seed, " ".join(extra),
            ": " + "; ".join(problems) if problems else ""))
        failed += bool(problems)

    total += 1
    gt_dir, pr_dir = test_partials.write_labels(os.path.join(work, "sem"), 13, 7, 5)
    base = ["semantic", "--gt", gt_dir, "--pred", pr_dir, "--num-classes", "7"]
    one = run([args.maskeval] + base + ["--json", os.path.join(work, "sem-one.json")]).stdout
    mpi = run(mpirun + base + ["--json", os.path.join(work, "sem-mpi.json")]).stdout
    problems = same_outputs(one, mpi, [(os.path.join(work, "sem-one.json"), os.path.join(work, "sem-mpi.json"))])
    print("%s semantic: 4 ranks vs one process%s" % ("FAIL" if problems else "ok  ",
                                                     ": " + "; ".join(problems) if problems else ""))
    failed += bool(problems)

    # One corrupt PNG: only the rank whose shard holds it sees it.
    total += 1
    bad = sorted(os.listdir(pr_dir))[5]
    with open(os.path.join(pr_dir, bad), "r+b") as f:
        f.seek(0)
        f.write(b"\x00garbage")
    out = os.path.join(work, "sem-bad.json")
    try:
        proc = run(mpirun + base + ["--json", out], expect_ok=False)
        ok = proc.returncode != 0 and bad in proc.stderr and not os.path.exists(out)
        why = "exit %d, message %s" % (proc.returncode, "present" if bad in proc.stderr else "missing")
    except subprocess.TimeoutExpired:
        ok, why = False, "hung past %d s" % TIMEOUT
    print("%s semantic: a bad PNG in one rank's shard stops every rank (%s)" % ("ok  " if ok else "FAIL", why))
    failed += not ok

    print("%d passed, %d failed" % (total - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
