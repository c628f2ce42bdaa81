#!/usr/bin/env bash
# `distill` under mpirun on tiny generated data: experts, distribution matching by class (DM,
# TGDD, also with multi-formation), trajectory matching by segment (MTT and DATM-CLR,
# --trajectories 4) and evaluation give one process's files and figures at 1, 2 and 3 ranks; a
# rank killed with SIGKILL ends the job with a line naming it, the checkpoint stays good, and a
# resume at another rank count equals the uninterrupted run.
set -euo pipefail
distill=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
mpi() { local k=$1; shift; mpirun --oversubscribe -np "$k" "$distill" "$@"; }
same() { cmp "$1" "$2" || { echo "differ: $1 $2"; exit 1; }; }
mkdir "$work/data"
python3 "$here/make_tiny_data.py" "$work/data" "$work/set.safetensors"

# Experts: expert k on rank k mod K; the files are one process's.
experts=(experts --data "$work/data" --experts 3 --epochs 2 --width 16 --threads 1)
"$distill" "${experts[@]}" --out "$work/e0" > /dev/null 2>&1
for k in 1 2 3; do
  mpi "$k" "${experts[@]}" --out "$work/e$k" > "$work/e$k.txt" 2> /dev/null
  for e in 000 001 002; do same "$work/e0/expert_$e.safetensors" "$work/e$k/expert_$e.safetensors"; done
  test -f "$work/e$k/report.html"
done
# Output comes from rank 0 only: its two experts' epochs (experts 0 and 2 at K = 2).
test "$(grep -c '^expert [0-9]' "$work/e2.txt")" -eq 4
# Killed mid-way on 2 ranks, continued on 3: every expert resumes from its last epoch, and the
# files are one process's.
longer=(experts --data "$work/data" --experts 3 --epochs 6 --width 16 --threads 1)
"$distill" "${longer[@]}" --out "$work/ea" > /dev/null 2>&1
mpi 2 "${longer[@]}" --out "$work/eb" > /dev/null 2>&1 &
job=$!
until [ -f "$work/eb/expert_001.safetensors" ]; do
  kill -0 $job 2> /dev/null || { echo "the experts job finished before a rank could be killed"; exit 1; }
  sleep 0.05
done
pkill -9 -f -- "--out $work/eb" || true
wait $job 2> /dev/null || true
mpi 3 "${longer[@]}" --out "$work/eb" > /dev/null 2>&1
for e in 000 001 002; do same "$work/ea/expert_$e.safetensors" "$work/eb/expert_$e.safetensors"; done

# Distillation: files equal to one process's at every rank count.
common=(--ipc 2 --experts "$work/e0" --data "$work/data" --eval-every 0 --eval-epochs 5 --checkpoint-every 1 --threads 1)
short=(--iterations 4 --final-eval-runs 3)
declare -A cases=(
  [dm]="--method dm --preset cifar10-ipc1"
  [tgdd]="--method tgdd --preset cifar10-ipc1"
  [tgdd-mf]="--method tgdd --preset cifar10-ipc1 --set factor=2"
  [mtt]="--method mtt --preset cifar10-ipc1 --set max_start_epoch=1 --syn-steps 3 --trajectories 4"
  [datm-clr]="--method datm-clr --preset cifar10-ipc1 --set max_start_epoch=1 --syn-steps 3 --trajectories 4")
for c in dm tgdd tgdd-mf mtt datm-clr; do
  read -r -a extra <<< "${cases[$c]}"
  "$distill" run "${common[@]}" "${short[@]}" "${extra[@]}" --out "$work/$c-0" > "$work/$c-0.txt" 2> /dev/null
  for k in 1 2 3; do
    mpi "$k" run "${common[@]}" "${short[@]}" "${extra[@]}" --out "$work/$c-$k" > "$work/$c-$k.txt" 2> /dev/null
    same "$work/$c-0/synthetic.safetensors" "$work/$c-$k/synthetic.safetensors"
    same "$work/$c-0/checkpoint.safetensors" "$work/$c-$k/checkpoint.safetensors"
    diff <(tail -n 1 "$work/$c-0.txt") <(tail -n 1 "$work/$c-$k.txt")  # the final evaluation's figures
  done
done

# Evaluation: the runs spread over the ranks, the same figures.
ev=(evaluate --data "$work/data" --random-ipc 2 --runs 3 --epochs 5 --arch ConvNetW16 --threads 1)
"$distill" "${ev[@]}" > "$work/ev0.txt" 2> /dev/null
for k in 1 2 3; do
  mpi "$k" "${ev[@]}" > "$work/ev$k.txt" 2> /dev/null
  diff <(grep -E '^(run|accuracy)' "$work/ev0.txt") <(grep -E '^(run|accuracy)' "$work/ev$k.txt")
done

# A failing command ends the job with one line naming the rank and the cause.
if mpi 2 run "${common[@]}" "${short[@]}" --method tgdd --set alpha=-1 --out "$work/bad" > /dev/null 2> "$work/bad.err"; then
  echo "a failing run succeeded"; exit 1
fi
grep -E "^distill: rank [01] of 2: error: settings: field 'alpha': must not be negative" "$work/bad.err" | head -n 1

# A rank killed mid-run: the job ends naming it; a resume at another rank count equals the
# uninterrupted run.
read -r -a extra <<< "${cases[datm-clr]}"
long=(run "${common[@]}" "${extra[@]}" --iterations 40 --final-eval-runs 0)
"$distill" "${long[@]}" --out "$work/full" > /dev/null 2>&1
mpi 2 "${long[@]}" --out "$work/cut" > /dev/null 2> "$work/cut.err" &
job=$!
until grep -q '"iteration":3,' "$work/cut/metrics.jsonl" 2> /dev/null; do
  kill -0 $job 2> /dev/null || { echo "the job finished before a rank could be killed"; exit 1; }
  sleep 0.05
done
victim=$(pgrep -f -- "--out $work/cut" | while read -r p; do
  if [ "$(ps -o comm= -p "$p")" = distill ]; then echo "$p"; fi; done | tail -n 1)
kill -9 "$victim"
if wait $job; then echo "the job survived a killed rank"; exit 1; fi
grep -iE "rank [0-9]+.*(signal 9|killed)|exited on signal 9" "$work/cut.err" | head -n 1 | sed 's/^/killed: /' \
  || { cat "$work/cut.err"; exit 1; }
test ! -e "$work/cut/synthetic.safetensors"
mpi 3 "${long[@]}" --out "$work/cut" --resume > /dev/null 2>&1
same "$work/full/synthetic.safetensors" "$work/cut/synthetic.safetensors"
same "$work/full/checkpoint.safetensors" "$work/cut/checkpoint.safetensors"
echo "mpi: all equal"
