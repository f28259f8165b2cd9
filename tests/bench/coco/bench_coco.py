#!/usr/bin/env python3
"""COCO mAP benchmark: maskeval against pycocotools and the fast evaluators (issue #6).

    bench_coco.py --data DIR --maskeval PATH [--runs 3] [--iou-type segm|bbox|both]
                  [--backends cpu,opencl] [--tools LIST] [--slow-runs N]
                  [--threads N] [--markdown OUT] [--json OUT] [--no-breakdown]
    bench_coco.py --from-json REPORT.json [--markdown OUT]   (re-render a report)

DIR is what gen_coco_val.py wrote (gt.json, dt_segm.json, dt_bbox.json). Every
tool evaluates the same files, each run in a separate process, one after the
other and interleaved round by round (run 1 of every tool, then run 2, ...), so
slow drifts of the machine hit all tools alike. Measured per run: whole-process
wall time (start of the process to its exit, so interpreter start-up, imports,
JSON parsing and evaluation all count) and the peak RSS of the child from
os.wait4(). The table reports the median and the minimum over the runs.

Tools (--tools, comma-separated; default all):
    maskeval            the binary given by --maskeval, once per --backends entry
    maskeval-python     the Python package (pip install ./python): maskeval.COCO +
                        loadRes + maskeval.COCOeval evaluate/accumulate/summarize
    pycocotools         COCO() + loadRes() + COCOeval evaluate/accumulate/summarize
    faster-coco-eval    faster_coco_eval.COCO + loadRes + COCOeval_faster
    vernier             vernier.instance.Evaluator(parity_mode="strict"), native API
                        (the pycocotools-compatible shim would parse with pycocotools)
    hotcoco             hotcoco.COCO + load_res + COCOeval.run()
    ultrafast-pycocotools  ultrafast_pycocotools.COCO + loadRes + COCOeval
The Python tools run with --python (default: this interpreter). A tool that
cannot be imported, or whose run fails, is skipped and named with the reason.

For each tool the 12 summary stats are captured and compared with
pycocotools': "identical" means all 12 floats are == (bit-identical), and the
maximum absolute difference is reported. pycocotools' stats are cached in
DIR/reference-stats-{segm,bbox}.json (keyed by the files' names, sizes and
mtimes), so a later run without pycocotools (--tools maskeval,vernier,...)
still compares against them.

--slow-runs N runs the slow reference tools (--slow-tools, default pycocotools
and faster-coco-eval) N times instead of --runs; the table says how many runs
each row used.

Unless --no-breakdown, maskeval (first backend) is also run once per IoU type
with --timing (and --threads, default 2) and its stage breakdown is included.
"""

import argparse
import datetime
import json
import os
import platform
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PY_TOOLS = ("maskeval-python", "pycocotools", "faster-coco-eval", "vernier", "hotcoco",
            "ultrafast-pycocotools")
ALL_TOOLS = ("maskeval",) + PY_TOOLS

# Module each Python tool needs and the distribution whose version is reported.
IMPORTS = {
    "maskeval-python": ("maskeval", "maskeval"),
    "pycocotools": ("pycocotools.cocoeval", "pycocotools"),
    "faster-coco-eval": ("faster_coco_eval", "faster-coco-eval"),
    "vernier": ("vernier.instance", "vernier"),
    "hotcoco": ("hotcoco", "hotcoco"),
    "ultrafast-pycocotools": ("ultrafast_pycocotools", "ultrafast-pycocotools"),
}

# The programs the child processes run: argv[1] gt, argv[2] dt, argv[3] iou
# type, argv[4] stats output file, argv[5] threads ("" = tool default).
# Each prints what the tool prints (summarize output) to its stdout, which the
# benchmark discards into a file.
_SAVE = (
    "import json\n"
    "with open(sys.argv[4], 'w') as f:\n"
    "    json.dump([float(x) for x in list(stats)[:12]], f)\n"
)
PROGRAMS = {
    "maskeval-python": (
        "import sys\n"
        "from maskeval import COCO, COCOeval\n"
        "gt = COCO(sys.argv[1])\n"
        "dt = gt.loadRes(sys.argv[2])\n"
        "E = COCOeval(gt, dt, sys.argv[3])\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "stats = E.stats\n" + _SAVE),
    "pycocotools": (
        "import sys\n"
        "from pycocotools.coco import COCO\n"
        "from pycocotools.cocoeval import COCOeval\n"
        "gt = COCO(sys.argv[1])\n"
        "dt = gt.loadRes(sys.argv[2])\n"
        "E = COCOeval(gt, dt, sys.argv[3])\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "stats = E.stats\n" + _SAVE),
    "faster-coco-eval": (
        "import sys\n"
        "from faster_coco_eval import COCO, COCOeval_faster\n"
        "gt = COCO(sys.argv[1])\n"
        "dt = gt.loadRes(sys.argv[2])\n"
        "E = COCOeval_faster(gt, dt, iouType=sys.argv[3], print_function=print)\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "stats = E.stats\n" + _SAVE),
    "vernier": (
        "import sys\n"
        "from vernier.instance import Bbox, CocoDataset, Evaluator, Segm\n"
        "with open(sys.argv[1], 'rb') as f: gt = CocoDataset.from_json(f.read())\n"
        "with open(sys.argv[2], 'rb') as f: dt = f.read()\n"
        "ev = Evaluator(iou=Segm() if sys.argv[3] == 'segm' else Bbox(), parity_mode='strict')\n"
        "s = ev.evaluate(gt, dt, num_threads=int(sys.argv[5]) if sys.argv[5] else None)\n"
        "print('\\n'.join(s.pretty_lines()))\n"
        "stats = s.stats\n" + _SAVE),
    "hotcoco": (
        "import sys\n"
        "from hotcoco import COCO, COCOeval\n"
        "gt = COCO(sys.argv[1])\n"
        "dt = gt.load_res(sys.argv[2])\n"
        "E = COCOeval(gt, dt, sys.argv[3])\n"
        "E.run()\n"
        "stats = E.stats\n" + _SAVE),
    "ultrafast-pycocotools": (
        "import sys\n"
        "from ultrafast_pycocotools import COCO, COCOeval\n"
        "gt = COCO(sys.argv[1])\n"
        "dt = gt.loadRes(sys.argv[2])\n"
        "E = COCOeval(gt, dt, sys.argv[3])\n"
        "E.evaluate(); E.accumulate(); E.summarize()\n"
        "stats = E.stats\n" + _SAVE),
}


# ----------------------------------------------------------------------------
# Running one process
# ----------------------------------------------------------------------------

def run_process(argv, env, timeout, log_prefix):
    """Run argv; return dict(rc, wall_s, peak_rss_mb, stdout, stderr paths)."""
    out_path, err_path = log_prefix + ".out", log_prefix + ".err"
    with open(out_path, "wb") as fo, open(err_path, "wb") as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdout=fo, stderr=fe, env=env, start_new_session=True)
        killed = []

        def kill():
            killed.append(True)
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
    return {"rc": p.returncode, "wall_s": wall, "peak_rss_mb": ru.ru_maxrss / 1024.0,
            "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "timed_out": bool(killed),
            "stdout": out_path, "stderr": err_path}


def tail(path, n=3):
    try:
        with open(path, "rb") as f:
            lines = f.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(l.strip() for l in lines[-n:])


# ----------------------------------------------------------------------------
# Tools
# ----------------------------------------------------------------------------

class Entry:
    """One row of the table: a tool (and backend) on one IoU type."""

    def __init__(self, tool, backend, label, runs):
        self.tool, self.backend, self.label, self.runs = tool, backend, label, runs
        self.results = []          # per-run dicts from run_process
        self.stats = None          # 12 floats of the first successful run
        self.stats_all_runs_equal = True
        self.skip_reason = None

    @property
    def ok_runs(self):
        return [r for r in self.results if r["rc"] == 0 and r.get("stats") is not None]


def probe_python_tool(python, tool, env):
    """None if the tool imports, else the reason. Also returns the version."""
    mod, dist = IMPORTS[tool]
    code = ("import importlib, importlib.metadata as m\n"
            "importlib.import_module(%r)\n"
            "print(m.version(%r))\n" % (mod, dist))
    p = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env)
    if p.returncode != 0:
        lines = (p.stderr or p.stdout).strip().splitlines()
        return "cannot import %s: %s" % (mod, lines[-1] if lines else "rc %d" % p.returncode), None
    return None, p.stdout.strip()


def command_for(entry, args, gt, dt, iou, stats_path):
    if entry.tool == "maskeval":
        argv = [args.maskeval, "coco", "--gt", gt, "--dt", dt, "--iou-type", iou,
                "--backend", entry.backend, "--json", stats_path, "--quiet"]
        if args.threads:
            argv += ["--threads", str(args.threads)]
        return argv
    return [args.python, "-c", PROGRAMS[entry.tool], gt, dt, iou, stats_path,
            str(args.threads or "")]


def read_stats(entry, path):
    try:
        with open(path) as f:
            obj = json.load(f)
    except (OSError, ValueError):
        return None
    stats = obj["stats"] if isinstance(obj, dict) else obj
    return [float(x) for x in stats][:12]


def compare(stats, ref):
    if stats is None or ref is None:
        return None, None
    identical = len(stats) == len(ref) and all(a == b for a, b in zip(stats, ref))
    diff = max(abs(a - b) for a, b in zip(stats, ref))
    return identical, diff


# ----------------------------------------------------------------------------
# Machine description
# ----------------------------------------------------------------------------

def machine_info():
    cpu = platform.processor() or "?"
    flags = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    fl = line.split(":", 1)[1].split()
                    flags = ",".join(x for x in ("avx2", "avx512f", "avx512bw") if x in fl)
    except OSError:
        pass
    mem_gib = None
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {"cpu": cpu, "cpu_flags": flags, "cores": os.cpu_count(),
            "affinity_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "mem_gib": mem_gib, "os": platform.platform(), "python": platform.python_version()}


def maskeval_version(path):
    try:
        p = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
        text = (p.stdout.strip() or p.stderr.strip()).splitlines()
        return text[0] if text else "?"
    except OSError as e:
        return "? (%s)" % e


def git_commit(path):
    """Commit of the sources the binary was built from (its CMake source dir,
    else the directory it lies in), '+dirty' with uncommitted tracked changes."""
    d = os.path.dirname(os.path.realpath(path))
    try:
        with open(os.path.join(d, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith("CMAKE_HOME_DIRECTORY:"):
                    d = line.split("=", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        p = subprocess.run(["git", "-C", d, "rev-parse", "--short", "HEAD"],
                           capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", d, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=30)
        if p.returncode == 0:
            return p.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except OSError:
        pass
    return None


# ----------------------------------------------------------------------------
# Main
# ----------------------------------------------------------------------------

def tool_list(ap, spec, known, hint=""):
    """The names of a comma-separated --tools value, in order; an unknown
    one is a usage error naming the known ones (and hint)."""
    tools = [t for t in spec.split(",") if t]
    for t in tools:
        if t not in known:
            ap.error("unknown tool %r (known: %s%s)" % (t, ", ".join(known), hint))
    return tools


def private_maskeval(path, logdir):
    """Copies the maskeval binary into logdir and returns (copy, version): a
    benchmark runs the copy, so a rebuild of the build tree while it runs
    cannot mix two binaries in one table; the version names the source tree
    and the copy's sha256 and build time."""
    import shutil
    version = maskeval_version(path).replace("maskeval ", "")
    c = git_commit(path)
    if c:
        version += " (source tree at %s)" % c
    copy = os.path.join(logdir, "maskeval")
    shutil.copy2(path, copy)
    return copy, version + " (binary %s)" % binary_id(copy)


def file_key(path):
    st = os.stat(path)
    return [os.path.basename(path), st.st_size, int(st.st_mtime)]


def fmt(x, nd=2):
    return "-" if x is None else ("%.*f" % (nd, x))



# ---- shared by the other benchmarks (boundary, panoptic) ---------------------

def binary_id(path):
    """sha256 prefix and mtime of the binary (its source tree may have moved on)."""
    import hashlib
    with open(path, "rb") as f:
        h = hashlib.sha256(f.read()).hexdigest()[:12]
    mt = datetime.datetime.fromtimestamp(os.path.getmtime(path), datetime.timezone.utc)
    return "sha256 %s, built %s" % (h, mt.strftime("%Y-%m-%d %H:%M UTC"))


def dist_version(python, dist):
    """The installed version of distribution `dist` under `python`, or None."""
    p = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version(%r))" % dist],
                       capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else None


def eq_cell(e, d):
    """A table cell for an equality check e (None: not run) with max abs diff d."""
    if e is None:
        return "-"
    return ("equal" if e else "**differs**") + (" (max abs diff %s)" % ("0" if d == 0 else "%.3g" % d))


def rewrite_markdown(json_path, markdown_fn, markdown_path):
    """--from-json: the table of a saved report, printed (and written to markdown_path)."""
    with open(json_path) as f:
        md = markdown_fn(json.load(f))
    print(md)
    if markdown_path:
        with open(markdown_path, "w") as f:
            f.write(md)
    return 0


def write_report(rep, md, markdown_path, json_path):
    """Prints the markdown table and writes it and the JSON report where asked."""
    print(md)
    if markdown_path:
        os.makedirs(os.path.dirname(os.path.abspath(markdown_path)), exist_ok=True)
        with open(markdown_path, "w") as f:
            f.write(md)
    jpath = json_path or (os.path.splitext(markdown_path)[0] + ".json" if markdown_path else None)
    if jpath:
        with open(jpath, "w") as f:
            json.dump(rep, f, indent=1)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="directory with gt.json, dt_segm.json, dt_bbox.json")
    ap.add_argument("--maskeval", help="path of the maskeval binary")
    ap.add_argument("--from-json", metavar="REPORT.json",
                    help="only render the Markdown of an earlier report (no runs)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--slow-runs", type=int, default=None,
                    help="runs for --slow-tools (default: --runs)")
    ap.add_argument("--slow-tools", default="pycocotools,faster-coco-eval")
    ap.add_argument("--iou-type", default="both", choices=("segm", "bbox", "both"))
    ap.add_argument("--backends", default="cpu", help="maskeval backends, e.g. cpu,opencl")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS))
    ap.add_argument("--threads", type=int, default=None,
                    help="threads for maskeval (--threads), vernier (num_threads) and the "
                         "Rayon/OpenMP pools (RAYON_NUM_THREADS, OMP_NUM_THREADS); default: "
                         "each tool's own default (all CPUs)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the Python tools")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    ap.add_argument("--markdown", help="write the Markdown report here (also printed)")
    ap.add_argument("--json", help="write all raw timings here (default: next to --markdown)")
    ap.add_argument("--no-breakdown", action="store_true",
                    help="skip the extra maskeval --timing run")
    ap.add_argument("--breakdown-threads", type=int, default=2)
    ap.add_argument("--maskeval-note", help="shown next to maskeval's version, e.g. the commit it "
                    "was built from (default: the commit of its CMake source tree now)")
    ap.add_argument("--keep-logs", help="directory for the child processes' stdout/stderr")
    args = ap.parse_args(argv)
    if args.from_json:
        return rewrite_markdown(args.from_json, markdown, args.markdown)

    if not args.data or not args.maskeval:
        ap.error("--data and --maskeval are required")
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    for t in tools:
        if t not in ALL_TOOLS:
            ap.error("unknown tool %r (known: %s)" % (t, ", ".join(ALL_TOOLS)))
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    slow = {t.strip() for t in args.slow_tools.split(",") if t.strip()}
    slow_runs = args.slow_runs if args.slow_runs is not None else args.runs
    iou_types = ["segm", "bbox"] if args.iou_type == "both" else [args.iou_type]
    files = {"gt": os.path.join(args.data, "gt.json"),
             "segm": os.path.join(args.data, "dt_segm.json"),
             "bbox": os.path.join(args.data, "dt_bbox.json")}
    for k in ["gt"] + iou_types:
        if not os.path.exists(files[k]):
            ap.error("missing %s (run gen_coco_val.py --out %s first)" % (files[k], args.data))
    args.maskeval = os.path.abspath(args.maskeval)
    logdir = args.keep_logs or tempfile.mkdtemp(prefix="bench_coco_")
    os.makedirs(logdir, exist_ok=True)

    env = dict(os.environ)
    if args.threads:
        env["RAYON_NUM_THREADS"] = str(args.threads)
        env["OMP_NUM_THREADS"] = str(args.threads)

    machine = machine_info()
    versions = {}
    skipped = {}
    if "maskeval" in tools:
        if not os.access(args.maskeval, os.X_OK):
            skipped["maskeval"] = "not executable: %s" % args.maskeval
        else:
            versions["maskeval"] = maskeval_version(args.maskeval)
            if args.maskeval_note:
                versions["maskeval"] += " (%s)" % args.maskeval_note
            else:
                c = git_commit(args.maskeval)
                if c:
                    versions["maskeval"] += " (source tree at %s)" % c
    for t in tools:
        if t in PY_TOOLS:
            reason, ver = probe_python_tool(args.python, t, env)
            if reason:
                skipped[t] = reason
            else:
                versions[t] = ver
    p = subprocess.run([args.python, "-c", "import numpy; print(numpy.__version__)"],
                       capture_output=True, text=True)
    versions["numpy"] = p.stdout.strip() if p.returncode == 0 else "?"

    # Warm the page cache so that the first tool does not pay for the disk.
    for k in ["gt"] + iou_types:
        with open(files[k], "rb") as f:
            while f.read(1 << 24):
                pass

    print("bench_coco: %s, %d cores; data %s; runs %d (slow tools %d); logs in %s" % (
        machine["cpu"], machine["cores"], args.data, args.runs, slow_runs, logdir), flush=True)
    if skipped:
        for t, why in skipped.items():
            print("  skipping %s: %s" % (t, why), flush=True)

    report = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine,
              "versions": versions, "data": args.data, "files": {}, "iou_types": {},
              "runs": args.runs, "slow_runs": slow_runs, "slow_tools": sorted(slow),
              "threads": args.threads, "skipped": skipped}
    for k, path in files.items():
        if os.path.exists(path):
            report["files"][os.path.basename(path)] = os.path.getsize(path)
    try:
        with open(os.path.join(args.data, "summary.json")) as f:
            report["data_summary"] = json.load(f)
    except (OSError, ValueError):
        pass

    for iou in iou_types:
        dt = files[iou]
        entries = []
        for t in tools:
            if t in skipped:
                continue
            if t == "maskeval":
                for b in backends:
                    entries.append(Entry(t, b, "maskeval", args.runs))
            else:
                entries.append(Entry(t, "-", t, slow_runs if t in slow else args.runs))
        max_runs = max([e.runs for e in entries] or [0])
        for r in range(max_runs):
            for e in entries:
                if r >= e.runs or e.skip_reason:
                    continue
                stats_path = os.path.join(logdir, "%s-%s-%s-%d.stats.json" % (iou, e.tool, e.backend, r))
                if os.path.exists(stats_path):
                    os.unlink(stats_path)
                argv_ = command_for(e, args, files["gt"], dt, iou, stats_path)
                res = run_process(argv_, env, args.timeout,
                                  os.path.join(logdir, "%s-%s-%s-%d" % (iou, e.tool, e.backend, r)))
                res["run"] = r
                res["stats"] = read_stats(e, stats_path) if res["rc"] == 0 else None
                e.results.append(res)
                name = e.label + ("[%s]" % e.backend if e.tool == "maskeval" else "")
                if res["rc"] != 0 or res["stats"] is None:
                    why = "timed out after %.0f s" % args.timeout if res["timed_out"] else \
                        "exit %d: %s" % (res["rc"], tail(res["stderr"]) or tail(res["stdout"]))
                    e.skip_reason = "failed (%s)" % why
                    print("  %s %-28s run %d FAILED: %s" % (iou, name, r + 1, why), flush=True)
                    continue
                if e.stats is None:
                    e.stats = res["stats"]
                elif res["stats"] != e.stats:
                    e.stats_all_runs_equal = False
                print("  %s %-28s run %d: %7.3f s  %7.1f MB" % (
                    iou, name, r + 1, res["wall_s"], res["peak_rss_mb"]), flush=True)

        ref = next((e for e in entries if e.tool == "pycocotools" and e.ok_runs), None)
        base = next((e for e in entries if e.tool == "maskeval" and e.backend == "cpu" and e.ok_runs), None)
        ref_med = statistics.median(r["wall_s"] for r in ref.ok_runs) if ref else None
        ref_stats, ref_source = (ref.stats, "this run") if ref else (None, None)
        cache = os.path.join(args.data, "reference-stats-%s.json" % iou)
        key = {"gt": file_key(files["gt"]), "dt": file_key(dt)}
        if ref:
            try:
                with open(cache, "w") as f:
                    json.dump({"tool": "pycocotools", "version": versions.get("pycocotools"),
                               "files": key, "stats": ref.stats}, f)
            except OSError:
                pass
        else:
            try:
                with open(cache) as f:
                    c = json.load(f)
                if c.get("files") == key:
                    ref_stats = c["stats"]
                    ref_source = "cached from an earlier run (pycocotools %s, %s)" % (c.get("version"), cache)
            except (OSError, ValueError, KeyError):
                pass
        base_med = statistics.median(r["wall_s"] for r in base.ok_runs) if base else None
        rows = []
        for e in entries:
            row = {"tool": e.tool, "version": versions.get(e.tool), "backend": e.backend,
                   "runs_planned": e.runs, "runs": [{k: v for k, v in r.items() if k not in ("stdout", "stderr")}
                                                    for r in e.results]}
            if e.skip_reason and not e.ok_runs:
                row["failed"] = e.skip_reason
                rows.append(row)
                continue
            if e.skip_reason:
                row["failed"] = e.skip_reason
            ok = e.ok_runs
            walls = [r["wall_s"] for r in ok]
            med = statistics.median(walls)
            ident, diff = compare(e.stats, ref_stats)
            row.update({"wall_median_s": med, "wall_min_s": min(walls),
                        "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in ok),
                        "peak_rss_mb_max": max(r["peak_rss_mb"] for r in ok),
                        "cpu_s_median": statistics.median(r["user_s"] + r["sys_s"] for r in ok),
                        "ratio_vs_pycocotools": med / ref_med if ref_med else None,
                        "ratio_vs_maskeval_cpu": med / base_med if base_med else None,
                        "stats": e.stats, "stats_identical": ident, "stats_max_abs_diff": diff,
                        "stats_same_every_run": e.stats_all_runs_equal})
            rows.append(row)
        report["iou_types"][iou] = {"rows": rows, "reference_stats": ref_stats,
                                    "reference_source": ref_source}

    # -- maskeval's own stage breakdown ---------------------------------------
    if not args.no_breakdown and "maskeval" in tools and "maskeval" not in skipped:
        report["breakdown"] = {}
        for iou in iou_types:
            argv_ = [args.maskeval, "coco", "--gt", files["gt"], "--dt", files[iou], "--iou-type", iou,
                     "--backend", backends[0], "--timing", "--threads", str(args.breakdown_threads),
                     "--quiet", "--json", os.path.join(logdir, "breakdown-%s.json" % iou)]
            res = run_process(argv_, env, args.timeout, os.path.join(logdir, "breakdown-%s" % iou))
            with open(res["stderr"], errors="replace") as f:
                text = f.read().strip()
            report["breakdown"][iou] = {"command": " ".join(shlex.quote(a) for a in argv_),
                                        "stderr": text, "wall_s": res["wall_s"],
                                        "peak_rss_mb": res["peak_rss_mb"], "rc": res["rc"]}

    md = markdown(report)
    print()
    print(md)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    json_path = args.json or (os.path.splitext(args.markdown)[0] + ".json" if args.markdown else None)
    if json_path:
        with open(json_path, "w") as f:
            json.dump(report, f, indent=1)
        print("raw timings: %s" % json_path)
    return 0


def markdown(rep):
    m = rep["machine"]
    out = []
    out.append("## COCO mAP benchmark (%s)" % rep["date"])
    out.append("")
    out.append("Machine: %s (%s), %d cores, %s GiB RAM; %s; Python %s, numpy %s." % (
        m["cpu"], m["cpu_flags"] or "-", m["cores"], m["mem_gib"], m["os"], m["python"],
        rep["versions"].get("numpy", "?")))
    files = ", ".join("%s %.1f MB" % (k, v / 1e6) for k, v in rep["files"].items())
    ds = rep.get("data_summary")
    if ds:
        out.append("Data: %s (%d images, %d GT instances incl. %d crowd, %d results; %s)." % (
            rep["data"], ds["images"], ds["gt_instances"], ds["gt_crowd"], ds["results"], files))
    else:
        out.append("Data: %s (%s)." % (rep["data"], files))
    out.append("Each run is a separate process; wall = whole process (start-up, imports, JSON "
               "parsing, evaluation); peak RSS from wait4(). %d runs per tool%s; runs interleaved "
               "tool by tool. Threads: %s." % (
                   rep["runs"],
                   "" if rep["slow_runs"] == rep["runs"] else
                   ", %d for %s (slow)" % (rep["slow_runs"], " and ".join(rep["slow_tools"])),
                   rep["threads"] or "each tool's default (all cores)"))
    out.append("Ratios are wall-time ratios (tool median / reference median): < 1 is faster than "
               "the reference. CPU s = user + sys of the process. 'identical' = all 12 stats == "
               "pycocotools' stats.")
    out.append("")
    for iou, block in rep["iou_types"].items():
        out.append("### %s" % iou)
        out.append("")
        out.append("| tool | version | backend | runs | wall s median | wall s min | vs pycocotools | "
                   "vs maskeval-cpu | CPU s median | peak RSS MB | stats identical? | max abs diff |")
        out.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for r in block["rows"]:
            ver = r.get("version") or "?"
            if r["tool"] == "maskeval":
                ver = ver.replace("maskeval ", "")
            if "wall_median_s" not in r:
                out.append("| %s | %s | %s | %d | - | - | - | - | - | - | %s | - |" % (
                    r["tool"], ver, r["backend"], len(r["runs"]), r["failed"]))
                continue
            ident = r["stats_identical"]
            ident_s = "n/a (no reference)" if ident is None else ("yes" if ident else "**NO**")
            if r["tool"] == "pycocotools":
                ident_s = "reference"
            if not r["stats_same_every_run"]:
                ident_s += " (stats vary between runs!)"
            if r.get("failed"):
                ident_s += " (some runs failed: %s)" % r["failed"]
            out.append("| %s | %s | %s | %d | %.3f | %.3f | %s | %s | %.2f | %.0f | %s | %s |" % (
                r["tool"], ver, r["backend"], len([x for x in r["runs"] if x["rc"] == 0]),
                r["wall_median_s"], r["wall_min_s"],
                fmt(r["ratio_vs_pycocotools"], 4), fmt(r["ratio_vs_maskeval_cpu"], 2),
                r["cpu_s_median"], r["peak_rss_mb_max"], ident_s,
                "-" if r["stats_max_abs_diff"] is None else ("0" if r["stats_max_abs_diff"] == 0
                                                             else "%.3g" % r["stats_max_abs_diff"])))
        out.append("")
        if block.get("reference_stats"):
            out.append("pycocotools stats (%s, %s): %s" % (iou, block.get("reference_source") or "this run",
                                                          ", ".join("%.4f" % x for x in block["reference_stats"])))
            out.append("")
        diffs = [r for r in block["rows"] if r.get("stats_identical") is False]
        for r in diffs:
            ref = block["reference_stats"]
            idx = [i for i, (a, b) in enumerate(zip(r["stats"], ref)) if a != b]
            out.append("- %s differs from pycocotools in stats %s: %s" % (
                r["tool"], idx, "; ".join("[%d] %r vs %r" % (i, r["stats"][i], ref[i]) for i in idx)))
        if diffs:
            out.append("")
    if rep.get("skipped"):
        out.append("Skipped: " + "; ".join("%s (%s)" % kv for kv in rep["skipped"].items()))
        out.append("")
    if rep.get("breakdown"):
        out.append("### maskeval stage breakdown (one run each, --timing)")
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
