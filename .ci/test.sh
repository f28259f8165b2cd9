#!/usr/bin/env bash
# The whole test suite: installs dependencies and the reference tools, builds,
# and runs every test (unit, CLI contract, parity with the reference tools,
# OpenCL on PoCL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh --venv
jobs=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DMASKEVAL_PYTHON="$PWD/.venv/bin/python"
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"
