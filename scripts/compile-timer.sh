#!/usr/bin/env bash
# Per-object compile times of a build, for finding what makes it slow.
#
#   As a compiler launcher (every object's wall time appended to $COMPILE_TIMES_LOG):
#     cmake -S . -B build -DCMAKE_CXX_COMPILER_LAUNCHER=$PWD/scripts/compile-timer.sh \
#                         -DCMAKE_CUDA_COMPILER_LAUNCHER=$PWD/scripts/compile-timer.sh
#     COMPILE_TIMES_LOG=$PWD/compile-times.log cmake --build build -j2
#   The summary (the slowest N objects with their share, and totals by kind):
#     scripts/compile-timer.sh --summary compile-times.log [N]
set -u
if [ "${1:-}" = "--summary" ]; then
  log=${2:?usage: compile-timer.sh --summary LOG [N]}
  n=${3:-15}
  awk -v n="$n" '
    { t[NR] = $1; o[NR] = $2; total += $1
      k = "other"
      if ($2 ~ /surrogates/) k = "header surrogates"
      else if ($2 ~ /prebuilt/) k = "prebuilt instantiations"
      else if ($2 ~ /\.cu\.o$/) k = "CUDA objects"
      else if ($2 ~ /distill_tests\.dir|distill_test_catch/) k = "test sources"
      else if ($2 ~ /distill_cli\.dir/) k = "distill CLI"
      kind[k] += $1; count[k]++ }
    END {
      printf "%d objects, %.0f s of compilation\n", NR, total
      for (k in kind) printf "  %-24s %4d objects %7.0f s %5.1f%%\n", k, count[k], kind[k], 100 * kind[k] / total
      print "slowest:"
      for (i = 1; i <= NR; i++) idx[i] = i
      # selection of the n largest
      for (j = 1; j <= n && j <= NR; j++) {
        m = j
        for (i = j + 1; i <= NR; i++) if (t[idx[i]] > t[idx[m]]) m = i
        tmp = idx[j]; idx[j] = idx[m]; idx[m] = tmp
        printf "  %6.1f s %5.1f%%  %s\n", t[idx[j]], 100 * t[idx[j]] / total, o[idx[j]]
      }
    }' "$log"
  exit 0
fi
log=${COMPILE_TIMES_LOG:-compile-times.log}
out=""
prev=""
for a in "$@"; do
  [ "$prev" = "-o" ] && out=$a
  prev=$a
done
start=$(date +%s%N)
"$@"
rc=$?
end=$(date +%s%N)
printf '%d.%03d %s\n' $(((end - start) / 1000000000)) $((((end - start) / 1000000) % 1000)) "$out" >> "$log"
exit $rc
