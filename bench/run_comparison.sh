#!/usr/bin/env bash
# Installs the peers (scikit-learn, Armadillo, OpenBLAS for both), builds emkit's benchmark
# driver and Armadillo's, and runs bench/compare.py. Takes several minutes; not part of the tests.
#   bash bench/run_comparison.sh [--quick] [--json results.json]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
peers=(python3-sklearn python3-threadpoolctl libarmadillo-dev libopenblas-dev)
missing=()
for p in "${peers[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMKIT_BUILD_BENCH=ON -DEMKIT_BUILD_TESTS=OFF \
      -DEMKIT_BUILD_EXAMPLES=OFF -DEMKIT_BUILD_TOOLS=OFF >/dev/null
cmake --build build-bench --target emkit_bench_driver emkit_bench
g++ -std=c++17 -O3 -march=native -fopenmp -DARMA_DONT_USE_WRAPPER bench/armadillo_driver.cpp \
    -o build-bench/armadillo_driver -lopenblas -llapack
/usr/bin/python3 bench/compare.py --build build-bench "$@"
