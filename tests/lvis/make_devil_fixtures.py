#!/usr/bin/env python3
"""Records what Dave et al.'s Fixed AP and AP-pool scripts compute on the
cases of devil_cases.py, as the fixture tests/data/lvis/devil_fixtures.json.

    make_devil_fixtures.py --devil CHECKOUT --out tests/data/lvis/devil_fixtures.json

CHECKOUT is achalddave/large-vocab-devil at 87dcb5e (not on PyPI; read
offline). Its scripts/evaluate_ap_fixed.py and scripts/evaluate_ap_pooled.py
run unmodified through runpy with their own command line; only what they
import for logging (fvcore's PathManager, termcolor, tqdm) is stubbed, numpy
gets back the `np.float` that lvis 0.5.3 and lvdevil's accumulate use, and
LVISEval.print_results is wrapped to keep `results` at full precision.
Needs the test venv (lvis 0.5.3, pycocotools, numpy >= 2.3).

The CI test (run_lvis.py --devil FIXTURE) rebuilds the same inputs and
compares maskeval lvis --ap fixed|pooled with these numbers using ==.
"""

import argparse
import contextlib
import io
import json
import os
import runpy
import subprocess
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import devil_cases  # noqa: E402


def stub_modules():
    fv = types.ModuleType("fvcore")
    common = types.ModuleType("fvcore.common")
    file_io = types.ModuleType("fvcore.common.file_io")

    class PathManager:
        open = staticmethod(open)

        @staticmethod
        def mkdirs(p):
            os.makedirs(p, exist_ok=True)

    file_io.PathManager = PathManager
    sys.modules.update({"fvcore": fv, "fvcore.common": common, "fvcore.common.file_io": file_io})
    tc = types.ModuleType("termcolor")
    tc.colored = lambda s, *a, **k: s
    sys.modules["termcolor"] = tc
    tq = types.ModuleType("tqdm")
    tq.tqdm = lambda x, *a, **k: x
    sys.modules["tqdm"] = tq


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--devil", required=True, help="large-vocab-devil checkout (87dcb5e)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    commit = subprocess.run(["git", "-C", args.devil, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or "?"
    np.float = float
    stub_modules()
    sys.path.insert(0, args.devil)
    import lvis.eval
    captured = []
    lvis.eval.LVISEval.print_results = lambda self: captured.append(dict(self.results))
    scripts = {"fixed": os.path.join(args.devil, "scripts", "evaluate_ap_fixed.py"),
               "pooled": os.path.join(args.devil, "scripts", "evaluate_ap_pooled.py")}
    record = {"reference": "achalddave/large-vocab-devil@%s scripts/evaluate_ap_{fixed,pooled}.py "
                           "with lvis 0.5.3, numpy %s" % (commit, np.__version__),
              "made_by": "tests/lvis/make_devil_fixtures.py", "cases": {}}
    work = tempfile.mkdtemp(prefix="devil_")
    for name, gt, dets, ious, modes in devil_cases.all_cases():
        gp, dp = devil_cases.write_case(work, name, gt, dets)
        for iou in ious:
            for mode, k in modes:
                captured.clear()
                sys.argv = [scripts[mode], gp, dp, os.path.join(work, "out"), "--type", iou,
                            "--dets-per-cat", str(k)]
                with contextlib.redirect_stdout(io.StringIO()):
                    runpy.run_path(scripts[mode], run_name="__main__")
                res = captured[-1]
                key = "%s/%s/%s/%d" % (name, iou, mode, k)
                record["cases"][key] = {"keys": list(res.keys()),
                                        "values": [float(v) for v in res.values()]}
                print(key, record["cases"][key]["values"][:4])
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(record, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
