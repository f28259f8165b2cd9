#!/usr/bin/env python3
"""The CLI's promise about the files it writes (src/cli/output.c): nothing
destroyed, nothing half-written, every write checked. One case per item:

  devices and FIFOs are written into, never replaced (/dev/null, /dev/full
  fails with exit 1); symbolic links are followed (to a file, dangling, to
  /proc/self/fd/1); new files get the umask's permissions and replaced files
  keep their mode; SIGINT / SIGTERM leave no temporary files; bad output
  paths (empty, an input of the run, a missing directory, a directory) are
  refused before any work; a full stdout fails the table, `devices`,
  `--help`; --json and --dump-arrays appear together or not at all, and the
  dump's manifest arrays.json is written last; label-map errors (the
  use-after-free case) and --max-dets range errors name what is wrong.

    test_outputs.py --maskeval PATH --work DIR

Needs only the standard library (and the data in data/).
"""
import argparse
import glob
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "data")
FAIL = []
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


def run(exe, args, rc=None, stdout=subprocess.PIPE, umask=None):
    def pre():
        if umask is not None:
            os.umask(umask)
    p = subprocess.run([exe] + args, stdout=stdout, stderr=subprocess.PIPE, universal_newlines=True,
                       timeout=120, preexec_fn=pre)
    if rc is not None and p.returncode != rc:
        raise AssertionError("exit %d, expected %d: %s\n%s" % (p.returncode, rc, " ".join(args), p.stderr))
    return p


def coco(extra, iou="bbox"):
    return ["coco", "--gt", os.path.join(DATA, "gt.json"), "--dt", os.path.join(DATA, "results.json"),
            "--iou-type", iou, "--quiet"] + extra


def no_temps(work):
    left = glob.glob(os.path.join(work, "**", ".*.tmp.*"), recursive=True)
    if left:
        raise AssertionError("temporary files left: %s" % left)


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

    @case
    def dev_full_fails_and_stays_a_device():
        p = run(exe, coco(["--json", "/dev/full"]), rc=1)
        assert "/dev/full" in p.stderr, p.stderr
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)

    @case
    def dev_null_written_into():
        run(exe, coco(["--json", "/dev/null"]), rc=0)
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

    @case
    def fifo_written_into():
        f = W("fifo")
        os.mkfifo(f)
        reader = subprocess.Popen(["cat", f], stdout=subprocess.PIPE)
        run(exe, coco(["--json", f]), rc=0)
        out = reader.communicate(timeout=30)[0]
        assert json.loads(out)["iou_type"] == "bbox"
        assert stat.S_ISFIFO(os.stat(f).st_mode)

    @case
    def symlink_followed():
        target, link = W("target.json"), W("link.json")
        with open(target, "w") as fh:
            fh.write("old")
        os.symlink("target.json", link)
        run(exe, coco(["--json", link]), rc=0)
        assert os.path.islink(link)
        with open(target) as fh:
            assert json.load(fh)["iou_type"] == "bbox"
        dangling = W("dangling.json")
        os.symlink("made-through-link.json", dangling)
        run(exe, coco(["--json", dangling]), rc=0)
        assert os.path.islink(dangling) and os.path.isfile(W("made-through-link.json"))

    @case
    def symlink_to_stdout():
        link = W("stdout.json")
        os.symlink("/proc/self/fd/1", link)
        with open(W("captured"), "w") as fh:
            run(exe, coco(["--json", link]), rc=0, stdout=fh)
        assert os.path.islink(link)
        with open(W("captured")) as fh:
            assert '"iou_type": "bbox"' in fh.read()

    @case
    def umask_and_kept_mode():
        new = W("new.json")
        run(exe, coco(["--json", new]), rc=0, umask=0o027)
        assert stat.S_IMODE(os.stat(new).st_mode) == 0o640, oct(os.stat(new).st_mode)
        run(exe, coco(["--json", W("new2.json")]), rc=0, umask=0o002)
        assert stat.S_IMODE(os.stat(W("new2.json")).st_mode) == 0o664
        os.chmod(new, 0o600)
        run(exe, coco(["--json", new]), rc=0, umask=0o000)
        assert stat.S_IMODE(os.stat(new).st_mode) == 0o600

    @case
    def signals_leave_no_temporaries():
        rng = random.Random(5)
        d = W("sig")
        os.makedirs(d)
        for trial in range(40):
            p = subprocess.Popen([exe] + coco(["--json", os.path.join(d, "o.json"),
                                               "--dump-arrays", os.path.join(d, "arr")], iou="segm"),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, 0.03))
            p.send_signal(signal.SIGINT if trial % 2 else signal.SIGTERM)
            p.wait(timeout=30)
            no_temps(d)
            arr = os.path.join(d, "arr", "arrays.json")
            if os.path.exists(arr):  # a manifest means complete arrays beside it
                with open(arr) as fh:
                    meta = json.load(fh)
                for k in ("precision", "recall", "scores"):
                    n = 1
                    for s in meta[k]["shape"]:
                        n *= s
                    assert os.path.getsize(os.path.join(d, "arr", meta[k]["file"])) == 8 * n

    @case
    def bad_paths_refused_before_the_work():
        bad_dt = W("bad_dt.json")
        with open(bad_dt, "w") as fh:
            fh.write("[{]")
        base = ["coco", "--gt", os.path.join(DATA, "gt.json"), "--dt", bad_dt, "--iou-type", "bbox"]
        # the output error wins over the (later) input error: checked first
        p = run(exe, base + ["--json", W("no", "such", "dir.json")], rc=1)
        assert "no such directory" in p.stderr and "bad_dt" not in p.stderr, p.stderr
        p = run(exe, base + ["--json", ""], rc=2)
        assert "--json" in p.stderr, p.stderr
        p = run(exe, base + ["--json", bad_dt], rc=2)
        assert "also an input" in p.stderr, p.stderr
        p = run(exe, base + ["--json", work], rc=1)
        assert "directory" in p.stderr, p.stderr
        with open(W("plain"), "w") as fh:
            fh.write("x")
        p = run(exe, base + ["--dump-arrays", W("plain")], rc=1)
        assert "not a directory" in p.stderr, p.stderr
        p = run(exe, ["merge", W("plain"), "--json", W("plain")], rc=2)
        assert "also an input" in p.stderr, p.stderr

    @case
    def full_stdout_fails():
        with open("/dev/full", "w") as full:
            for a in (coco([]), ["devices"], ["--help"], ["coco", "--help"], ["merge", "--help"]):
                p = run(exe, a, stdout=full)
                assert p.returncode == 1, (a, p.returncode)
                assert "stdout" in p.stderr, p.stderr

    @case
    def outputs_all_or_none():
        keep, dump = W("keep.json"), W("dump")
        with open(keep, "w") as fh:
            fh.write("keep")
        os.makedirs(os.path.join(dump, "precision.f64"))  # a directory where a file must go
        p = run(exe, coco(["--json", keep, "--dump-arrays", dump]), rc=1)
        with open(keep) as fh:
            assert fh.read() == "keep", "--json was replaced although --dump-arrays failed"
        assert "precision.f64" in p.stderr, p.stderr
        no_temps(work)
        os.rmdir(os.path.join(dump, "precision.f64"))
        run(exe, coco(["--json", keep, "--dump-arrays", dump]), rc=0)
        assert sorted(os.listdir(dump)) == ["arrays.json", "precision.f64", "recall.f64", "scores.f64"]
        # a dump directory this run created is removed again when the run fails later
        with open(W("block.json"), "w"):
            pass
        os.makedirs(W("blockdir"))
        p = run(exe, coco(["--json", W("blockdir"), "--dump-arrays", W("fresh")]), rc=1)
        assert not os.path.exists(W("fresh")), "a created dump directory stayed"

    @case
    def label_map_and_max_dets_messages():
        lm = W("lm.json")
        for text, needle in (('{"0": -1}', 'entry "0"'), ('{"0": 1,, }', "invalid JSON at byte")):
            with open(lm, "w") as fh:
                fh.write(text)
            p = run(exe, ["semantic", "--gt", work, "--pred", work, "--num-classes", "3",
                          "--label-map", lm], rc=2)
            assert needle in p.stderr, p.stderr
        p = run(exe, coco(["--max-dets", "1,10,5000000000"]), rc=2)
        assert "--max-dets" in p.stderr, p.stderr

    for c in CASES:
        try:
            c()
            print("ok   %s" % c.__name__)
        except (AssertionError, subprocess.TimeoutExpired) as e:
            FAIL.append(c.__name__)
            print("FAIL %s: %s" % (c.__name__, e))
    print("%d passed, %d failed" % (len(CASES) - len(FAIL), len(FAIL)))
    return 1 if FAIL else 0


if __name__ == "__main__":
    sys.exit(main())
