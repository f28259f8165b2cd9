#!/usr/bin/env bash
# The whole test suite:
#   1. installs dependencies and the reference tools (.venv), builds (with the
#      MPI driver), and runs every test: unit, CLI contract, determinism,
#      parity with pycocotools and numpy (also sharded + merged), OpenCL on
#      PoCL, maskeval-mpi under mpirun, the Python package (then installed
#      with `pip install ./python` and tested again);
#   2. rebuilds with AddressSanitizer + UndefinedBehaviorSanitizer (CPU path)
#      and runs the suite again, halting on the first report;
#   3. replays the fuzzers' regression inputs and fuzzes each harness briefly.
# `bash .ci/test.sh --quick` stops after step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh --venv
jobs=$(nproc)
py="$PWD/.venv/bin/python"
root="$PWD"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMASKEVAL_MPI=ON -DMASKEVAL_PYTHON="$py"
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== Python package: pip install ./python, then the parity test on the installed copy =="
.venv/bin/pip install -q ./python
(cd /tmp && env -u MASKEVAL_LIBRARY -u PYTHONPATH "$py" - <<'PY'
import maskeval, os
assert "site-packages" in maskeval.__file__, maskeval.__file__
print("installed", maskeval.__version__, "at", os.path.dirname(maskeval.__file__))
PY
)
(cd /tmp && env -u MASKEVAL_LIBRARY -u PYTHONPATH "$py" "$root/tests/python/test_cocoeval_parity.py" --seeds 1-8)
[ "${1:-}" = "--quick" ] && exit 0

echo "== sanitizer build (ASan + UBSan) =="
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMASKEVAL_SANITIZE=ON \
      -DMASKEVAL_OPENCL=OFF -DMASKEVAL_PYTHON="$py"
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"

echo "== fuzzing (short) =="
bash tests/fuzz/run.sh "${MASKEVAL_FUZZ_SECONDS:-20}"
