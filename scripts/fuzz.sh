#!/usr/bin/env bash
# A short fuzz run (CI runs it after scripts/test.sh, before scripts/sanitize.sh): builds the libFuzzer targets of fuzz/
# with clang, AddressSanitizer and UndefinedBehaviorSanitizer into build-fuzz/, replays the kept
# corpus (fuzz/corpus/<target>/), then fuzzes each target for EMKIT_FUZZ_SECONDS from a fixed
# seed. New inputs go to a scratch copy (build-fuzz/corpus/), never into the repository. A
# crash, a sanitizer report, a leak, a violated invariant, a timeout or an allocation over
# 2 GB fails the run and leaves the input in build-fuzz/artifacts/.
#
# Usage: bash scripts/fuzz.sh
# Environment: EMKIT_FUZZ_SECONDS (default 45 per target),
#              EMKIT_FUZZ_TARGETS (default "csv npy model_file"; "fit" adds fuzz/fit_fuzzer.cpp).
# Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${EMKIT_FUZZ_SECONDS:-45}
read -r -a targets <<<"${EMKIT_FUZZ_TARGETS:-csv npy model_file}"

bash scripts/setup.sh
bash scripts/install-clang.sh  # libFuzzer ships with clang's runtime libraries

start=$SECONDS
cmake -S fuzz -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
build_targets=()
for t in "${targets[@]}"; do build_targets+=("${t}_fuzzer"); done
# A retry: clang 14 has been seen to crash once (a segfault, not a diagnostic) on this code
# and succeed on the next attempt; a real compile error fails twice.
cmake --build build-fuzz --parallel "$(nproc)" --target "${build_targets[@]}" ||
  cmake --build build-fuzz --parallel 1 --target "${build_targets[@]}"
build_seconds=$((SECONDS - start))

max_len_of() {
  case "$1" in
    model_file) echo 8192 ;;
    *) echo 4096 ;;
  esac
}

mkdir -p build-fuzz/artifacts
failed=()
report=()
for t in "${targets[@]}"; do
  fuzzer=build-fuzz/${t}_fuzzer
  kept=fuzz/corpus/$t
  [ -d "$kept" ] || kept=fuzz/corpus/csv  # fit reads CSV text
  scratch=build-fuzz/corpus/$t
  rm -rf "$scratch"
  mkdir -p "$scratch"
  common=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -max_len="$(max_len_of "$t")"
    -artifact_prefix="build-fuzz/artifacts/${t}-" -print_final_stats=1)
  t_start=$SECONDS
  echo "== fuzz: $t: replaying $(find "$kept" -type f | wc -l) kept inputs"
  if ! "$fuzzer" "${common[@]}" -runs=0 "$kept" >"build-fuzz/${t}-replay.log" 2>&1; then
    tail -n 40 "build-fuzz/${t}-replay.log"
    failed+=("$t (kept corpus)")
    continue
  fi
  echo "== fuzz: $t: fuzzing for ${seconds} s"
  if ! "$fuzzer" "${common[@]}" -seed=1 -max_total_time="$seconds" "$scratch" "$kept" \
    >"build-fuzz/${t}-fuzz.log" 2>&1; then
    tail -n 60 "build-fuzz/${t}-fuzz.log"
    failed+=("$t")
  fi
  runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "build-fuzz/${t}-fuzz.log" | grep -oE '[0-9]+$' || echo "?")
  report+=("$(printf '%-11s %4d s, %s executions, %s new inputs' "$t" $((SECONDS - t_start)) "$runs" \
    "$(find "$scratch" -type f | wc -l)")")
done

echo "== fuzz: build ${build_seconds} s"
printf '  %s\n' "${report[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]} (inputs in build-fuzz/artifacts/, logs in build-fuzz/*.log)" >&2
  exit 1
fi
echo "fuzz: no crash in $((SECONDS - start)) s"
