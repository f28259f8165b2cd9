#!/usr/bin/env python3
"""--backend auto's cost model end to end, on whatever OpenCL device there is
(PoCL in CI): `maskeval devices --calibrate` writes a profile that parses, and
with MASKEVAL_AUTO_ANY_DEVICE=1 (auto considers a device that is not a GPU)
auto follows the profile's prediction per stage kind - the device where the
profile says it finishes first, the CPU where it does not, the CPU without a
profile or with a broken one - and the numbers never depend on the choice.

    test_auto_backend.py --maskeval BIN --data DIR --panoptic DIR --work DIR

Exits 77 (ctest SKIP) when no OpenCL device exists.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

KINDS = ("pairs", "bands", "confusion", "segments")


def profile(path, dev_rate, open_s, threads=2, extra=""):
    with open(path, "w") as f:
        f.write("maskeval-device-profile 1\ndevice test device\n")
        f.write(f"threads {threads}\nopen_s {open_s}\n")
        for k in KINDS:
            f.write(f"{k} 1e9 {dev_rate}\n")
        f.write(extra)


def run(exe, args, env_extra):
    env = dict(os.environ, MASKEVAL_VERBOSE="1", **env_extra)
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=600)


def strip_backend(path):
    with open(path) as f:
        d = json.load(f)
    d.pop("backend", None)
    return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--maskeval", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--panoptic", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    failures = []

    p = subprocess.run([a.maskeval, "devices", "--quiet"], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip() or p.stdout.startswith("no OpenCL"):
        print("no OpenCL device: skipping")
        return 77

    # calibration on device 0: a profile with positive rates for every kind
    prof = os.path.join(a.work, "sub", "dir", "profile")
    p = subprocess.run([a.maskeval, "devices", "--calibrate", "--device", "0", "--threads", "2",
                        "--profile", prof], capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        failures.append(f"calibrate: exit {p.returncode}: {p.stderr.strip()}")
    else:
        with open(prof) as f:
            lines = dict(l.split(" ", 1) for l in f.read().splitlines()
                         if l and not l.startswith("#"))
        if lines.get("threads") != "2" or float(lines.get("open_s", "-1")) < 0:
            failures.append(f"calibrate: bad header {lines}")
        for k in KINDS:
            rates = [float(x) for x in lines.get(k, "0 0").split()]
            if len(rates) != 2 or min(rates) <= 0:
                failures.append(f"calibrate: {k} rates {rates}")
        for k in KINDS:
            if k not in p.stdout:
                failures.append(f"calibrate: summary lacks {k}: {p.stdout!r}")
    # without --device, only a GPU is calibrated (auto never uses anything else)
    q = subprocess.run([a.maskeval, "devices", "--json"], capture_output=True, text=True)
    if q.returncode == 0 and not any(d["gpu"] for d in json.loads(q.stdout)):
        q = subprocess.run([a.maskeval, "devices", "--calibrate", "--profile",
                            os.path.join(a.work, "nogpu_profile")], capture_output=True, text=True)
        if q.returncode != 1 or "no GPU" not in q.stderr or \
                os.path.exists(os.path.join(a.work, "nogpu_profile")):
            failures.append(f"calibrate without a GPU: exit {q.returncode}: {q.stderr.strip()}")
    # usage errors
    for bad in (["devices", "--profile", "x"], ["devices", "--calibrate", "--json"],
                ["devices", "--calibrate", "--threads", "0"]):
        q = subprocess.run([a.maskeval, *bad], capture_output=True, text=True)
        if q.returncode != 2:
            failures.append(f"{' '.join(bad)}: exit {q.returncode}, want 2")

    wins = os.path.join(a.work, "wins")
    loses = os.path.join(a.work, "loses")
    slow_open = os.path.join(a.work, "slow_open")
    broken = os.path.join(a.work, "broken")
    profile(wins, 1e15, 0)
    profile(loses, 1, 0)
    profile(slow_open, 1e15, 1e6)  # the device computes at once but takes forever to open
    profile(broken, 1e15, 0, extra="pairs 1 -5\n")
    any_dev = {"MASKEVAL_AUTO_ANY_DEVICE": "1"}
    gt, dt = os.path.join(a.data, "gt.json"), os.path.join(a.data, "results.json")

    jobs = [
        ("segm", ["coco", "--gt", gt, "--dt", dt, "--iou-type", "segm", "--quiet"], "pairs"),
        ("boundary", ["coco", "--gt", gt, "--dt", dt, "--iou-type", "boundary", "--quiet"],
         "bands"),
        ("panoptic", ["panoptic", "--gt-json", os.path.join(a.panoptic, "gt.json"),
                      "--pred-json", os.path.join(a.panoptic, "pred.json"),
                      "--gt-dir", os.path.join(a.panoptic, "gt"),
                      "--pred-dir", os.path.join(a.panoptic, "pred"), "--quiet"], "segments"),
    ]
    for name, args, kind in jobs:
        ref = os.path.join(a.work, f"{name}_cpu.json")
        q = run(a.maskeval, args + ["--backend", "cpu", "--json", ref], {})
        if q.returncode != 0:
            failures.append(f"{name} cpu: exit {q.returncode}: {q.stderr.strip()}")
            continue
        cases = [("wins", wins, "device"), ("loses", loses, "cpu"),
                 ("slow_open", slow_open, "cpu"), ("missing", os.path.join(a.work, "none"), None),
                 ("broken", broken, None)]
        for label, path, want in cases:
            out = os.path.join(a.work, f"{name}_{label}.json")
            q = run(a.maskeval, args + ["--json", out], dict(any_dev, MASKEVAL_PROFILE=path))
            where = f"{name}, profile {label}"
            if q.returncode != 0:
                failures.append(f"{where}: exit {q.returncode}: {q.stderr.strip()}")
                continue
            decided = [l for l in q.stderr.splitlines() if "backend auto:" in l]
            if want is not None:
                if len(decided) != 1 or f"{kind} stage" not in decided[0] or \
                        not decided[0].endswith(": " + want):
                    failures.append(f"{where}: want a {kind} decision for {want}, got {decided}")
            elif len(decided) != 1 or "using the CPU path" not in decided[0] or \
                    path not in decided[0]:
                failures.append(f"{where}: want a note naming {path}, got {decided}")
            if label == "broken" and decided and "line 9" not in decided[0]:
                failures.append(f"{where}: the note should name the bad line: {decided}")
            if strip_backend(out) != strip_backend(ref):
                failures.append(f"{where}: numbers differ from --backend cpu")
            if name != "panoptic":
                with open(out) as f:
                    be = json.load(f).get("backend")
                if not (be.startswith("opencl: ") if want == "device" else be == "cpu"):
                    failures.append(f"{where}: --json backend {be!r}")
    # without MASKEVAL_AUTO_ANY_DEVICE a machine with no GPU never asks the profile
    q = run(a.maskeval, jobs[0][1] + ["--json", os.path.join(a.work, "nogpu.json")],
            {"MASKEVAL_PROFILE": wins})
    if os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/kfd") or \
            (os.path.isdir("/dev/dri") and any(n.startswith("renderD")
                                               for n in os.listdir("/dev/dri"))):
        pass  # a GPU machine: auto may consult the profile
    elif q.returncode != 0 or "backend auto:" in q.stderr:
        failures.append(f"no GPU: auto consulted the profile: {q.stderr.strip()}")

    for f in failures:
        print("FAIL", f)
    print(f"auto backend: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
