#!/usr/bin/env bash
# Installs the peers (scikit-learn, Armadillo, OpenBLAS for both), builds the emkit program as the
# README builds it (build/, optimised for this machine) and Armadillo's driver, and runs
# bench/compare.py, which runs `build/bin/emkit fit` through the command line. Takes several
# minutes; not part of the tests.
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
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target emkit_program
mkdir -p build-bench
g++ -std=c++17 -O3 -march=native -fopenmp -DARMA_DONT_USE_WRAPPER bench/armadillo_driver.cpp \
    -o build-bench/armadillo_driver -lopenblas -llapack
/usr/bin/python3 bench/compare.py --build build-bench --emkit build/bin/emkit "$@"
