#!/usr/bin/env bash
# Runs on a lent NVIDIA machine with what tests/gpu/prepare.sh and the build
# left in build/ (nothing is compiled there). Writes into $OUT:
#   env.txt        nvidia-smi, ldd, maskeval devices
#   parity.txt     --backend opencl against --backend cpu: COCO arrays and
#                  stats byte for byte (also with a 1 MB device budget, which
#                  forces many double-buffered batches), semantic JSON byte
#                  for byte
#                  Boundary AP (mask_bands.cl) the same way, panoptic PQ and
#                  Boundary PQ (segment_pairs.cl) on the fixture sets, and
#                  test_backend_cl (bands, segment pairs, confusion) on the GPU
#   kernels.txt/.json   bench_kernels (kernel throughput, data on the device)
#   profile.txt    maskeval devices --calibrate (auto's cost model)
#   scale.txt      COCO-val-sized set: whole-process times, cpu vs opencl vs
#                  auto (with that profile), segm, bbox and boundary
#   semantic.txt   a Cityscapes-sized semantic set: cpu vs opencl
set -u
OUT=${OUT:-/tmp/maskeval-gpu}
mkdir -p "$OUT" /etc/OpenCL/vendors
[ -f /etc/OpenCL/vendors/nvidia.icd ] || echo libnvidia-opencl.so.1 > /etc/OpenCL/vendors/nvidia.icd
export LD_LIBRARY_PATH="$PWD/build/gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
M=$(readlink -f build/maskeval)
G=build/gpu
# timed LABEL CMD...: wall time and peak RSS with GNU time when present
timed() {
    local label=$1
    shift
    if [ -x /usr/bin/time ]; then
        /usr/bin/time -f "$label: %e s wall, %M KB peak RSS" "$@"
    else
        local t0 t1
        t0=$(date +%s.%N)
        "$@"
        t1=$(date +%s.%N)
        echo "$label: $(echo "$t1 - $t0" | bc) s wall" >&2
    fi
}
{
    nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory --format=csv
    nproc; grep -m1 "model name" /proc/cpuinfo
    ldd "$M"
    "$M" devices
} > "$OUT/env.txt" 2>&1

# 1. parity: OpenCL (device 0, the GPU) against the CPU path
pass=0; fail=0
{
for d in "$G"/coco/*/; do
    name=$(basename "$d")
    for iou in segm bbox; do
        for be in cpu opencl small; do
            extra=()
            [ $be = small ] && extra=(--max-device-mem 1M)
            rm -rf "$OUT/tmp_$be"
            "$M" coco --gt "$d/gt.json" --dt "$d/dt.json" --iou-type "$iou" --backend "${be/small/opencl}" \
                --dump-arrays "$OUT/tmp_$be" --json "$OUT/tmp_$be.json" --timing "${extra[@]}" \
                > "$OUT/tmp_$be.txt" 2> "$OUT/tmp_$be.err"
        done
        ok=1
        for be in opencl small; do
            for f in precision.f64 recall.f64 scores.f64; do
                cmp -s "$OUT/tmp_cpu/$f" "$OUT/tmp_$be/$f" || ok=0
            done
            cmp -s "$OUT/tmp_cpu.txt" "$OUT/tmp_$be.txt" || ok=0
            cmp -s "$OUT/tmp_cpu.json" "$OUT/tmp_$be.json" || ok=0
            [ $iou = bbox ] || grep -q "\[opencl: " "$OUT/tmp_$be.err" || ok=0
        done
        if [ $ok = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "MISMATCH coco $name $iou"; fi
    done
done
for d in "$G"/coco/default_*/; do
    name=$(basename "$d")
    for be in cpu opencl small; do
        extra=()
        [ $be = small ] && extra=(--max-device-mem 1M)
        rm -rf "$OUT/tmp_$be"
        "$M" coco --gt "$d/gt.json" --dt "$d/dt.json" --iou-type boundary --backend "${be/small/opencl}" \
            --dump-arrays "$OUT/tmp_$be" --json "$OUT/tmp_$be.json" "${extra[@]}" > /dev/null 2>&1
    done
    ok=1
    for be in opencl small; do
        for f in precision.f64 recall.f64 scores.f64; do
            cmp -s "$OUT/tmp_cpu/$f" "$OUT/tmp_$be/$f" || ok=0
        done
        cmp -s <(grep -v '"backend"' "$OUT/tmp_cpu.json") <(grep -v '"backend"' "$OUT/tmp_$be.json") || ok=0
    done
    if [ $ok = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "MISMATCH boundary $name"; fi
done
for d in tests/data/panoptic/*/; do
    [ -f "$d/expected.json" ] && [ -d "$d/gt" ] || continue
    name=$(basename "$d")
    for extra in "" "--dilation-ratio 0.02"; do
        for be in cpu opencl; do
            "$M" panoptic --gt-json "$d/gt.json" --pred-json "$d/pred.json" --gt-dir "$d/gt" \
                --pred-dir "$d/pred" $extra --backend $be --json "$OUT/pq_$be.json" --quiet > /dev/null 2>&1
        done
        if cmp -s "$OUT/pq_cpu.json" "$OUT/pq_opencl.json"; then pass=$((pass+1)); else fail=$((fail+1)); echo "MISMATCH panoptic $name $extra"; fi
    done
done
build/tests/test_backend_cl > "$OUT/test_backend_cl.txt" 2>&1 && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAILED test_backend_cl"; }
for d in "$G"/semantic/*/; do
    name=$(basename "$d")
    args=$(cat "$d/args.txt")
    for be in cpu opencl; do
        (cd "$d" && "$M" semantic --gt gt --pred pred $args --backend "$be" \
            --json "$OUT/sem_$be.json" --quiet) > /dev/null 2>&1
    done
    if cmp -s "$OUT/sem_cpu.json" "$OUT/sem_opencl.json"; then pass=$((pass+1)); else fail=$((fail+1)); echo "MISMATCH semantic $name"; fi
done
echo "parity opencl vs cpu: $pass identical, $fail different"
} > "$OUT/parity.txt" 2>&1

# 2. kernel throughput
build/tests/bench_kernels --device 0 --runs 10 --images 64 --json "$OUT/kernels.json" > "$OUT/kernels.txt" 2>&1

# 3. auto's profile of this machine
"$M" devices --calibrate --profile "$OUT/profile.txt" > "$OUT/calibrate.txt" 2>&1
export MASKEVAL_PROFILE="$OUT/profile.txt"

# 4. COCO-val-sized set, whole process (MASKEVAL_VERBOSE: the OpenCL stage
# breakdown and auto's decisions)
{
    export MASKEVAL_VERBOSE=1
    S=/tmp/cocoscale
    timed gen_coco_scale build/tests/gen_coco_scale --out $S --images 5000
    for iou in segm bbox boundary; do
        dt=$S/dt.json
        for be in cpu opencl auto; do
            for r in 1 2 3; do
                timed "$iou $be run $r" "$M" coco --gt $S/gt.json --dt $dt --iou-type $iou --backend $be --timing \
                    --quiet --json "$OUT/scale_${iou}_$be.json" > /dev/null
            done
        done
        cmp -s <(grep -o '"stats": \[[^]]*\]' "$OUT/scale_${iou}_cpu.json") \
               <(grep -o '"stats": \[[^]]*\]' "$OUT/scale_${iou}_opencl.json") \
            && echo "$iou: stats identical cpu/opencl" || echo "$iou: STATS DIFFER"
    done
    unset MASKEVAL_VERBOSE
} > "$OUT/scale.txt" 2>&1

# 5. semantic at Cityscapes size, if carried
if [ -d "$G/cityscapes" ]; then
    {
        for be in cpu opencl auto; do
            for r in 1 2; do
                timed "semantic $be run $r" "$M" semantic --gt "$G/cityscapes/gt" --pred "$G/cityscapes/pred" \
                    --num-classes 19 --backend $be --timing --quiet --json "$OUT/cs_$be.json"
            done
        done
        cmp -s "$OUT/cs_cpu.json" "$OUT/cs_opencl.json" && echo "identical" || echo "DIFFER"
    } > "$OUT/semantic.txt" 2>&1
fi
rm -rf "$OUT"/tmp_* "$OUT"/sem_*.json "$OUT"/pq_*.json
# few files come back from the device tool: the JSON outputs travel as one tarball
(cd "$OUT" && tar czf outputs.tgz scale_*.json cs_*.json 2>/dev/null && rm -f scale_*.json cs_*.json)
echo done
