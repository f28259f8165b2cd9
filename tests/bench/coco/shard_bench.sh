#!/usr/bin/env bash
# Sharded COCO evaluation against one process, on the COCO-val-scale set:
#   tests/bench/coco/shard_bench.sh DATA_DIR [N] [MASKEVAL]
# DATA_DIR is what gen_coco_val.py wrote (gt.json, dt_segm.json, dt_bbox.json).
# For segm and bbox: one process with --json/--dump-arrays, then N shard runs
# (--shard I/N --partial) and `maskeval merge` in reverse order; prints wall and
# CPU seconds (user + sys, from /usr/bin/time's format) of each, the partial
# sizes, and whether stdout, the JSON and every array file are byte-identical.
set -euo pipefail
data=${1:?usage: shard_bench.sh DATA_DIR [N] [MASKEVAL]}
n=${2:-4}
exe=${3:-build/maskeval}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpu() { # command... -> prints "wall cpu" seconds
    local t0 t1 s
    t0=$(date +%s.%N)
    s=$( { /usr/bin/time -f "%U %S" "$@" >"$work/last.out" 2>"$work/last.err"; } 2>&1; tail -1 "$work/last.err")
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v s="$s" 'BEGIN { split(s, u, " "); printf "%.3f %.3f\n", b - a, u[1] + u[2] }'
}
for iou in segm bbox; do
    dt="$data/dt_$iou.json"
    read -r w1 c1 < <(cpu "$exe" coco --gt "$data/gt.json" --dt "$dt" --iou-type "$iou" \
        --json "$work/one.json" --dump-arrays "$work/one")
    cp "$work/last.out" "$work/one.txt"
    ws=0; cs=0; parts=(); sizes=()
    for ((i = 0; i < n; i++)); do
        read -r w c < <(cpu "$exe" coco --gt "$data/gt.json" --dt "$dt" --iou-type "$iou" \
            --shard "$i/$n" --partial "$work/p$i.mep" --quiet)
        ws=$(awk -v a="$ws" -v b="$w" 'BEGIN { print a + b }')
        cs=$(awk -v a="$cs" -v b="$c" 'BEGIN { print a + b }')
        parts=("$work/p$i.mep" "${parts[@]}")
        sizes+=("$(stat -c %s "$work/p$i.mep")")
    done
    read -r wm cm < <(cpu "$exe" merge "${parts[@]}" --json "$work/m.json" --dump-arrays "$work/m")
    same=yes
    cmp -s "$work/one.txt" "$work/last.out" || same=no
    cmp -s "$work/one.json" "$work/m.json" || same=no
    diff -rq "$work/one" "$work/m" >/dev/null || same=no
    echo "$iou: one process: wall ${w1} s, cpu ${c1} s"
    echo "$iou: $n shards: wall ${ws} s, cpu ${cs} s (sum); merge: wall ${wm} s, cpu ${cm} s"
    echo "$iou: partial sizes (bytes): ${sizes[*]}"
    echo "$iou: stdout, JSON and arrays byte-identical: $same"
done
