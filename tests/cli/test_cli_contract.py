#!/usr/bin/env python3
"""The CLI's consistency promises (issue 15, items 11-15), one case each:

  --version names the version, the commit the binary was built from and the
  build options; -h, --help and `maskeval help CMD` work for every command
  and print the same text; --quiet means the same everywhere (headline
  results only, nothing on stderr); `devices --json` is the text listing as
  JSON; --json ends with the "backend" member (null after a merge);
  --backend auto on a machine without a GPU device node never loads the
  OpenCL driver; the progress bar names true stages, grows monotonically
  to the end of the run, gives an ETA and is erased at the end and on
  SIGINT; the README's Debian package list is the one .ci/deps.sh installs;
  the tests labelled "cpu" need no venv.

    test_cli_contract.py --maskeval PATH --build BUILD_DIR --work DIR

Needs only the standard library (and the data in data/).
"""
import argparse
import glob
import json
import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DATA = os.path.join(ROOT, "data")
CASES = []
GPU_NODES = ["/dev/nvidiactl", "/dev/nvidia0", "/dev/kfd", "/dev/dxg", "/dev/mali0",
             "/dev/kgsl-3d0"]


def case(fn):
    CASES.append(fn)
    return fn


def run(exe, args, rc=0, env=None, **kw):
    p = subprocess.run([exe] + args, capture_output=True, text=True, env=env, timeout=300, **kw)
    if rc is not None and p.returncode != rc:
        raise AssertionError("%s exited %d, wanted %d\nstdout: %s\nstderr: %s"
                             % (" ".join([exe] + args), p.returncode, rc, p.stdout[-2000:],
                                p.stderr[-2000:]))
    return p


def gpu_node_present():
    return any(os.path.exists(n) for n in GPU_NODES) or bool(glob.glob("/dev/dri/renderD*"))


def png_gray8(w, h, rows):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(r) for r in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def run_on_pty(cmd, env, on_output=None, timeout=120):
    """Runs cmd with stderr on a pseudo-terminal; returns (rc, stderr bytes).
    on_output(proc, data_so_far) is called after each read."""
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([master], [], [], 0.5)
        if r:
            try:
                d = os.read(master, 65536)
            except OSError:
                break  # EIO: the child closed the terminal
            if not d:
                break
            out += d
            if on_output is not None:
                on_output(p, out)
        elif p.poll() is not None:
            break
    os.close(master)
    return p.wait(timeout=30), out


BAR = re.compile(rb"maskeval: (.+?) \[[# ]{20}\] +(\d+)%(?:  ETA (\d+) s)?\x1b\[K$")


def bar_updates(out):
    """[(stage, percent, eta or None)] of every bar drawn, in order."""
    ups = []
    for part in out.split(b"\r"):
        m = BAR.match(part)
        if m:
            ups.append((m.group(1).decode(), int(m.group(2)),
                        None if m.group(3) is None else int(m.group(3))))
    return ups


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--build", required=True, help="the build directory (for ctest)")
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    exe = os.path.abspath(args.maskeval)
    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    gt, dt = os.path.join(DATA, "gt.json"), os.path.join(DATA, "results.json")

    def W(*p):
        return os.path.join(work, *p)

    def coco(extra, iou="segm"):
        return ["coco", "--gt", gt, "--dt", dt, "--iou-type", iou] + extra

    help_out = run(exe, ["--help"]).stdout
    commands = re.findall(r"^  ([\w-]+) {2,}", help_out.split("commands:")[1].split("\n\n")[0],
                          re.M)

    @case
    def version_names_commit_and_build_options():
        out = run(exe, ["--version"]).stdout
        lines = out.splitlines()
        assert len(lines) == 3, out
        with open(os.path.join(ROOT, "include", "maskeval.h")) as fh:
            h = fh.read()
        ver = ".".join(re.search(r"#define MASKEVAL_VERSION_%s (\d+)" % k, h).group(1)
                       for k in ("MAJOR", "MINOR", "PATCH"))
        assert lines[0] == "maskeval " + ver, lines[0]
        assert lines[1].startswith("commit: "), lines[1]
        git = shutil.which("git")
        if git and os.path.isdir(os.path.join(ROOT, ".git")) and not os.environ.get(
                "MASKEVAL_COMMIT"):
            # the commit the binary was built from: HEAD, or an ancestor of it when
            # commits came after the last build
            built = lines[1].split()[1]
            assert re.fullmatch(r"[0-9a-f]{12}", built), lines[1]
            anc = subprocess.run([git, "-C", ROOT, "merge-base", "--is-ancestor", built, "HEAD"],
                                 capture_output=True, text=True)
            assert anc.returncode == 0, "%s is not a commit of this checkout's history" % built
        assert re.search(r"OpenCL (on|off)", lines[2]) and re.search(r"MPI (on|off)", lines[2]), \
            lines[2]
        assert run(exe, ["-V"]).stdout == out

    @case
    def help_on_every_command():
        assert set(commands) == {"coco", "lvis", "semantic", "panoptic", "cityscapes-instances",
                                 "tide", "merge", "diff",
                                 "devices"}, commands
        for c in commands:
            a = run(exe, [c, "--help"]).stdout
            assert a.startswith("usage: maskeval " + c), a[:80]
            assert "--quiet" in a, c + ": --help does not mention --quiet"
            assert run(exe, [c, "-h"]).stdout == a, c + " -h"
            assert run(exe, ["help", c]).stdout == a, "help " + c
        p = run(exe, ["help", "nope"], rc=2)
        assert "unknown command 'nope'" in p.stderr, p.stderr
        assert run(exe, ["help"]).stdout == help_out

    @case
    def quiet_means_headline_results_only():
        env = dict(os.environ, MASKEVAL_PROGRESS_DELAY="0")
        full = run(exe, coco(["--backend", "cpu"])).stdout
        q = run(exe, coco(["--backend", "cpu", "--quiet"]), env=env)
        assert q.stderr == "", q.stderr
        summary = [l for l in q.stdout.splitlines() if l]
        assert len(summary) == 12 and all(l.startswith(" Average ") for l in summary), q.stdout
        assert full.startswith(q.stdout), "--quiet is not a prefix of the full output"
        assert len(full) > len(q.stdout), "the full output has no table"
        # shards and merge: no notes, the same 12 lines
        parts = []
        for i in range(2):
            parts.append(W("q%d.mep" % i))
            p = run(exe, coco(["--backend", "cpu", "--quiet", "--shard", "%d/2" % i,
                               "--partial", parts[-1]]))
            assert p.stdout == "" and p.stderr == "", (p.stdout, p.stderr)
            p = run(exe, coco(["--backend", "cpu", "--shard", "%d/2" % i, "--partial",
                               W("n%d.mep" % i)]))
            assert "shard %d/2" % i in p.stderr, "without --quiet the shard note is missing"
        m = run(exe, ["merge", "--quiet"] + parts)
        assert m.stdout == q.stdout and m.stderr == "", (m.stdout, m.stderr)
        # semantic: the summary lines, no per-class table
        g, pr = W("sg"), W("sp")
        os.makedirs(g)
        os.makedirs(pr)
        for n in range(3):
            rows = [[(x + y + n) % 3 for x in range(8)] for y in range(6)]
            with open(os.path.join(g, "im%d.png" % n), "wb") as fh:
                fh.write(png_gray8(8, 6, rows))
            rows = [[(x + n) % 3 for x in range(8)] for y in range(6)]
            with open(os.path.join(pr, "im%d.png" % n), "wb") as fh:
                fh.write(png_gray8(8, 6, rows))
        sem = ["semantic", "--gt", g, "--pred", pr, "--num-classes", "3", "--backend", "cpu"]
        full = run(exe, sem).stdout
        q = run(exe, sem + ["--quiet"], env=env)
        assert q.stderr == "", q.stderr
        assert q.stdout.startswith("summary (percent): aAcc "), q.stdout
        assert "per class" not in q.stdout and "per class" in full, q.stdout
        assert q.stdout.strip() in full, "the quiet summary differs from the full one"
        # devices: one line per device
        q = run(exe, ["devices", "--quiet"])
        listed = json.loads(run(exe, ["devices", "--json"]).stdout)
        assert q.stdout.splitlines() == ["%d: %s" % (d["index"], d["name"]) for d in listed], \
            q.stdout
        assert q.stderr == ""

    @case
    def devices_json_is_the_listing():
        text = run(exe, ["devices"]).stdout
        listed = json.loads(run(exe, ["devices", "--json"]).stdout)
        assert isinstance(listed, list)
        if not listed:
            assert "no OpenCL devices" in text
        for i, d in enumerate(listed):
            assert d["index"] == i
            assert set(d) == {"index", "name", "vendor", "platform", "driver", "gpu",
                              "global_mem_bytes", "max_alloc_bytes", "compute_units"}, d
            assert ("%d: %s [%s]%s\n" % (i, d["name"], d["vendor"], " GPU" if d["gpu"] else "")
                    ) in text, (d, text)
            assert "driver: %s" % d["driver"] in text
        run(exe, ["devices", "--json", W("devices.json")])
        with open(W("devices.json")) as fh:
            assert json.load(fh) == listed
        assert run(exe, ["devices", "--json=-"]).stdout == run(exe, ["devices", "--json"]).stdout
        p = run(exe, ["devices", "--bogus"], rc=2)
        assert "--bogus" in p.stderr

    @case
    def json_ends_with_the_backend():
        def backend_of(path):
            with open(path, "rb") as fh:
                raw = fh.read()
            obj = json.loads(raw)
            assert list(obj)[-1] == "backend", list(obj)
            return obj["backend"]
        run(exe, coco(["--backend", "cpu", "--json", W("cpu.json")]))
        assert backend_of(W("cpu.json")) == "cpu"
        run(exe, coco(["--backend", "cpu", "--json", W("bbox.json")], iou="bbox"))
        assert backend_of(W("bbox.json")) == "cpu"
        devs = json.loads(run(exe, ["devices", "--json"]).stdout)
        if devs:
            run(exe, coco(["--backend", "opencl", "--json", W("cl.json")]))
            d = devs[0]
            assert backend_of(W("cl.json")) == "opencl: %s (%s, %s)" % (d["name"], d["platform"],
                                                                       d["driver"])
            run(exe, coco(["--backend", "opencl", "--json", W("clb.json")], iou="bbox"))
            assert backend_of(W("clb.json")) == "cpu", "bbox never uses a device"
        else:
            print("  (no OpenCL device: the opencl half is skipped)")
        part = W("b.mep")
        run(exe, coco(["--backend", "cpu", "--shard", "0/1", "--partial", part]))
        run(exe, ["merge", part, "--json", W("merged.json")])
        assert backend_of(W("merged.json")) is None

    @case
    def auto_without_a_gpu_loads_no_opencl_driver():
        if gpu_node_present():
            print("  (this machine has a GPU device node: skipped)")
            return
        env = dict(os.environ, LD_DEBUG="libs")
        env.pop("MASKEVAL_DEVICE", None)
        p = run(exe, coco(["--backend", "auto", "--json", W("auto.json")]), env=env)
        loaded = set(re.findall(r"calling init: (\S+)", p.stderr))
        assert not [l for l in loaded if "pocl" in l or "nvidia" in l or "amdocl" in l], loaded
        with open(W("auto.json")) as fh:
            assert json.load(fh)["backend"] == "cpu"
        devs = json.loads(run(exe, ["devices", "--json"]).stdout)
        if devs and any("Portable Computing" in d["platform"] for d in devs):
            # the check can fail: asked for, the driver is loaded and seen
            p = run(exe, coco(["--backend", "opencl"]), env=env)
            loaded = set(re.findall(r"calling init: (\S+)", p.stderr))
            assert [l for l in loaded if "pocl" in l], loaded

    @case
    def progress_bar_true_stages_monotonic_whole_run_eta():
        env = dict(os.environ, MASKEVAL_PROGRESS_DELAY="0")
        for iou, stages in (("segm", ["reading ground truth", "reading results",
                                      "IoU: listing pairs", "IoU: intersecting masks",
                                      "IoU: filling matrices", "matching", "accumulating"]),
                            ("bbox", ["reading ground truth", "reading results", "IoU: boxes",
                                      "matching", "accumulating"])):
            rc, out = run_on_pty([exe] + coco(["--backend", "cpu"], iou=iou), env)
            assert rc == 0, out[-500:]
            ups = bar_updates(out)
            assert ups, "no progress bar on a terminal: %r" % out[:300]
            seen = []
            for s, _, _ in ups:
                if not seen or seen[-1] != s:
                    seen.append(s)
            assert seen == stages, seen
            pcts = [u[1] for u in ups]
            assert pcts == sorted(pcts), "the bar went back: %s" % pcts
            assert pcts[0] == 0 and pcts[-1] >= 85, pcts
            assert any(u[2] is not None for u in ups), "no ETA"
            assert out.endswith(b"\r\x1b[K"), "the bar is not erased at the end: %r" % out[-40:]
        # not on a terminal: no bar at all
        p = run(exe, coco(["--backend", "cpu"]), env=env)
        assert p.stderr == "", p.stderr
        # semantic: several chunks of label maps, one growing fraction
        g, pr = W("pg"), W("pp")
        os.makedirs(g)
        os.makedirs(pr)
        for n in range(300):
            rows = [[(x * y + n) % 4 for x in range(16)] for y in range(8)]
            for d in (g, pr):
                with open(os.path.join(d, "i%03d.png" % n), "wb") as fh:
                    fh.write(png_gray8(16, 8, rows))
        rc, out = run_on_pty([exe, "semantic", "--gt", g, "--pred", pr, "--num-classes", "4",
                              "--backend", "cpu", "--threads", "2"], env)
        assert rc == 0, out[-500:]
        ups = bar_updates(out)
        pcts = [u[1] for u in ups]
        assert ups and pcts == sorted(pcts), pcts
        assert {u[0] for u in ups} == {"decoding label maps"}, ups
        assert out.endswith(b"\r\x1b[K")

    @case
    def progress_bar_erased_on_interrupt():
        # the results come through a FIFO that is never written: the run waits
        # in "reading results" with the bar on screen until SIGINT arrives
        fifo = W("dt.fifo")
        os.mkfifo(fifo)
        env = dict(os.environ, MASKEVAL_PROGRESS_DELAY="0")
        for sig in (signal.SIGINT, signal.SIGTERM):
            sent = []

            def interrupt(p, out):
                if not sent and b"reading results" in out:
                    p.send_signal(sig)
                    sent.append(1)
            rc, out = run_on_pty([exe, "coco", "--gt", gt, "--dt", fifo, "--iou-type", "segm",
                                  "--backend", "cpu"], env, on_output=interrupt, timeout=30)
            assert sent, "the bar never showed 'reading results': %r" % out[-300:]
            assert rc == -sig, rc
            last = out.rfind(b"maskeval: reading results")
            assert last >= 0 and out.endswith(b"\r\x1b[K"), \
                "the bar is left on screen after %s: %r" % (sig.name, out[-80:])

    @case
    def readme_lists_what_ci_installs():
        with open(os.path.join(ROOT, ".ci", "deps.sh")) as fh:
            m = re.search(r"PKGS=\(([^)]*)\)", fh.read())
        pkgs = set(m.group(1).split())
        with open(os.path.join(ROOT, "README.md")) as fh:
            readme = fh.read()
        m = re.search(r"`\.ci/deps\.sh` \(called by both\) installs `([^`]*)`", readme)
        assert m, "README: the sentence naming the packages .ci/deps.sh installs is gone"
        listed = set(m.group(1).split())
        assert listed == pkgs, "README lacks %s, lists %s too" % (sorted(pkgs - listed),
                                                                 sorted(listed - pkgs))

    @case
    def cpu_label_needs_no_venv():
        ctest = shutil.which("ctest")
        assert ctest, "ctest not found"
        p = subprocess.run([ctest, "--test-dir", args.build, "-L", "cpu", "--show-only=json-v1"],
                           capture_output=True, text=True, timeout=60)
        tests = json.loads(p.stdout)["tests"]
        assert len(tests) >= 5, [t["name"] for t in tests]
        for t in tests:
            cmd = t["command"]
            if "python" not in os.path.basename(cmd[0]):
                continue
            q = subprocess.run([cmd[0], "-c", "import sys; print(sys.prefix != sys.base_prefix)"],
                               capture_output=True, text=True)
            assert q.stdout.strip() == "False", "%s runs on a venv's python (%s)" % (t["name"],
                                                                                    cmd[0])
            with open(cmd[1]) as fh:
                src = fh.read()
            bad = re.findall(r"^\s*(?:import|from) (numpy|pycocotools|PIL)\b", src, re.M)
            assert not bad, "%s (label cpu) imports %s" % (t["name"], bad)

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
