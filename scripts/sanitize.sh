#!/usr/bin/env bash
# Runs the tests a second time under the sanitizers (CI runs it after scripts/fuzz.sh; its
# measured cost is in docs/reliability.md, "Sanitizers"):
#
#   build-asan/  every test except compile_fail.* and package.* (which run a compiler or an
#                install, not emkit code), built with AddressSanitizer, LeakSanitizer and
#                UndefinedBehaviorSanitizer; any report fails the test. The emkit program is
#                built the same way, so the command-line tests and the example scripts run it
#                under the sanitizers too. The theory studies (examples/theory) are not built:
#                they run the library code that the tests cover.
#   build-tsan/  the threaded tests -- every test whose name contains "Thread" -- built with
#                ThreadSanitizer; only the executables that hold such tests are compiled, and
#                not the command-line tests (EMKIT_SANITIZE_TSAN_CLI=1 adds them).
#
# Both are Debug builds (Eigen's and the tests' assertions on) with clang at
# -O1 -gline-tables-only: clang compiles this code with ASan in half the CPU time and memory
# of g++, -O1 runs the tests ~6x faster than -O0, and line tables are all a report's stack
# trace needs (docs/reliability.md, "Sanitizers", has the measurements). Every compile's CPU
# time and peak memory are logged (scripts/time-compile.sh) and summed at the end.
#
# Usage: bash scripts/sanitize.sh [all|asan|tsan]        (default: all)
# Environment: EMKIT_SANITIZE_CXX (default clang++), EMKIT_SANITIZE_JOBS (default nproc),
#              EMKIT_SANITIZE_TSAN_CLI (1: the command-line Thread tests under TSan too).
# Safe to run twice: the build directories are reused and only what changed is rebuilt.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-all}
case "$mode" in all | asan | tsan) ;; *)
  echo "usage: $0 [all|asan|tsan]" >&2
  exit 2
  ;;
esac

bash scripts/setup.sh
cxx=${EMKIT_SANITIZE_CXX:-clang++}
jobs=${EMKIT_SANITIZE_JOBS:-$(nproc)}
timings=()
costs=()

# clang and its sanitizer runtimes, as scripts/fuzz.sh installs them.
if [ "$cxx" = clang++ ]; then
  bash scripts/install-clang.sh
  debug_info=-gline-tables-only
else
  debug_info=-g1
fi

# configure DIR FLAGS: a Debug build (Eigen's and the tests' assertions on) at -O1 with FLAGS,
# each compile's cost logged to DIR/compile-cost.log.
configure() {
  local dir=$1 flags=$2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_COMPILER_LAUNCHER="$PWD/scripts/time-compile.sh;$PWD/$dir/compile-cost.log" \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 $debug_info -fno-omit-frame-pointer $flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DEMKIT_BUILD_TESTS=ON -DEMKIT_BUILD_EXAMPLES=ON \
    -DEMKIT_BUILD_THEORY_STUDIES=OFF -DEMKIT_BUILD_HEADER_CHECK=OFF -DEMKIT_BUILD_TOOLS=ON -DEMKIT_BUILD_BENCH=OFF -DEMKIT_WITH_MPI=OFF \
    -DEMKIT_EXAMPLE_SCRIPT_TIMEOUT=900 >/dev/null
}

# build DIR [TARGETS...]: builds, once more if the first attempt fails (clang 14 has been seen
# to crash once on this code and succeed on the next attempt; a real error fails twice), then
# records the compiles' CPU time and peak memory.
build() {
  local dir=$1
  shift
  local targets=()
  [ $# -eq 0 ] || targets=(--target "$@")
  rm -f "$dir/compile-cost.log"
  cmake --build "$dir" --parallel "$jobs" "${targets[@]}" ||
    cmake --build "$dir" --parallel "$jobs" "${targets[@]}"
  if [ -s "$dir/compile-cost.log" ]; then
    costs+=("$(awk -v d="$dir" '{ cpu += $1 + $2; n++; if ($3 > peak) peak = $3 }
      END { printf "%-12s %3d compiles, %5d CPU s (user+sys), peak %d MB", d ":", n, cpu, peak / 1024 }' \
      "$dir/compile-cost.log")")
  fi
}

# children_cpu VAR: sets VAR to the CPU seconds (user + sys) used so far by the finished
# children of this shell (the builtin `times` in this shell, not in a $(...) subshell).
times_file=$(mktemp)
children_cpu() {
  times >"$times_file"
  printf -v "$1" '%s' "$(tail -n 1 "$times_file" |
    awk '{ s = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d", s }')"
}

# phase NAME COMMAND...: runs the command and records its wall time and the CPU time of its
# processes (which, unlike the wall time, does not depend on what else the machine runs).
phase() {
  local name=$1 start=$SECONDS cpu_start cpu_end
  children_cpu cpu_start
  shift
  echo "== sanitize: $name"
  "$@"
  children_cpu cpu_end
  timings+=("$(printf '%-34s %5d s wall %6d s CPU' "$name" $((SECONDS - start)) $((cpu_end - cpu_start)))")
}

run_asan() {
  local flags="-fsanitize=address,undefined -fno-sanitize-recover=all"
  phase "asan+ubsan: configure" configure build-asan "$flags"
  phase "asan+ubsan: build" build build-asan
  export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=1:abort_on_error=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  phase "asan+ubsan: ctest" ctest --test-dir build-asan --output-on-failure --parallel "$jobs" --timeout 1500 \
    --no-tests=error -E '^(compile_fail|package)\.'
}

# The test executables that hold a test with "Thread" in its name: the sources that define
# one (or include a header that does, like the conformance suite), mapped to their targets
# through compile_commands.json.
thread_test_targets() {
  local pattern='TEST(_F|_P)?\([A-Za-z0-9_]*Thread[A-Za-z0-9_]*,|TEST(_F|_P)?\([A-Za-z0-9_]+, *[A-Za-z0-9_]*Thread'
  local headers sources=() h
  mapfile -t sources < <(grep -RlE --include='*.cpp' "$pattern" tests || true)
  mapfile -t headers < <(grep -RlE --include='*.hpp' "$pattern" tests || true)
  for h in "${headers[@]}"; do
    mapfile -t -O "${#sources[@]}" sources < <(grep -RlF --include='*.cpp' "$(basename "$h")\"" tests || true)
  done
  local src
  for src in "${sources[@]}"; do
    # Each entry of compile_commands.json has its "command" (with "-o .../CMakeFiles/<target>.dir/...")
    # before its "file".
    awk -v f="/$src\"" '/"command":/ { cmd = $0 } /"file":/ && index($0, f) > 0 { print cmd }' \
      build-tsan/compile_commands.json | grep -oE -- '-o [^ ]*CMakeFiles/[A-Za-z0-9_]+\.dir/' |
      sed -E 's|.*CMakeFiles/([A-Za-z0-9_]+)\.dir/|\1|'
  done | sort -u
}

run_tsan() {
  phase "tsan: configure" configure build-tsan "-fsanitize=thread"
  local targets
  # Without the command-line tests unless EMKIT_SANITIZE_TSAN_CLI=1: their threads are the
  # library's (tools/ starts none), which the library's Thread tests cover family by family,
  # and they would add the emkit program (265 CPU s) and cli_test.cpp (188 CPU s) to this build.
  mapfile -t targets < <(thread_test_targets | { if [ "${EMKIT_SANITIZE_TSAN_CLI:-0}" = 1 ]; then cat; else
    grep -vx emkit_cli_tests; fi; })
  if [ ${#targets[@]} -eq 0 ]; then
    echo "sanitize: no test executable holds a test named *Thread*" >&2
    exit 1
  fi
  echo "== sanitize: tsan targets: ${targets[*]}"
  phase "tsan: build" build build-tsan "${targets[@]}"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  phase "tsan: ctest -R Thread" ctest --test-dir build-tsan --output-on-failure --parallel "$jobs" --timeout 1500 \
    --no-tests=error -R Thread
}

# The phases' wall times and the compiles' CPU cost, printed at the end even when a phase fails.
report() {
  local cpu
  children_cpu cpu
  rm -f "$times_file"
  echo "== sanitize: timings"
  [ ${#timings[@]} -eq 0 ] || printf '  %s\n' "${timings[@]}"
  printf '  %-34s %5d s wall %6d s CPU\n' "total" $((SECONDS - total_start)) "$cpu"
  [ ${#costs[@]} -eq 0 ] || printf '  %s\n' "${costs[@]}"
}
total_start=$SECONDS
trap report EXIT
if [ "$mode" = all ] || [ "$mode" = asan ]; then run_asan; fi
if [ "$mode" = all ] || [ "$mode" = tsan ]; then run_tsan; fi
