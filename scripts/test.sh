#!/usr/bin/env bash
# Set up, build, and run every test (unit, model, command line, examples, compile-fail,
# installed package).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure --parallel "$(nproc)" --timeout 600
