#!/usr/bin/env python3
"""Benchmark `maskeval semantic` against single-process Python baselines on a
Cityscapes-sized data set.

Usage:
  bench_semantic.py --data DIR [--maskeval PATH] [--backend cpu] [--backend opencl]
                    [--pairs N] [--runs R] [--seed S] [--jobs J] [--timeout S]
                    [--markdown OUT.md] [--skip-baselines]

Data: DIR/cityscapes_like_s<S>_v<V>/{gt,pred}/frankfurt_<i>.png, generated once
and cached (pairs are generated independently from (seed, index), so a later
run with more --pairs only adds the missing ones).  Each pair is a 2048x1024
8-bit gray PNG: trainIds 0..18 plus 255 (ego vehicle, void regions, borders),
piecewise constant with a street-scene layout (sky, buildings, road wedge,
sidewalks, vegetation, cars, people, poles, signs ...); the prediction
re-renders the same layout with jittered geometry, misses some small objects
and gets blob-shaped class errors until it agrees with GT on ~85% of the
non-ignored pixels.  --pairs N (default 500) uses the first N pairs (through a
directory of hard links, so every tool sees exactly N files).

Timed (whole process, wall-clock median of --runs, default 3, tools run
round-robin) and peak RSS of each child (os.wait4 rusage, ru_maxrss):
  * maskeval semantic ... (once per --backend; without --backend: its default)
  * numpy_bincount_baseline.py  (Pillow decode + np.bincount, 1 process)
  * mmseg_style_baseline.py     (mmseg IoUMetric-style per-image histograms,
                                 float32 dataset sums, 1 process)
Prints a Markdown table: tool, wall s, ratio vs fastest, peak RSS MB, mIoU and
whether it equals maskeval's mIoU within 1e-12 (the mmseg-style float32 sums
are expected to miss that by ~1e-7 on this data; see its docstring), then
maskeval's own split of its time into decoding and counting (its --timing line).
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "semantic"))
import labelscenes as ls  # noqa: E402

DATA_VERSION = 1
H, W = 1024, 2048
K = 19
IGNORE = 255
DEFAULT_SEED = 20240917
TARGET_ERROR = 0.15          # fraction of non-ignored pixels where pred != GT

# trainIds
ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, LIGHT, SIGN, VEG, TERRAIN, SKY, \
    PERSON, RIDER, CAR, TRUCK, BUS, TRAIN, MOTO, BIKE = range(19)


# ---------------------------------------------------------------------------
# data


def street_layout(rng):
    """Background + shape specs of a Cityscapes-like street scene (trainIds)."""
    specs = []
    hz = rng.uniform(0.42, 0.55) * H                       # horizon
    bg = SKY
    specs.append(dict(kind="band", value=BUILDING,
                      edge=ls.random_wavy_edge(rng, W, rng.uniform(0.12, 0.3) * H, 0.12 * H)))
    for _ in range(int(rng.integers(2, 7))):               # trees / bushes
        specs.append(ls.random_spec(rng, H, W, VEG, size_frac=(0.08, 0.35), kinds=("ellipse", "poly"),
                                    weights=(0.5, 0.5)))
    for _ in range(int(rng.integers(0, 3))):               # walls / fences
        y = rng.uniform(hz - 0.12 * H, hz + 0.02 * H)
        x0 = rng.uniform(0, W * 0.8)
        specs.append(dict(kind="rect", value=int(rng.choice([WALL, FENCE])), y0=y, y1=y + rng.uniform(20, 90),
                          x0=x0, x1=x0 + rng.uniform(100, 700)))
    specs.append(dict(kind="band", value=SIDEWALK, edge=ls.random_wavy_edge(rng, W, hz + 0.02 * H, 6)))
    # road wedge from the vanishing point
    vx = rng.uniform(0.35, 0.65) * W
    spread = rng.uniform(0.05, 0.15) * W
    specs.append(dict(kind="poly", value=ROAD, ys=[H + 5, hz, hz, H + 5],
                      xs=[-rng.uniform(0.1, 0.6) * W, vx - spread, vx + spread, W * (1 + rng.uniform(0.1, 0.6))]))
    for _ in range(int(rng.integers(0, 3))):               # terrain patches
        specs.append(ls.random_spec(rng, H, W, TERRAIN, size_frac=(0.05, 0.2), kinds=("poly", "ellipse"),
                                    weights=(0.5, 0.5)))
    # vehicles, bigger when lower in the image
    for _ in range(int(rng.integers(3, 14))):
        y = rng.uniform(hz - 0.02 * H, 0.85 * H)
        s = 0.3 + 2.2 * (y - hz + 0.05 * H) / H
        cls = int(rng.choice([CAR] * 8 + [TRUCK, BUS, TRAIN, MOTO, BIKE]))
        w = rng.uniform(90, 260) * s * (1.8 if cls in (BUS, TRAIN, TRUCK) else 1.0)
        h = w * rng.uniform(0.4, 0.7)
        x = rng.uniform(-0.05, 1.0) * W
        if rng.random() < 0.5:
            specs.append(dict(kind="rect", value=cls, y0=y - h, y1=y, x0=x, x1=x + w))
        else:
            specs.append(dict(kind="ellipse", value=cls, cy=y - h / 2, cx=x + w / 2, ry=h / 2, rx=w / 2, theta=0.0))
    # poles with signs / lights
    for _ in range(int(rng.integers(2, 10))):
        x = rng.uniform(0, W)
        top = rng.uniform(0.05, 0.35) * H
        bottom = hz + rng.uniform(0.0, 0.2) * H
        wpx = rng.uniform(3, 12)
        specs.append(dict(kind="rect", value=POLE, y0=top, y1=bottom, x0=x, x1=x + wpx))
        if rng.random() < 0.6:
            sz = rng.uniform(15, 60)
            specs.append(dict(kind="rect", value=int(rng.choice([SIGN, LIGHT])), y0=top, y1=top + sz * 1.3,
                              x0=x - sz / 2, x1=x + sz / 2))
    # people and riders
    for _ in range(int(rng.integers(0, 12))):
        y = rng.uniform(hz, 0.9 * H)
        s = 0.4 + 2.0 * (y - hz) / H
        h = rng.uniform(60, 160) * s
        x = rng.uniform(0, W)
        cls = PERSON if rng.random() < 0.8 else RIDER
        specs.append(dict(kind="poly", value=cls, ys=[y - h, y - h, y, y],
                          xs=[x, x + h * 0.25, x + h * 0.35, x - h * 0.1]))
    return bg, specs


def ignore_overlays(rng):
    """Regions that are 255 in GT: ego vehicle, image border, small void blobs."""
    specs = [dict(kind="ellipse", value=IGNORE, cy=H * rng.uniform(1.0, 1.08), cx=W / 2,
                  ry=H * rng.uniform(0.1, 0.16), rx=W * rng.uniform(0.45, 0.7), theta=0.0)]
    b = rng.uniform(0, 8)
    specs += [dict(kind="rect", value=IGNORE, y0=0, y1=H, x0=0, x1=b),
              dict(kind="rect", value=IGNORE, y0=0, y1=H, x0=W - b, x1=W),
              dict(kind="rect", value=IGNORE, y0=H - rng.uniform(0, 20), y1=H, x0=0, x1=W)]
    for _ in range(int(rng.integers(1, 8))):
        specs.append(ls.random_spec(rng, H, W, IGNORE, size_frac=(0.01, 0.08), kinds=("poly", "rect"),
                                    weights=(0.6, 0.4)))
    return specs


def make_pair(seed, idx):
    rng = np.random.default_rng([seed, idx, DATA_VERSION])
    bg, specs = street_layout(rng)
    base = ls.render(H, W, bg, specs, dtype=np.uint8)
    gt = base.copy()
    for s in ignore_overlays(rng):
        ls.paint(gt, s)
    # prediction: same layout, jittered, some small objects missed
    pspecs = []
    for s in specs:
        small = s["kind"] != "band" and rng.random() < 0.15
        if small and s["value"] in (POLE, SIGN, LIGHT, PERSON, RIDER, BIKE, MOTO):
            continue
        pspecs.append(ls.jitter_spec(rng, s, amount=rng.uniform(2, 6)))
    pred = ls.render(H, W, bg, pspecs, dtype=np.uint8)
    valid = gt != IGNORE
    nvalid = max(1, int(valid.sum()))
    err = float(((pred != gt) & valid).sum()) / nvalid
    guard = 0
    while err < TARGET_ERROR - 0.005 and guard < 400:
        need = (TARGET_ERROR - err) * nvalid
        frac_hi = min(0.25, max(0.02, np.sqrt(need / (H * W)) * 1.2))
        s = ls.random_spec(rng, H, W, int(rng.integers(0, K)), size_frac=(0.01, frac_hi),
                           kinds=("ellipse", "poly", "rect"), weights=(0.4, 0.4, 0.2))
        ls.paint(pred, s)
        err = float(((pred != gt) & valid).sum()) / nvalid
        guard += 1
    return gt, pred, dict(agree=1.0 - err, ignore=1.0 - nvalid / (H * W))


def _gen_one(args):
    seed, idx, gdir, pdir = args
    from PIL import Image
    gt, pred, st = make_pair(seed, idx)
    name = f"frankfurt_{idx:06d}.png"
    for d, a in ((gdir, gt), (pdir, pred)):
        tmp = os.path.join(d, "." + name + ".tmp")
        Image.fromarray(a).save(tmp, format="PNG")
        os.replace(tmp, os.path.join(d, name))
    return idx, st


def ensure_data(root, seed, pairs, jobs):
    base = os.path.join(root, f"cityscapes_like_s{seed}_v{DATA_VERSION}")
    gdir, pdir = os.path.join(base, "gt"), os.path.join(base, "pred")
    os.makedirs(gdir, exist_ok=True)
    os.makedirs(pdir, exist_ok=True)
    man_path = os.path.join(base, "manifest.json")
    manifest = {}
    if os.path.exists(man_path):
        with open(man_path) as f:
            manifest = json.load(f)
    names = [f"frankfurt_{i:06d}.png" for i in range(pairs)]
    todo = [i for i, n in enumerate(names)
            if not (os.path.exists(os.path.join(gdir, n)) and os.path.exists(os.path.join(pdir, n))
                    and str(i) in manifest)]
    if todo:
        print(f"generating {len(todo)} pairs of {W}x{H} label maps in {base} ({jobs} workers) ...",
              file=sys.stderr, flush=True)
        t0 = time.time()
        work = [(seed, i, gdir, pdir) for i in todo]
        if jobs > 1:
            import multiprocessing as mp
            with mp.Pool(jobs) as pool:
                for n_done, (i, st) in enumerate(pool.imap_unordered(_gen_one, work, chunksize=2), 1):
                    manifest[str(i)] = st
                    if n_done % 50 == 0:
                        print(f"  {n_done}/{len(todo)}", file=sys.stderr, flush=True)
        else:
            for i, st in map(_gen_one, work):
                manifest[str(i)] = st
        with open(man_path + ".tmp", "w") as f:
            json.dump(manifest, f)
        os.replace(man_path + ".tmp", man_path)
        print(f"  done in {time.time() - t0:.0f} s", file=sys.stderr)
    # a view with exactly `pairs` files (hard links; copies if links fail)
    view = os.path.join(base, f"view_{pairs}")
    vg, vp = os.path.join(view, "gt"), os.path.join(view, "pred")
    for src, dst in ((gdir, vg), (pdir, vp)):
        os.makedirs(dst, exist_ok=True)
        want = set(names)
        for n in os.listdir(dst):
            if n not in want:
                os.remove(os.path.join(dst, n))
        for n in names:
            t = os.path.join(dst, n)
            if not os.path.exists(t):
                try:
                    os.link(os.path.join(src, n), t)
                except OSError:
                    import shutil
                    shutil.copyfile(os.path.join(src, n), t)
    stats = [manifest[str(i)] for i in range(pairs)]
    return vg, vp, stats


# ---------------------------------------------------------------------------
# timing


def timed_run(cmd, timeout):
    """Run cmd; return (wall seconds, peak RSS MB (10^6 bytes) of that child, exit code, stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        deadline = t0 + timeout
        while True:
            pid, status, ru = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
                pid, status, ru = os.wait4(p.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        msg = err.read().decode("utf-8", "replace")
    rss_kib = ru.ru_maxrss if sys.platform != "darwin" else ru.ru_maxrss / 1024
    return wall, rss_kib * 1024 / 1e6, p.returncode, msg


def warm_cache(dirs):
    n = 0
    for d in dirs:
        for name in os.listdir(d):
            with open(os.path.join(d, name), "rb") as f:
                n += len(f.read())
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--data", required=True, help="cache directory for the generated data set")
    ap.add_argument("--maskeval", help="maskeval binary (omit to time only the baselines)")
    ap.add_argument("--backend", action="append", choices=("cpu", "opencl"))
    ap.add_argument("--pairs", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers for data generation")
    ap.add_argument("--timeout", type=float, default=3600, help="per timed run")
    ap.add_argument("--skip-baselines", action="store_true")
    ap.add_argument("--markdown", help="also write the table to this file")
    o = ap.parse_args()
    if o.pairs < 1 or o.runs < 1:
        ap.error("--pairs and --runs must be >= 1")
    if o.maskeval is None and o.skip_baselines:
        ap.error("nothing to time")

    gt, pred, stats = ensure_data(os.path.abspath(o.data), o.seed, o.pairs, max(1, o.jobs))
    nbytes = warm_cache([gt, pred])
    agree = float(np.mean([s["agree"] for s in stats]))
    ign = float(np.mean([s["ignore"] for s in stats]))

    common = ["--gt", gt, "--pred", pred, "--num-classes", str(K), "--ignore-index", str(IGNORE)]
    tmpdir = tempfile.mkdtemp(prefix="bench_semantic_")
    tools = []
    if o.maskeval:
        for be in (o.backend or [None]):
            name = f"maskeval semantic ({be or 'default'} backend)"
            tools.append((name, [os.path.abspath(o.maskeval) if os.sep in o.maskeval else o.maskeval,
                                 "semantic", "--timing"] + common + (["--backend", be] if be else []),
                          True))
    if not o.skip_baselines:
        tools.append(("numpy bincount baseline (1 process)",
                      [sys.executable, os.path.join(HERE, "numpy_bincount_baseline.py")] + common, False))
        tools.append(("mmseg-style IoUMetric (1 process, float32 sums)",
                      [sys.executable, os.path.join(HERE, "mmseg_style_baseline.py")] + common, False))

    walls = {t[0]: [] for t in tools}
    rss = {t[0]: 0.0 for t in tools}
    split = {t[0]: [] for t in tools}  # maskeval's --timing line of each run
    miou = {}
    failed = []
    for r in range(o.runs):
        for i, (name, cmd, _) in enumerate(tools):
            out_json = os.path.join(tmpdir, f"out{i}.json")
            if os.path.exists(out_json):
                os.remove(out_json)
            wall, peak, rc, err = timed_run(cmd + ["--json", out_json], o.timeout)
            print(f"run {r + 1}/{o.runs}  {name}: {wall:.2f} s, {peak:.0f} MB, exit {rc}",
                  file=sys.stderr, flush=True)
            if rc != 0:
                failed.append(f"{name}: exit {rc}: {err.strip()[-500:]}")
                continue
            walls[name].append(wall)
            rss[name] = max(rss[name], peak)
            for line in err.splitlines():
                if line.startswith("maskeval: timing:"):
                    split[name].append(line[len("maskeval: timing:"):].strip())
            with open(out_json) as f:
                miou[name] = json.load(f).get("mIoU")

    ref_name = next((t[0] for t in tools if t[2] and t[0] in miou), None)
    if ref_name is None:
        ref_name = next((t[0] for t in tools if t[0] in miou), None)
    ok_tools = [t[0] for t in tools if walls[t[0]]]
    fastest = min(statistics.median(walls[n]) for n in ok_tools) if ok_tools else None

    try:
        import PIL
        pil = PIL.__version__
    except Exception:
        pil = "?"
    lines = [f"Semantic benchmark: {o.pairs} pairs of {W}x{H} 8-bit gray PNGs "
             f"({nbytes / 2**20:.1f} MiB), K={K}, ignore {IGNORE}, "
             f"prediction agrees on {100 * agree:.1f}% of non-ignored pixels, {100 * ign:.1f}% ignored; "
             f"median of {o.runs} run(s); seed {o.seed}.",
             f"Host: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python "
             f"{platform.python_version()}, numpy {np.__version__}, Pillow {pil}.",
             "",
             f"| tool | wall s | ratio vs fastest | peak RSS MB | mIoU | mIoU = {('maskeval' if any(t[2] for t in tools) else ref_name)} (1e-12) |",
             "|---|---:|---:|---:|---:|---|"]
    for name, _, _ in tools:
        if not walls[name]:
            lines.append(f"| {name} | failed | | | | |")
            continue
        med = statistics.median(walls[name])
        m = miou.get(name)
        r = miou.get(ref_name)
        if name == ref_name:
            match = "(reference)"
        elif m is None or r is None:
            match = "n/a"
        else:
            d = abs(m - r)
            match = "yes" if d <= 1e-12 else f"no (diff {d:.2g})"
        lines.append(f"| {name} | {med:.2f} | {med / fastest:.2f} | {rss[name]:.0f} | "
                     f"{'null' if m is None else f'{m:.10f}'} | {match} |")
    splits = [(n, split[n]) for n, _, _ in tools if split[n]]
    if splits:
        lines += ["", "maskeval's own split (`--timing`, the run with the median wall time):", ""]
        for name, runs in splits:
            order = sorted(range(len(runs)), key=lambda i: walls[name][i])
            lines.append(f"- {name}: {runs[order[len(order) // 2]]}")
    table = "\n".join(lines)
    print(table)
    if failed:
        print("\nFailures:\n" + "\n".join(failed))
    if o.markdown:
        with open(o.markdown, "w") as f:
            f.write(table + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
