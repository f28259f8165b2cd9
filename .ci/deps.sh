#!/usr/bin/env bash
# Installs everything maskeval needs on Debian 12, idempotently:
#   .ci/deps.sh          system packages (compiler, CMake, cJSON, Check, libspng, libdeflate, zlib, OpenCL +
#                        PoCL, Open MPI for maskeval-mpi, clang with libFuzzer for the fuzzers)
#   .ci/deps.sh --venv   the above plus .venv with the reference tools (tests/requirements.txt,
#                        requirements-nodeps.txt) and .venv-numpy22 (requirements-numpy22.txt)
# Uses sudo when not run as root. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(build-essential cmake pkg-config libcjson-dev check libspng-dev libdeflate-dev
      ocl-icd-opencl-dev opencl-headers pocl-opencl-icd python3-venv
      clang libclang-rt-14-dev zlib1g-dev libopenmpi-dev openmpi-bin librsvg2-bin)
missing=()
for p in "${PKGS[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO=sudo
    echo "deps: installing ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--venv" ]; then
    stamp=.venv/.requirements
    want=$(cat tests/requirements.txt tests/requirements-nodeps.txt)
    if [ ! -x .venv/bin/python ] || [ "$want" != "$(cat "$stamp" 2>/dev/null)" ]; then
        echo "deps: creating .venv with $(grep -hv '^#' tests/requirements.txt tests/requirements-nodeps.txt | tr '\n' ' ')"
        /usr/bin/python3 -m venv .venv
        .venv/bin/pip install -q --upgrade pip
        .venv/bin/pip install -q -r tests/requirements.txt
        .venv/bin/pip install -q --no-deps -r tests/requirements-nodeps.txt
        printf '%s\n' "$want" > "$stamp"
    fi
    stamp22=.venv-numpy22/.requirements
    want22=$(cat tests/requirements-numpy22.txt tests/requirements-nodeps.txt)
    if [ ! -x .venv-numpy22/bin/python ] || [ "$want22" != "$(cat "$stamp22" 2>/dev/null)" ]; then
        echo "deps: creating .venv-numpy22 with $(grep -hv '^#' tests/requirements-numpy22.txt tests/requirements-nodeps.txt | tr '\n' ' ')"
        /usr/bin/python3 -m venv .venv-numpy22
        .venv-numpy22/bin/pip install -q --upgrade pip
        .venv-numpy22/bin/pip install -q -r tests/requirements-numpy22.txt
        .venv-numpy22/bin/pip install -q --no-deps -r tests/requirements-nodeps.txt
        printf '%s\n' "$want22" > "$stamp22"
    fi
fi
