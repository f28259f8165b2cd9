#!/usr/bin/env bash
# Builds maskeval and evaluates the sample in data/ (mask AP, then box AP).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
set -x
./build/maskeval coco --gt data/gt.json --dt data/results.json --iou-type segm
./build/maskeval coco --gt data/gt.json --dt data/results.json --iou-type bbox --quiet
