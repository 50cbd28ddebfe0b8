#!/usr/bin/env bash
# Old Faithful end to end with the emkit command: fit a two-component Gaussian mixture with
# its trace, describe the model file, label and score the eruptions, and draw the clusters and
# the trace. Usage: old_faithful.sh EMKIT DATA_DIR [OUT_DIR] (a temporary directory by default).
set -euo pipefail
emkit=$1
data=$2/faithful.csv
out=${3:-$(mktemp -d)}
[ $# -ge 3 ] || trap 'rm -rf "$out"' EXIT

# [fit]
"$emkit" fit "$data" -k 2 --covariance full --restarts 5 --seed 1 \
    --trace "$out/faithful-trace.csv" -o "$out/faithful.json" --quiet
"$emkit" info "$out/faithful.json"
# [fit]

# [predict]
"$emkit" predict "$out/faithful.json" "$data" > "$out/labels.txt"
echo "eruptions per component: $(sort "$out/labels.txt" | uniq -c | awk '{printf "%s: %s  ", $2, $1}')"
# [predict]

# [score]
# The per-eruption log densities add up to the model file's log-likelihood.
"$emkit" score "$out/faithful.json" "$data" > "$out/scores.txt"
awk '{ s += $1 } END { printf "sum of the log densities: %.6f\n", s }' "$out/scores.txt"
# [score]

# [plot]
"$emkit" plot clusters "$out/faithful.json" "$data" -o "$out/faithful-clusters.png"
"$emkit" plot trace "$out/faithful-trace.csv" -o "$out/faithful-trace.png"
# [plot]
for picture in faithful-clusters.png faithful-trace.png; do
  [ -s "$out/$picture" ] || { echo "missing $picture" >&2; exit 1; }
done
echo "old faithful: fitted, described, labelled, scored and drawn"
