#!/usr/bin/env bash
# Choosing K (and the covariance type) for Old Faithful by BIC and by five-fold cross-validated
# held-out log-likelihood, with the selection curves drawn. Old Faithful's waiting times are
# whole minutes, so a component can sit on one value: the second selection adds the variance of
# that rounding, 1/12 min², to every covariance's diagonal (--reg-covar), which rules such
# spikes out. Usage: choose_k.sh EMKIT DATA_DIR [OUT_DIR] (a temporary directory by default).
set -euo pipefail
emkit=$1
data=$2/faithful.csv
out=${3:-$(mktemp -d)}
[ $# -ge 3 ] || trap 'rm -rf "$out"' EXIT

# [select]
"$emkit" select "$data" --k 1..6 --covariance full,diag,spherical,tied --restarts 3 --seed 1 \
    --criterion bic --table "$out/faithful-selection.csv" -o "$out/best-bic.json"
"$emkit" plot selection "$out/faithful-selection.csv" -o "$out/faithful-selection.png"
# [select]

# [regularised]
"$emkit" select "$data" --k 1..6 --covariance full,diag,spherical,tied --restarts 3 --seed 1 \
    --reg-covar 0.083 --criterion cv --table "$out/faithful-selection-reg.csv" -o "$out/best-cv.json" | tail -n 1
"$emkit" plot selection "$out/faithful-selection-reg.csv" -o "$out/faithful-selection-reg.png"
# [regularised]
for picture in faithful-selection.png faithful-selection-reg.png; do
  [ -s "$out/$picture" ] || { echo "missing $picture" >&2; exit 1; }
done
echo "choose k: BIC and cross-validation each chose a model; the curves are drawn"
