#!/usr/bin/env bash
# Thread scaling of `maskeval coco` stages on a COCO-val-sized set (made by
# gen_coco_scale if absent), for finding what does not scale on many cores.
#   bash tests/gpu/scaling.sh [OUT] [threads...]
set -u
OUT=${1:-/tmp/maskeval-scaling}
shift || true
THREADS=${*:-1 2 4 8 16}
mkdir -p "$OUT"
export LD_LIBRARY_PATH="$PWD/build/gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
S=/tmp/cocoscale
[ -f $S/dt.json ] || build/tests/gen_coco_scale --out $S --images 5000 > /dev/null
{
    for t in $THREADS; do
        for r in 1 2; do
            echo -n "threads $t run $r: "
            build/maskeval coco --gt $S/gt.json --dt $S/dt.json --iou-type segm --backend cpu \
                --threads "$t" --timing --quiet 2>&1 >/dev/null | sed 's/^maskeval: timing: //'
        done
    done
} > "$OUT/scaling.txt" 2>&1
cat "$OUT/scaling.txt"
