#!/usr/bin/env bash
# COCO val2017-scale benchmark (issue #6): maskeval against pycocotools,
# faster-coco-eval, vernier, hotcoco and ultrafast-pycocotools.
#
#   tests/bench/coco/run.sh DATA_DIR [bench_coco.py options...]
#
# 1. creates the venv .venv-bench (repository root) from requirements-bench.txt
#    if it is missing or incomplete,
# 2. generates the data set into DATA_DIR once (kept there; delete DATA_DIR to
#    regenerate; GEN_ARGS="--images 500" for a small set),
# 3. builds maskeval (Release, no tests) into $MASKEVAL_BUILD (default
#    /tmp/maskeval-bench-build) unless MASKEVAL=path/to/maskeval is given,
# 4. runs bench_coco.py; the report goes to DATA_DIR/results.md and
#    DATA_DIR/results.json unless --markdown is among the options.
#
# Defaults: --runs 3 --iou-type both --backends cpu,opencl (when maskeval lists
# an OpenCL device, else cpu). Extra options are passed to bench_coco.py, e.g.
#   run.sh /data/cocoval --runs 5 --slow-runs 1 --iou-type segm
set -euo pipefail

if [ $# -lt 1 ]; then
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
DATA=$1
shift
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
VENV=${VENV:-$ROOT/.venv-bench}
REQ=$HERE/requirements-bench.txt

if [ ! -x "$VENV/bin/python" ]; then
    echo "== creating $VENV"
    /usr/bin/python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" - "$REQ" <<'PY'
import sys, importlib.metadata as m
want = [l.split("#")[0].strip() for l in open(sys.argv[1])]
for line in filter(None, want):
    name, ver = line.split("==")
    try:
        if m.version(name) != ver:
            sys.exit(1)
    except m.PackageNotFoundError:
        sys.exit(1)
PY
then
    echo "== installing $REQ into $VENV"
    # One tool failing to install must not stop the others: the benchmark
    # skips (and names) whatever does not import.
    "$VENV/bin/pip" install -q -r "$REQ" || {
        while read -r line; do
            line=${line%%#*}
            [ -n "${line// }" ] || continue
            "$VENV/bin/pip" install -q "$line" || echo "!! could not install $line"
        done < "$REQ"
    }
fi

if [ ! -f "$DATA/dt_bbox.json" ] || [ ! -f "$DATA/dt_segm.json" ] || [ ! -f "$DATA/gt.json" ]; then
    echo "== generating the data set into $DATA"
    # shellcheck disable=SC2086
    "$VENV/bin/python" "$HERE/gen_coco_val.py" --out "$DATA" ${GEN_ARGS:-}
else
    echo "== using the data set in $DATA"
fi

if [ -z "${MASKEVAL:-}" ]; then
    BUILD=${MASKEVAL_BUILD:-/tmp/maskeval-bench-build}
    echo "== building maskeval into $BUILD"
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMASKEVAL_BUILD_TESTS=OFF > "$BUILD.log" 2>&1 \
        || { cat "$BUILD.log"; exit 1; }
    cmake --build "$BUILD" -j"$(nproc)" >> "$BUILD.log" 2>&1 || { tail -30 "$BUILD.log"; exit 1; }
    MASKEVAL=$BUILD/maskeval
fi

BACKENDS=cpu
if "$MASKEVAL" devices 2>/dev/null | grep -q '^[0-9]'; then
    BACKENDS=cpu,opencl
fi
EXTRA=()
case " $* " in *" --markdown "*) ;; *) EXTRA+=(--markdown "$DATA/results.md");; esac
case " $* " in *" --backends "*) ;; *) EXTRA+=(--backends "$BACKENDS");; esac
exec "$VENV/bin/python" "$HERE/bench_coco.py" --data "$DATA" --maskeval "$MASKEVAL" --runs 3 \
    "${EXTRA[@]}" "$@"
