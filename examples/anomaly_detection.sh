#!/usr/bin/env bash
# Anomaly detection by density: fit a mixture to normal data, then flag the observations
# whose log density under the model is unusually low. `score --quantile Q` flags the fraction Q
# of the data set with the lowest densities; `score --threshold T` flags new data below a fixed
# density, here the 1% quantile of the training scores.
# Usage: anomaly_detection.sh EMKIT DATA_DIR
set -euo pipefail
emkit=$1
data=$2/faithful.csv
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

"$emkit" fit "$data" -k 2 --restarts 5 --seed 1 -o "$out/model.json" --quiet

# [quantile]
# The 2% of eruptions the model finds least likely (second column 1 = flagged).
"$emkit" score "$out/model.json" "$data" --quantile 0.02 > "$out/flags.txt"
paste -d, <(tail -n +2 "$data") "$out/flags.txt" | awk -F, '$4 == 1 { printf "unusual eruption: %s min, %s min wait (log density %.2f)\n", $1, $2, $3 }'
# [quantile]

# [threshold]
# A fixed threshold for new data: the 1% quantile of the training scores.
threshold=$("$emkit" score "$out/model.json" "$data" | sort -g | awk '{ v[NR] = $1 } END { i = int(0.01 * (NR - 1)) + 1; print v[i] }')
printf 'eruptions,waiting\n4.0,78\n2.0,55\n4.5,82\n6.0,50\n1.2,95\n' > "$out/new.csv"
"$emkit" score "$out/model.json" "$out/new.csv" --threshold "$threshold" > "$out/new_flags.txt"
paste -d, <(tail -n +2 "$out/new.csv") "$out/new_flags.txt" | awk -F, '{ printf "new eruption %s min, %s min wait: log density %7.2f %s\n", $1, $2, $3, ($4 == 1 ? "ANOMALY" : "normal") }'
# [threshold]
flagged=$(awk -F, '$2 == 1' "$out/new_flags.txt" | wc -l)
[ "$flagged" -eq 2 ] && echo "anomaly detection: the two made-up eruptions, and only they, were flagged"
