#!/usr/bin/env bash
# The main job: set up, build the emkit program (and only it), and fit a two-component
# full-covariance Gaussian mixture to the bundled Old Faithful data; prints the model and the
# monitor's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --parallel "$(nproc)" --target emkit_program >/dev/null
build/bin/emkit fit data/faithful.csv --family gaussian --covariance full -k 2 \
  --restarts 5 --seed 1 --tol 1e-10 --trace build/faithful-trace.csv -o build/faithful-model.json
