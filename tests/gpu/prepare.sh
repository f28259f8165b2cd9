#!/usr/bin/env bash
# Prepares build/gpu/ for tests/gpu/device_check.sh on a lent GPU machine,
# which has no package registry and builds nothing: the shared libraries the
# binaries need, generated COCO and semantic test sets (parity of the OpenCL
# path against the CPU path is checked there), and nothing else.
#   bash tests/gpu/prepare.sh        (after .ci/test.sh or an equivalent build)
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-.venv/bin/python}
G=build/gpu
rm -rf "$G"
mkdir -p "$G/lib" "$G/coco" "$G/semantic"
for lib in libcjson.so.1 libspng.so.0 libz.so.1; do
    cp -L "/usr/lib/x86_64-linux-gnu/$lib" "$G/lib/"
done
for seed in $(seq 1 30); do
    "$PY" tests/parity/gen_coco.py --seed "$seed" --out "$G/coco/default_$seed" >/dev/null
done
for profile in bbox_only segm_nobbox crowd_heavy ties many_dets tiny many_cats; do
    for seed in 101 102; do
        "$PY" tests/parity/gen_coco.py --seed "$seed" --profile "$profile" \
            --out "$G/coco/${profile}_$seed" >/dev/null
    done
done
for profile in gray8 palette gray16 lowbit suffixes reduce_zero labelmap sparse interlaced; do
    "$PY" tests/semantic/gen_labels.py --seed 1 --profile "$profile" --out "$G/semantic/$profile" >/dev/null
    "$PY" -c "import json,sys; print(' '.join(json.load(open(sys.argv[1]))['maskeval_args']))" \
        "$G/semantic/$profile/args.json" > "$G/semantic/$profile/args.txt"
done
# the Cityscapes-sized set of tests/bench/semantic, when it has been generated
CS=$(ls -d build/bench_data/cityscapes_like_* 2>/dev/null | head -1)
if [ -n "$CS" ]; then
    mkdir -p "$G/cityscapes"
    cp -r "$CS/gt" "$CS/pred" "$G/cityscapes/"
fi
du -sh "$G"
