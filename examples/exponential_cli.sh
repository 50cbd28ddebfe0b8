#!/usr/bin/env bash
# A user's family on the whole command line: the exponential family of exponential.hpp, given
# emkit's commands by exponential_cli.cpp. Fits data/exponential.csv (two components: rates
# about (1, 10) and (10, 1)), writes and reads back its model file, predicts, scores, samples,
# describes, and names a negative value by its line.
# Usage: exponential_cli.sh PROGRAM DATA_DIR
set -euo pipefail
program=$1
data=$2/exponential.csv
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$program" fit "$data" --family exponential -k 2 --restarts 3 --seed 1 -o "$work/m.json" --quiet
grep -q '"family": "exponential"' "$work/m.json"
grep -q '"rate": \[' "$work/m.json"
"$program" info "$work/m.json" | grep -q '^family: exponential'
"$program" predict "$work/m.json" "$data" >"$work/labels.csv"
test "$(wc -l <"$work/labels.csv")" -eq 400
"$program" score "$work/m.json" "$data" >"$work/scores.csv"
test "$(wc -l <"$work/scores.csv")" -eq 400
"$program" sample "$work/m.json" -n 5 --seed 2 >"$work/draws.csv"
test "$(wc -l <"$work/draws.csv")" -eq 6  # the header x,y and five draws
# The fitted rates, one component per line, sorted: each near (1, 10) or (10, 1).
python3 - "$work/m.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
rates = sorted(m["rate"])
assert 0.7 < rates[0][0] < 1.4 and 7 < rates[0][1] < 14, rates
assert 7 < rates[1][0] < 14 and 0.7 < rates[1][1] < 1.4, rates
PY
printf 'x,y\n1,2\n3,-1\n' >"$work/bad.csv"
if "$program" fit "$work/bad.csv" --family exponential -k 1 -o "$work/bad.json" 2>"$work/err.txt"; then
  echo "a negative value was accepted" >&2
  exit 1
fi
grep -q 'bad.csv: line 3, column 2: -1 is not a value >= 0 (exponential)' "$work/err.txt"
echo "exponential cli: fitted, saved, loaded, predicted, scored, sampled, described; a negative value named"
