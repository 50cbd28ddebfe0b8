#!/usr/bin/env bash
# Runs the tests a second time under the sanitizers (CI runs it after scripts/test.sh):
#
#   build-asan/  every test except compile_fail.* and package.* (which run a compiler or an
#                install, not emkit code), built with AddressSanitizer, LeakSanitizer and
#                UndefinedBehaviorSanitizer at -O1; any report fails the test.
#   build-tsan/  the threaded tests -- every test whose name contains "Thread" -- built with
#                ThreadSanitizer; only the executables that hold such tests are compiled.
#
# Usage: bash scripts/sanitize.sh [all|asan|tsan]        (default: all)
# Environment: EMKIT_SANITIZE_CXX (default g++), EMKIT_SANITIZE_JOBS (default nproc).
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
cxx=${EMKIT_SANITIZE_CXX:-g++}
jobs=${EMKIT_SANITIZE_JOBS:-$(nproc)}
timings=()

# configure DIR FLAGS: a Debug build (Eigen's and the tests' assertions on) at -O1 with FLAGS.
configure() {
  local dir=$1 flags=$2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_COMPILER="$cxx" \
    -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g -fno-omit-frame-pointer $flags" \
    -DCMAKE_EXE_LINKER_FLAGS="$flags" -DEMKIT_BUILD_TESTS=ON -DEMKIT_BUILD_EXAMPLES=ON \
    -DEMKIT_BUILD_TOOLS=ON -DEMKIT_BUILD_BENCH=OFF >/dev/null
}

# phase NAME COMMAND...: runs the command and records its wall time.
phase() {
  local name=$1 start=$SECONDS
  shift
  echo "== sanitize: $name"
  "$@"
  timings+=("$(printf '%-34s %5d s' "$name" $((SECONDS - start)))")
}

run_asan() {
  local flags="-fsanitize=address,undefined -fno-sanitize-recover=all"
  phase "asan+ubsan: configure" configure build-asan "$flags"
  phase "asan+ubsan: build" cmake --build build-asan --parallel "$jobs"
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
  mapfile -t targets < <(thread_test_targets)
  if [ ${#targets[@]} -eq 0 ]; then
    echo "sanitize: no test executable holds a test named *Thread*" >&2
    exit 1
  fi
  echo "== sanitize: tsan targets: ${targets[*]}"
  phase "tsan: build" cmake --build build-tsan --parallel "$jobs" --target "${targets[@]}"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
  phase "tsan: ctest -R Thread" ctest --test-dir build-tsan --output-on-failure --parallel "$jobs" --timeout 1500 \
    --no-tests=error -R Thread
}

total_start=$SECONDS
if [ "$mode" = all ] || [ "$mode" = asan ]; then run_asan; fi
if [ "$mode" = all ] || [ "$mode" = tsan ]; then run_tsan; fi
echo "== sanitize: timings"
printf '  %s\n' "${timings[@]}"
printf '  %-34s %5d s\n' "total" $((SECONDS - total_start))
