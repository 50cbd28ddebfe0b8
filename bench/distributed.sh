#!/usr/bin/env bash
# One process against two: `emkit fit` on the same .npy file as 1 process x 1 thread,
# 1 process x 2 threads and 2 MPI processes x 1 thread, a fixed number of iterations (--tol 0),
# and checks that all three wrote the same model. Not part of the tests; about a minute.
#   bash bench/distributed.sh [BUILD_DIR] [N] [D] [K] [ITERATIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
n=${2:-1000000}
d=${3:-16}
k=${4:-8}
iterations=${5:-20}
emkit="$build/bin/emkit"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
  OMPI_MCA_btl=self,vader,tcp OMPI_MCA_btl_vader_single_copy_mechanism=none

/usr/bin/python3 - "$work/data.npy" "$n" "$d" "$k" <<'PY'
import sys, numpy as np
path, n, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(1)
centres = rng.normal(0, 4, size=(k, d))
np.save(path, centres[rng.integers(0, k, n)] + rng.normal(size=(n, d)))
PY

# run NAME COMMAND...: the whole run's wall time, and the mean EM iteration (from the trace:
# an iteration is an M-step and a fused E-step pass, including the exchange between processes).
run() {
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" "$work/data.npy" -k "$k" --covariance full --tol 0 --max-iter "$iterations" --seed 1 --quiet \
    --trace "$work/$name.csv" -o "$work/$name.json"
  end=$(date +%s.%N)
  printf '%-26s %8.3f s in all, %8.4f s per iteration\n' "$name" "$(echo "$end - $start" | bc)" \
    "$(awk -F, 'NR > 2 { s += $10; n++ } END { print s / n }' "$work/$name.csv")"
}
echo "emkit fit, N=$n D=$d K=$k full covariance, $iterations iterations, $(nproc) cores"
run one_process_one_thread "$emkit" fit --threads 1
run one_process_two_threads "$emkit" fit --threads 2
run two_processes_one_thread mpirun -n 2 "$emkit" fit --threads 1 --distributed
for f in one_process_two_threads two_processes_one_thread; do
  if diff <(grep -v '"seconds"' "$work/one_process_one_thread.json") <(grep -v '"seconds"' "$work/$f.json") >/dev/null; then
    echo "$f: the same model as one process, one thread"
  else
    echo "$f: a DIFFERENT model" >&2
    exit 1
  fi
done
