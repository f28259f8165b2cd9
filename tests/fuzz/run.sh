#!/usr/bin/env bash
# Builds the libFuzzer harnesses (if needed), replays the regression inputs,
# then fuzzes each harness for a while on a scratch copy of its seed corpus.
#
#   tests/fuzz/run.sh [SECONDS] [HARNESS...]
#
#   SECONDS   fuzzing time per harness (default 20; 0: replay only)
#   HARNESS   rle_string poly gt_json results_json png_labels png_ids png_luma cli_args json_fast partial
#             (default: all)
#
# Environment:
#   MASKEVAL_FUZZ_BUILD   build directory (default: <repo>/build-fuzz)
#   MASKEVAL_FUZZ_JOBS    harnesses fuzzed at the same time (default 1)
#   MASKEVAL_FUZZ_FRESH=1 start from the checked-in corpus only (by default
#                         the scratch corpus of earlier runs is kept and grows)
#   MASKEVAL_FUZZ_SKIP_KNOWN=1, MASKEVAL_FUZZ_ALLOW_BAD_JSON=1
#                         harness switches for fuzzing past known findings
#                         (README.md); the regression replay ignores them
#   CC                    compiler for a fresh configure (default clang)
#
# Exits non-zero if a regression input fails or fuzzing finds a crash, a
# leak, undefined behaviour, a broken invariant, a timeout or an
# out-of-memory. The failing input is written to
# <build>/fuzz-work/<harness>/artifacts/ (add it to tests/fuzz/regress/<harness>/
# once the bug is fixed). Logs: <build>/fuzz-work/<harness>/fuzz.log.
set -u -o pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${MASKEVAL_FUZZ_BUILD:-$root/build-fuzz}"
jobs="${MASKEVAL_FUZZ_JOBS:-1}"
all=(rle_string poly gt_json results_json png_labels png_ids png_luma cli_args json_fast partial)

secs="${1:-20}"
if ! [[ "$secs" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [HARNESS...]" >&2
  exit 2
fi
[ $# -gt 0 ] && shift
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do
  case " ${all[*]} " in
    *" $h "*) ;;
    *) echo "unknown harness '$h' (one of: ${all[*]})" >&2; exit 2 ;;
  esac
done

# Per-harness options: input size limit and dictionary.
opts_for() {
  case "$1" in
    rle_string) echo "-max_len=4096 -dict=$here/rle.dict" ;;
    poly) echo "-max_len=1024" ;;
    gt_json) echo "-max_len=32768 -dict=$here/json.dict" ;;
    results_json) echo "-max_len=32768 -dict=$here/json.dict" ;;
    png_labels) echo "-max_len=16384 -dict=$here/png.dict" ;;
    png_ids) echo "-max_len=16384 -dict=$here/png.dict" ;;
    png_luma) echo "-max_len=16384 -dict=$here/png.dict" ;;
    cli_args) echo "-max_len=2048 -dict=$here/cli.dict" ;;
    json_fast) echo "-max_len=8192 -dict=$here/json.dict" ;;
    partial) echo "-max_len=16384" ;;
  esac
}

# ---- build -----------------------------------------------------------------
if [ ! -f "$build/CMakeCache.txt" ]; then
  gen=()
  command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
  cmake -S "$root" -B "$build" "${gen[@]}" -DCMAKE_C_COMPILER="${CC:-clang}" \
    -DMASKEVAL_FUZZ=ON -DMASKEVAL_BUILD_TESTS=OFF -DMASKEVAL_OPENCL=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 || {
    cat "$build.configure.log" >&2
    echo "run.sh: configure failed" >&2
    exit 2
  }
fi
targets=()
for h in "${harnesses[@]}"; do targets+=("fuzz_$h"); done
if ! cmake --build "$build" --target "${targets[@]}" >"$build/fuzz-build.log" 2>&1; then
  tail -n 40 "$build/fuzz-build.log" >&2
  echo "run.sh: build failed (log: $build/fuzz-build.log)" >&2
  exit 2
fi
bin="$build/tests/fuzz"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=0

# ---- regression inputs: every file under regress/<harness>/, no fuzzing ----
for h in "${harnesses[@]}"; do
  dir="$here/regress/$h"
  [ -d "$dir" ] || continue
  mapfile -t files < <(find "$dir" -type f ! -name 'README*' ! -name '.*' | sort)
  [ ${#files[@]} -eq 0 ] && continue
  log="$build/fuzz-work/$h/regress.log"
  mkdir -p "$(dirname "$log")"
  # every check on here, whatever the switches for fuzzing say
  # shellcheck disable=SC2046
  if env -u MASKEVAL_FUZZ_SKIP_KNOWN -u MASKEVAL_FUZZ_ALLOW_BAD_JSON \
      "$bin/fuzz_$h" $(opts_for "$h" | sed 's/-max_len=[0-9]*//') -timeout=25 \
      "${files[@]}" >"$log" 2>&1; then
    echo "regress $h: ${#files[@]} inputs ok"
  else
    echo "regress $h: FAILED (log: $log)"
    grep -E "ERROR|invariant failed|runtime error|SUMMARY" "$log" | head -n 5 | sed 's/^/    /'
    failed=1
  fi
done

[ "$secs" -eq 0 ] && exit $failed

# ---- fuzzing ----------------------------------------------------------------
fuzz_one() {
  local h="$1" work="$build/fuzz-work/$1"
  local corpus="$work/corpus" log="$work/fuzz.log" rc
  if [ "${MASKEVAL_FUZZ_FRESH:-0}" = 1 ]; then
    rm -rf "$corpus"
  fi
  mkdir -p "$corpus" "$work/artifacts"
  cp -n "$here/corpus/$h/"* "$corpus/" 2>/dev/null || true
  # shellcheck disable=SC2046
  "$bin/fuzz_$h" $(opts_for "$h") -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" "$corpus" >"$log" 2>&1
  rc=$?
  local execs cov
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
  cov="$(grep -E '^#[0-9]+' "$log" | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -n 1)"
  if [ $rc -eq 0 ]; then
    echo "fuzz $h: ${secs}s, ${execs:-?} execs, ${cov:-?}: ok"
  else
    echo "fuzz $h: FAILED (exit $rc) after ${execs:-?} execs; log: $log"
    grep -E "ERROR|invariant failed|runtime error|SUMMARY|Test unit written" "$log" | head -n 6 |
      sed 's/^/    /'
  fi
  return $rc
}

for h in "${harnesses[@]}"; do
  rm -f "$build/fuzz-work/$h/rc"
done
for h in "${harnesses[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
    wait -n 2>/dev/null || sleep 1
  done
  ( fuzz_one "$h"; echo $? >"$build/fuzz-work/$h/rc" ) &
done
wait
for h in "${harnesses[@]}"; do
  if [ "$(cat "$build/fuzz-work/$h/rc" 2>/dev/null)" != 0 ]; then
    failed=1
  fi
done
exit $failed
