#!/usr/bin/python3
"""Plots the table of bench/compare.py --json: seconds per EM iteration of each tool, by case,
one panel per thread count (log scale), through gnuplot.

Usage: bench/plot_comparison.py RESULTS.json OUT.png|OUT.svg
"""
import json
import os
import subprocess
import sys
import tempfile

TOOLS = [("emkit", "emkit", "#1b9e77"), ("sklearn", "scikit-learn", "#d95f02"), ("armadillo", "Armadillo", "#7570b3")]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, out = sys.argv[1], sys.argv[2]
    with open(source) as f:
        table = json.load(f)
    results = table["results"]
    cases = list(dict.fromkeys(r["case"] for r in results))
    threads = sorted({r["threads"] for r in results})
    seconds = {(r["case"], r["threads"], r["tool"]): r["seconds_per_iteration"] for r in results}

    ext = os.path.splitext(out)[1].lower()
    terminal = {".png": "pngcairo size 1100,480 font 'Sans,10'", ".svg": "svg size 1100,480 font 'Sans,10'"}.get(ext)
    if terminal is None:
        sys.exit(f"{out}: expected a .png or .svg file name")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.txt")
        with open(data, "w") as f:
            for t in threads:
                f.write(f"# threads {t}\n")
                for c in cases:
                    row = [seconds.get((c, t, tool), float("nan")) for tool, _, _ in TOOLS]
                    f.write('"%s" %s\n' % (c, " ".join(repr(v) for v in row)))
                f.write("\n\n")
        partial = out + ".partial"
        script = [
            f"set terminal {terminal}",
            f"set output '{partial}'",
            "set multiplot layout 1,%d title 'One EM iteration, N = %d, K = %d (%s): seconds, lower is better'"
            % (len(threads), table["n"], table["k"], table["date"]),
            "set style data histogram",
            "set style histogram clustered gap 1",
            "set style fill solid 0.9 border -1",
            "set logscale y",
            "set ylabel 'seconds per iteration'",
            "set grid ytics",
            "set key top left",
            "set xtics rotate by -20",
        ]
        for i, t in enumerate(threads):
            script.append(f"set title '{t} thread{'s' if t > 1 else ''}'")
            plots = [
                f"'{data}' index {i} using {j + 2}:xtic(1) title '{label}' lc rgb '{colour}'"
                for j, (_, label, colour) in enumerate(TOOLS)
            ]
            script.append("plot " + ", ".join(plots))
        script.append("unset multiplot")
        subprocess.run(["gnuplot"], input="\n".join(script) + "\n", text=True, check=True)
        os.replace(partial, out)


if __name__ == "__main__":
    main()
