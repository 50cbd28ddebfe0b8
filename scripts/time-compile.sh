#!/usr/bin/env bash
# A compiler launcher that records what each compile cost (CMAKE_CXX_COMPILER_LAUNCHER
# "scripts/time-compile.sh;LOG"): appends "user_s sys_s peak_kB object" to LOG, one line per
# translation unit. CPU seconds (user + sys) do not depend on the machine's load; wall time does.
set -euo pipefail
log=$1
shift
out=
prev=
for a in "$@"; do
  [ "$prev" = -o ] && out=$a
  prev=$a
done
exec /usr/bin/time -a -o "$log" -f "%U %S %M $out" "$@"
