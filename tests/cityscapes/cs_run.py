"""What run_checks.py and run_parity.py share (standard library only): running
maskeval cityscapes-instances, and comparing values where NaN (JSON null)
equals NaN."""
import math
import subprocess


def same(a, b):
    if a is None:
        a = float("nan")
    if b is None:
        b = float("nan")
    a, b = float(a), float(b)
    return (math.isnan(a) and math.isnan(b)) or a == b


def run_maskeval(binary, gt, pred, json_out, extra=()):
    cmd = [binary, "cityscapes-instances", "--gt-dir", gt, "--pred-dir", pred] + list(extra)
    if json_out:
        cmd += ["--json", json_out]
    return subprocess.run(cmd, capture_output=True, text=True)
