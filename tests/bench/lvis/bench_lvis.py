#!/usr/bin/env python3
"""LVIS federated-AP benchmark: maskeval lvis against lvis-api and the fast peers.

    bench_lvis.py --data DIR --maskeval PATH [--runs 3] [--iou-type segm|bbox|both]
                  [--tools LIST] [--slow-runs N] [--max-dets 300] [--threads N]
                  [--ref-python PY] [--peer-python PY] [--out REPORT.md] [--json OUT]
                  [--timeout S] [--keep-logs DIR] [--no-breakdown]
    bench_lvis.py --from-json REPORT.json [--out REPORT.md]   (re-render)

DIR is what gen_lvis_scale.py wrote (gt.json, dt_segm.json, dt_bbox.json).
Every tool evaluates the same files, each run in its own process, interleaved
round by round (run 1 of every tool, then run 2, ...). Measured per run, from
os.wait4() of the child (run_process of tests/bench/coco/bench_coco.py): the
wall time of the whole process (interpreter start-up, imports, JSON parsing,
evaluation), user + sys CPU, peak RSS. The tables give medians over the runs.

Tools (--tools, comma-separated; default all):
    maskeval        maskeval lvis --backend cpu --json (the binary --maskeval)
    lvis-api        lvis 0.5.3 (the reference): LVIS + LVISResults(max_dets) + LVISEval,
                    np.float = float set and the package __init__ bypassed exactly as
                    tests/lvis/run_lvis.py does; run with --ref-python
                    (default: the repository's .venv)
    hotcoco         hotcoco.LVIS + LVISResults(max_dets) + LVISEval(...).run(), get_results()
    faster-coco-eval  faster_coco_eval COCO + loadRes + COCOeval_faster(lvis_style=True),
                    maxDets [max_dets] (a per-(image, category) limit, spec lvis.md 8.1)
    ultrafast-pycocotools  COCO + loadRes + COCOeval(lvis_style=True) (its
                    "official" protocol: global per-image cap), stats_as_dict()
    vernier         CocoDataset.from_lvis_json + Evaluator(parity_mode="strict",
                    max_dets=(max_dets,)); stats in the 13-slot LVIS order
The peers run with --peer-python (default: .venv-bench-lvis). A tool that
cannot be imported, or whose run fails, is skipped and named with the reason.

Each tool's 13 results (lvis-api's keys and order: AP AP50 AP75 APs APm APl
APr APc APf AR@N ARs@N ARm@N ARl@N) are compared with lvis-api's: "equal"
means all 13 are == ; the max |difference| is reported too. lvis-api's results
are cached in DIR/reference-lvis-{segm,bbox}-<max_dets>.json (keyed by the
files' names, sizes and mtimes), so a later run without lvis-api (it is slow)
still compares against them.
"""

import argparse
import datetime
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "coco"))
from bench_coco import file_key, git_commit, machine_info, maskeval_version, run_process, tail  # noqa: E402

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "APr", "APc", "APf",
        "AR@{n}", "ARs@{n}", "ARm@{n}", "ARl@{n}"]
PY_TOOLS = ("lvis-api", "hotcoco", "faster-coco-eval", "ultrafast-pycocotools", "vernier")
ALL_TOOLS = ("maskeval",) + PY_TOOLS
SLOW_DEFAULT = "lvis-api"

# module to import, distribution whose version is reported
IMPORTS = {
    "lvis-api": ("lvis.eval", "lvis"),
    "hotcoco": ("hotcoco", "hotcoco"),
    "faster-coco-eval": ("faster_coco_eval", "faster-coco-eval"),
    "ultrafast-pycocotools": ("ultrafast_pycocotools", "ultrafast-pycocotools"),
    "vernier": ("vernier.instance", "vernier"),
}

# Child programs: argv[1] gt, argv[2] dt, argv[3] iou type, argv[4] max_dets,
# argv[5] output JSON ({"keys": [...], "values": [13 floats]}), argv[6] threads
# ("" = tool default). Output printing goes to the child's stdout (a log file).
_SAVE = (
    "import json\n"
    "with open(sys.argv[5], 'w') as f:\n"
    "    json.dump({'keys': [str(k) for k in keys], 'values': [float(v) for v in values]}, f)\n"
)
_LVIS_IMPORT = r"""
import importlib.util, sys, types
import numpy as np
if not hasattr(np, "float"):
    np.float = float  # lvis 0.5.3's only difference from master in this path
spec = importlib.util.find_spec("lvis")
pkg = types.ModuleType("lvis")
pkg.__path__ = list(spec.submodule_search_locations)
sys.modules["lvis"] = pkg
"""
PROGRAMS = {
    # As tests/lvis/run_lvis.py REFERENCE runs it.
    "lvis-api": (
        _LVIS_IMPORT +
        "import logging\n"
        "logging.disable(logging.CRITICAL)\n"
        "from lvis.lvis import LVIS\n"
        "from lvis.results import LVISResults\n"
        "from lvis.eval import LVISEval\n"
        "gt_path, dt_path, iou, max_dets = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
        "gt = LVIS(gt_path)\n"
        "dt = LVISResults(gt, dt_path, max_dets=max_dets)\n"
        "E = LVISEval(gt, dt, iou)\n"
        "E.params.max_dets = max_dets\n"
        "E.run()\n"
        "E.print_results()\n"
        "res = E.get_results()\n"
        "keys, values = list(res.keys()), list(res.values())\n" + _SAVE),
    "hotcoco": (
        "import sys\n"
        "from hotcoco import LVIS, LVISResults, LVISEval\n"
        "gt_path, dt_path, iou, max_dets = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
        "gt = LVIS(gt_path)\n"
        "dt = LVISResults(gt, dt_path, max_dets=max_dets)\n"
        "E = LVISEval(gt, dt, iou)\n"
        "E.run()\n"
        "E.print_results()\n"
        "res = E.get_results()\n"
        "keys, values = list(res.keys()), list(res.values())\n" + _SAVE),
    "faster-coco-eval": (
        "import sys\n"
        "from faster_coco_eval import COCO, COCOeval_faster\n"
        "gt_path, dt_path, iou, max_dets = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
        "gt = COCO(gt_path)\n"
        "dt = gt.loadRes(dt_path)\n"
        "E = COCOeval_faster(gt, dt, iouType=iou, lvis_style=True, print_function=print)\n"
        "E.params.maxDets = [max_dets]\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "d = E.stats_as_dict\n"
        "d = d() if callable(d) else d\n"
        "names = ['AP_all', 'AP_50', 'AP_75', 'AP_small', 'AP_medium', 'AP_large', 'APr', 'APc',\n"
        "         'APf', 'AR_all', 'AR_small', 'AR_medium', 'AR_large']\n"
        "keys, values = names, [d[k] for k in names]\n" + _SAVE),
    "ultrafast-pycocotools": (
        "import sys\n"
        "from ultrafast_pycocotools import COCO, COCOeval\n"
        "gt_path, dt_path, iou, max_dets = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
        "gt = COCO(gt_path)\n"
        "dt = gt.loadRes(dt_path)\n"
        "E = COCOeval(gt, dt, iou, lvis_style=True)\n"
        "E.params.maxDets = [max_dets]\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "d = E.stats_as_dict\n"
        "d = d() if callable(d) else d\n"
        "keys, values = list(d.keys())[:13], list(d.values())[:13]\n" + _SAVE),
    # Evaluator.evaluate() gives COCO's 12 stats even for a federated dataset;
    # the 13 LVIS results come from the grid -> accumulate -> summarize_lvis path.
    "vernier": (
        "import sys\n"
        "import vernier.instance as vi\n"
        "gt_path, dt_path, iou, max_dets = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])\n"
        "with open(gt_path, 'rb') as f: gt = vi.CocoDataset.from_lvis_json(f.read())\n"
        "with open(dt_path, 'rb') as f: dt = f.read()\n"
        "grid = getattr(vi, 'evaluate_%s_grid' % iou)(gt, dt, parity_mode='strict',\n"
        "    max_dets_per_image=max_dets, use_cats=True,\n"
        "    num_threads=int(sys.argv[6]) if sys.argv[6] else None)\n"
        "s = grid.accumulate([max_dets]).summarize_lvis(gt, [max_dets])\n"
        "print('\\n'.join(s.pretty_lines()))\n"
        "values = list(s.stats)\n"
        "keys = [k.replace('{n}', str(max_dets)) for k in " + repr(KEYS) + "]\n" + _SAVE),
}


class Entry:
    def __init__(self, tool, runs):
        self.tool, self.runs = tool, runs
        self.results = []
        self.keys = self.values = None
        self.same_every_run = True
        self.fail = None

    @property
    def ok(self):
        return [r for r in self.results if r["rc"] == 0 and r.get("values") is not None]


def probe(python, tool, env):
    mod, dist = IMPORTS[tool]
    code = ("import importlib, importlib.metadata as m\n" +
            (_LVIS_IMPORT if tool == "lvis-api" else "") +
            "importlib.import_module(%r)\nprint(m.version(%r))\n" % (mod, dist))
    p = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        return "cannot import %s with %s: %s" % (mod, python, lines[-1] if lines else p.returncode), None
    return None, p.stdout.strip()


def command(tool, args, gt, dt, iou, out):
    if tool == "maskeval":
        argv = [args.maskeval, "lvis", "--gt", gt, "--dt", dt, "--iou-type", iou,
                "--max-dets", str(args.max_dets), "--backend", "cpu", "--json", out, "--quiet"]
        if args.threads:
            argv += ["--threads", str(args.threads)]
        return argv
    py = args.ref_python if tool == "lvis-api" else args.peer_python
    return [py, "-c", PROGRAMS[tool], gt, dt, iou, str(args.max_dets), out, str(args.threads or "")]


def read_values(tool, path, keys_ref):
    """(tool's own keys, values in lvis-api's key order). A tool whose keys are
    lvis-api's in another order (hotcoco's get_results() sorts them) is
    reordered by name; other key sets are taken positionally."""
    try:
        with open(path) as f:
            obj = json.load(f)
    except (OSError, ValueError):
        return None, None
    if tool == "maskeval":
        keys, vals = list(obj["results"].keys()), [float(v) for v in obj["results"].values()]
    else:
        keys, vals = obj["keys"], [float(v) for v in obj["values"]]
    if keys != keys_ref and sorted(keys) == sorted(keys_ref):
        d = dict(zip(keys, vals))
        vals = [d[k] for k in keys_ref]
    return keys, vals


def compare(vals, ref):
    if vals is None or ref is None or len(vals) != len(ref):
        return None, None
    return all(a == b for a, b in zip(vals, ref)), max(abs(a - b) for a, b in zip(vals, ref))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data")
    ap.add_argument("--maskeval", default=os.path.join(ROOT, "build", "maskeval"))
    ap.add_argument("--from-json")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--slow-runs", type=int, default=None, help="runs for --slow-tools (default --runs)")
    ap.add_argument("--slow-tools", default=SLOW_DEFAULT)
    ap.add_argument("--iou-type", default="both", choices=("segm", "bbox", "both"))
    ap.add_argument("--tools", default=",".join(ALL_TOOLS))
    ap.add_argument("--max-dets", type=int, default=300)
    ap.add_argument("--threads", type=int, default=None,
                    help="maskeval --threads, vernier num_threads, RAYON/OMP_NUM_THREADS "
                         "(default: each tool's own default)")
    ap.add_argument("--ref-python", default=os.path.join(ROOT, ".venv", "bin", "python"))
    ap.add_argument("--peer-python", default=os.path.join(ROOT, ".venv-bench-lvis", "bin", "python"))
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    ap.add_argument("--out", help="Markdown report (also printed)")
    ap.add_argument("--json", help="raw timings (default: next to --out)")
    ap.add_argument("--keep-logs")
    ap.add_argument("--no-breakdown", action="store_true", help="skip maskeval's --timing run")
    ap.add_argument("--label", help="title suffix, e.g. the data set's size")
    args = ap.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as f:
            md = markdown(json.load(f))
        print(md)
        if args.out:
            with open(args.out, "w") as f:
                f.write(md)
        return 0
    if not args.data:
        ap.error("--data is required")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in tools:
        if t not in ALL_TOOLS:
            ap.error("unknown tool %r (known: %s)" % (t, ", ".join(ALL_TOOLS)))
    slow = {t.strip() for t in args.slow_tools.split(",") if t.strip()}
    slow_runs = args.slow_runs if args.slow_runs is not None else args.runs
    ious = ["segm", "bbox"] if args.iou_type == "both" else [args.iou_type]
    files = {"gt": os.path.join(args.data, "gt.json"), "segm": os.path.join(args.data, "dt_segm.json"),
             "bbox": os.path.join(args.data, "dt_bbox.json")}
    for k in ["gt"] + ious:
        if not os.path.exists(files[k]):
            ap.error("missing %s (run gen_lvis_scale.py --out %s first)" % (files[k], args.data))
    args.maskeval = os.path.abspath(args.maskeval)
    logdir = args.keep_logs or tempfile.mkdtemp(prefix="bench_lvis_")
    os.makedirs(logdir, exist_ok=True)
    env = dict(os.environ)
    if args.threads:
        env["RAYON_NUM_THREADS"] = env["OMP_NUM_THREADS"] = str(args.threads)

    versions, skipped = {}, {}
    if "maskeval" in tools:
        if not os.access(args.maskeval, os.X_OK):
            skipped["maskeval"] = "not executable: %s" % args.maskeval
        else:
            versions["maskeval"] = maskeval_version(args.maskeval)
            c = git_commit(args.maskeval)
            if c:
                versions["maskeval"] += " (source tree at %s)" % c
    for t in tools:
        if t in PY_TOOLS:
            py = args.ref_python if t == "lvis-api" else args.peer_python
            reason, ver = probe(py, t, env)
            if reason:
                skipped[t] = reason
            else:
                versions[t] = ver
    for label, py in (("numpy (lvis-api)", args.ref_python), ("numpy (peers)", args.peer_python)):
        p = subprocess.run([py, "-c", "import numpy; print(numpy.__version__)"], capture_output=True, text=True)
        versions[label] = p.stdout.strip() if p.returncode == 0 else "?"

    for k in ["gt"] + ious:  # warm the page cache
        with open(files[k], "rb") as f:
            while f.read(1 << 24):
                pass
    machine = machine_info()
    print("bench_lvis: %s, %d cores; data %s; runs %d (slow %d); logs %s" % (
        machine["cpu"], machine["cores"], args.data, args.runs, slow_runs, logdir), flush=True)
    for t, why in skipped.items():
        print("  skipping %s: %s" % (t, why), flush=True)

    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine,
              "versions": versions, "data": args.data, "label": args.label,
              "files": {os.path.basename(v): os.path.getsize(v) for v in files.values() if os.path.exists(v)},
              "runs": args.runs, "slow_runs": slow_runs, "slow_tools": sorted(slow), "threads": args.threads,
              "max_dets": args.max_dets, "skipped": skipped, "iou_types": {}}
    try:
        with open(os.path.join(args.data, "summary.json")) as f:
            report["data_summary"] = json.load(f)
    except (OSError, ValueError):
        pass

    keys_ref = [k.format(n=args.max_dets) for k in KEYS]
    for iou in ious:
        dt = files[iou]
        entries = [Entry(t, slow_runs if t in slow else args.runs) for t in tools if t not in skipped]
        for r in range(max([e.runs for e in entries] or [0])):
            for e in entries:
                if r >= e.runs or e.fail:
                    continue
                out = os.path.join(logdir, "%s-%s-%d.json" % (iou, e.tool, r))
                if os.path.exists(out):
                    os.unlink(out)
                res = run_process(command(e.tool, args, files["gt"], dt, iou, out), env, args.timeout,
                                  os.path.join(logdir, "%s-%s-%d" % (iou, e.tool, r)))
                res["run"] = r
                keys, vals = read_values(e.tool, out, keys_ref) if res["rc"] == 0 else (None, None)
                res["values"] = vals
                e.results.append(res)
                if vals is None:
                    why = ("timed out after %.0f s" % args.timeout if res["timed_out"] else
                           "exit %d: %s" % (res["rc"], tail(res["stderr"]) or tail(res["stdout"])))
                    e.fail = why
                    print("  %s %-22s run %d FAILED: %s" % (iou, e.tool, r + 1, why), flush=True)
                    continue
                if e.values is None:
                    e.keys, e.values = keys, vals
                elif vals != e.values:
                    e.same_every_run = False
                print("  %s %-22s run %d: %8.3f s  cpu %8.2f s  %7.1f MB" % (
                    iou, e.tool, r + 1, res["wall_s"], res["user_s"] + res["sys_s"], res["peak_rss_mb"]),
                    flush=True)

        ref = next((e for e in entries if e.tool == "lvis-api" and e.ok), None)
        cache = os.path.join(args.data, "reference-lvis-%s-%d.json" % (iou, args.max_dets))
        fkey = {"gt": file_key(files["gt"]), "dt": file_key(dt)}
        ref_vals, ref_src = None, None
        if ref:
            ref_vals, ref_src = ref.values, "this run"
            if ref.keys != keys_ref:
                print("  WARNING: lvis-api keys %r" % ref.keys)
            try:
                with open(cache, "w") as f:
                    json.dump({"tool": "lvis-api", "version": versions.get("lvis-api"), "files": fkey,
                               "keys": ref.keys, "values": ref.values,
                               "wall_s": [x["wall_s"] for x in ref.ok]}, f)
            except OSError:
                pass
        else:
            try:
                with open(cache) as f:
                    c = json.load(f)
                if c.get("files") == fkey:
                    ref_vals = c["values"]
                    ref_src = "cached from an earlier run (lvis %s, %s)" % (c.get("version"), cache)
            except (OSError, ValueError, KeyError):
                pass
        base = next((e for e in entries if e.tool == "maskeval" and e.ok), None)
        base_med = statistics.median(x["wall_s"] for x in base.ok) if base else None
        rows = []
        for e in entries:
            row = {"tool": e.tool, "version": versions.get(e.tool), "runs_planned": e.runs,
                   "runs": [{k: v for k, v in x.items() if k not in ("stdout", "stderr")} for x in e.results]}
            if e.fail:
                row["failed"] = e.fail
            if not e.ok:
                rows.append(row)
                continue
            walls = [x["wall_s"] for x in e.ok]
            med = statistics.median(walls)
            eq, diff = compare(e.values, ref_vals)
            eq_m, diff_m = compare(e.values, base.values if base else None)
            row.update({"wall_median_s": med, "wall_min_s": min(walls),
                        "cpu_median_s": statistics.median(x["user_s"] + x["sys_s"] for x in e.ok),
                        "peak_rss_mb_median": statistics.median(x["peak_rss_mb"] for x in e.ok),
                        "peak_rss_mb_max": max(x["peak_rss_mb"] for x in e.ok),
                        "ratio_vs_maskeval": med / base_med if base_med else None,
                        "keys": e.keys, "values": e.values, "equal": eq, "max_abs_diff": diff,
                        "equal_to_maskeval": eq_m, "max_abs_diff_vs_maskeval": diff_m,
                        "same_every_run": e.same_every_run})
            if e.keys != keys_ref:
                row["own_keys"] = e.keys
                row["key_note"] = ("same keys, other order (compared by name)"
                                   if sorted(e.keys) == sorted(keys_ref) else "own names (compared by position)")
            rows.append(row)
        report["iou_types"][iou] = {"rows": rows, "reference": ref_vals, "reference_source": ref_src}

    if not args.no_breakdown and "maskeval" in tools and "maskeval" not in skipped:
        report["breakdown"] = {}
        for iou in ious:
            argv_ = [args.maskeval, "lvis", "--gt", files["gt"], "--dt", files[iou], "--iou-type", iou,
                     "--max-dets", str(args.max_dets), "--backend", "cpu", "--timing", "--quiet",
                     "--json", os.path.join(logdir, "breakdown-%s.json" % iou)]
            if args.threads:
                argv_ += ["--threads", str(args.threads)]
            res = run_process(argv_, env, args.timeout, os.path.join(logdir, "breakdown-%s" % iou))
            with open(res["stderr"], errors="replace") as f:
                text = f.read().strip()
            report["breakdown"][iou] = {"command": " ".join(shlex.quote(a) for a in argv_), "stderr": text,
                                        "wall_s": res["wall_s"], "peak_rss_mb": res["peak_rss_mb"]}

    md = markdown(report)
    print()
    print(md)
    if args.out:
        with open(args.out, "w") as f:
            f.write(md)
    jp = args.json or (os.path.splitext(args.out)[0] + ".json" if args.out else None)
    if jp:
        with open(jp, "w") as f:
            json.dump(report, f, indent=1)
        print("raw timings: %s" % jp)
    return 0


def markdown(rep):
    m = rep["machine"]
    v = rep["versions"]
    out = ["## LVIS benchmark%s (%s)" % (" — " + rep["label"] if rep.get("label") else "", rep["date"]), ""]
    out.append("Machine: %s (%s), %d cores, %s GiB RAM; %s; Python %s; numpy %s (lvis-api), %s (peers)." % (
        m["cpu"], m["cpu_flags"] or "-", m["cores"], m["mem_gib"], m["os"], m["python"],
        v.get("numpy (lvis-api)", "?"), v.get("numpy (peers)", "?")))
    files = ", ".join("%s %.1f MB" % (k, n / 1e6) for k, n in rep["files"].items())
    ds = rep.get("data_summary")
    if ds:
        out.append("Data: %s — %d images, %d categories (r/c/f %d/%d/%d), %d GT instances (%.1f per image), "
                   "%d results (%d per image); %s." % (
                       rep["data"], ds["images"], ds["categories"], ds["tiers"]["r"], ds["tiers"]["c"],
                       ds["tiers"]["f"], ds["gt_instances"], ds["gt_instances"] / max(ds["images"], 1),
                       ds["results"], ds["dets_per_image"], files))
    else:
        out.append("Data: %s (%s)." % (rep["data"], files))
    out.append("Each run is its own process; wall = whole process (start-up, imports, JSON parsing, "
               "evaluation); CPU = user + sys; peak RSS from wait4(). Medians over %d runs%s, interleaved "
               "round by round; max_dets %d; threads: %s. 'equal' = all 13 results == lvis-api's; "
               "ratio = tool median wall / maskeval median wall." % (
                   rep["runs"], "" if rep["slow_runs"] == rep["runs"] else
                   " (%d for %s)" % (rep["slow_runs"], ", ".join(rep["slow_tools"])),
                   rep["max_dets"], rep["threads"] or "each tool's default"))
    out.append("")
    for iou, block in rep["iou_types"].items():
        out.append("### %s" % iou)
        out.append("")
        out.append("| tool | version | runs | wall s (median) | wall s (min) | vs maskeval | CPU s | "
                   "peak RSS MB | equal to lvis-api | max abs diff | equal to maskeval |")
        out.append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|")
        for r in block["rows"]:
            ver = (r.get("version") or "?").replace("maskeval ", "")
            if "wall_median_s" not in r:
                out.append("| %s | %s | %d | - | - | - | - | - | failed: %s | - | - |" % (
                    r["tool"], ver, len(r["runs"]), r.get("failed")))
                continue
            eq = r["equal"]
            s = "n/a (no reference)" if eq is None else ("yes" if eq else "**no**")
            if r["tool"] == "lvis-api":
                s = "reference"
            if not r["same_every_run"]:
                s += " (varies between runs!)"
            if r.get("failed"):
                s += " (a run failed: %s)" % r["failed"]
            if r.get("key_note") and r["tool"] in ("maskeval", "lvis-api"):
                s += " (keys: %s)" % r["key_note"]
            d = r["max_abs_diff"]
            mrow = next((x for x in block["rows"] if x["tool"] == "maskeval" and x.get("values")), None)
            em, dm = compare(r["values"], mrow["values"] if mrow else None)
            em_s = "-" if em is None or r["tool"] == "maskeval" else ("yes" if em else "no (%.3g)" % dm)
            out.append("| %s | %s | %d | %.3f | %.3f | %s | %.2f | %.0f | %s | %s | %s |" % (
                r["tool"], ver, len(r["runs"]), r["wall_median_s"], r["wall_min_s"],
                "-" if r["ratio_vs_maskeval"] is None else "%.2f" % r["ratio_vs_maskeval"],
                r["cpu_median_s"], r["peak_rss_mb_max"], s,
                "-" if d is None else ("0" if d == 0 else "%.3g" % d), em_s))
        out.append("")
        ref = block.get("reference")
        if ref:
            keys = [k.format(n=rep["max_dets"]) for k in KEYS]
            out.append("lvis-api results (%s): %s" % (block.get("reference_source"), ", ".join(
                "%s %.4f" % kv for kv in zip(keys, ref))))
            out.append("")
            for r in block["rows"]:
                if r.get("equal") is False:
                    keys_d = [k for k, a, b in zip(keys, r["values"], ref) if a != b]
                    out.append("- %s differs in %s: %s" % (r["tool"], ", ".join(keys_d), "; ".join(
                        "%s %r vs %r" % (k, a, b) for k, a, b in zip(keys, r["values"], ref) if a != b)))
            out.append("")
    notes = {}
    for block in rep["iou_types"].values():
        for r in block["rows"]:
            if r.get("key_note"):
                notes[r["tool"]] = "%s: %s" % (r["key_note"], ", ".join(r["own_keys"]))
    for t, n in notes.items():
        out.append("- %s result keys — %s" % (t, n))
    if notes:
        out.append("")
    if rep.get("skipped"):
        out.append("Skipped: " + "; ".join("%s (%s)" % kv for kv in rep["skipped"].items()))
        out.append("")
    if rep.get("breakdown"):
        out.append("maskeval stage breakdown (one extra run each, --timing):")
        out.append("")
        out.append("```")
        for iou, b in rep["breakdown"].items():
            out.append("$ %s   # wall %.3f s, peak RSS %.0f MB" % (b["command"], b["wall_s"], b["peak_rss_mb"]))
            out.append(b["stderr"])
        out.append("```")
        out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.exit(main())
