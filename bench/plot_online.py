#!/usr/bin/python3
"""Plots bench/online_vs_batch.cpp's CSV (docs/scale.md, "Online and mini-batch EM") through
gnuplot, as bench/plot_comparison.py does (no Python packages needed).

Left: mean log-likelihood per observation against passes over the data (up to MAX_PASSES).
Right: its gap to the best value any run reached, on a log scale, which shows the tail.

Usage: bench/plot_online.py ONLINE_VS_BATCH.csv OUT.png|OUT.svg [MAX_PASSES=40]
"""
import csv
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

METHODS = [
    ("batch", "batch EM", "#000000", 7),
    ("stepwise", "stepwise EM ({/Symbol a} = 0.6, t_0 = 2)", "#1f77b4", 5),
    ("stepwise_polyak", "stepwise EM + Polyak averaging (2nd half)", "#2ca02c", 9),
    ("incremental", "incremental mini-batch EM (Neal-Hinton)", "#d62728", 13),
]


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    source, out = sys.argv[1], sys.argv[2]
    max_passes = float(sys.argv[3]) if len(sys.argv) == 4 else 40.0
    runs = defaultdict(list)
    with open(source) as f:
        for row in csv.DictReader(f):
            runs[row["method"]].append((float(row["passes"]), float(row["mean_log_likelihood"])))
    best = max(ll for points in runs.values() for _, ll in points)
    low = min(ll for points in runs.values() for p, ll in points if p > 0)

    ext = os.path.splitext(out)[1].lower()
    terminal = {".png": "pngcairo size 1200,500 font 'Sans,10'", ".svg": "svg size 1200,500 font 'Sans,10'"}.get(ext)
    if terminal is None:
        sys.exit(f"{out}: expected a .png or .svg file name")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.txt")
        present = [m for m in METHODS if m[0] in runs]
        with open(data, "w") as f:
            for name, _, _, _ in present:
                f.write(f"# {name}: passes, mean log-likelihood, gap to the best\n")
                for passes, ll in runs[name]:
                    if passes <= max_passes:
                        gap = best - ll
                        f.write(f"{passes!r} {ll!r} {repr(gap) if gap > 0 else 'NaN'}\n")
                f.write("\n\n")
        partial = out + ".partial"
        script = [
            f"set terminal {terminal}",
            f"set output '{partial}'",
            "set multiplot layout 1,2 title 'N = 10^6 rows, D = 8, K = 8 full-covariance Gaussian mixture; "
            "every method from the same k-means++ start'",
            "set grid",
            "set xlabel 'passes over the data'",
            f"set xrange [0:{max_passes}]",
            "set key bottom right",
            "set title 'log-likelihood per observation ({/Symbol q}_0 is below the frame)'",
            "set ylabel 'log-likelihood per observation'",
            f"set yrange [{low - 0.01!r}:{best + 0.005!r}]",
        ]

        def plots(column):
            return ", ".join(
                f"'{data}' index {i} using 1:{column} with linespoints title '{label}' lc rgb '{colour}' "
                f"pt {point} ps 0.8 lw 1.5"
                for i, (_, label, colour, point) in enumerate(present)
            )

        script.append("plot " + plots(2))
        script += [
            "set title 'gap to the best value reached (log scale)'",
            "set ylabel 'best - log-likelihood per observation'",
            "set autoscale y",
            "set logscale y",
            "set format y '10^{%L}'",
            "set key top right",
            "plot " + plots(3),
            "unset multiplot",
        ]
        subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, check=True)
        os.replace(partial, out)


if __name__ == "__main__":
    main()
