#!/usr/bin/env bash
# End to end through the `distill` command on tiny generated data: experts (and resuming
# them), evaluation of random real images and of a synthetic set written by another program,
# the PNG grid, and one-line errors.
set -euo pipefail
distill=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/data"
python3 "$here/make_tiny_data.py" "$work/data" "$work/set.safetensors"

"$distill" experts --data "$work/data" --out "$work/experts" --experts 2 --epochs 2 --width 16 --threads 2 > "$work/experts.txt" 2> /dev/null
grep -q "expert 1 epoch 2/2" "$work/experts.txt"
test -f "$work/experts/expert_000.safetensors" -a -f "$work/experts/expert_001.safetensors"
test "$(grep -c expert_epoch "$work/experts/metrics.jsonl")" -eq 4
# Everything is done: a second run trains nothing; a longer schedule continues.
"$distill" experts --data "$work/data" --out "$work/experts" --experts 2 --epochs 2 --width 16 > "$work/again.txt" 2> /dev/null
test "$(grep -c '^expert [0-9]' "$work/again.txt")" -eq 0
"$distill" experts --data "$work/data" --out "$work/experts" --experts 2 --epochs 3 --width 16 > "$work/more.txt" 2> /dev/null
test "$(grep -c '^expert [0-9]' "$work/more.txt")" -eq 2

"$distill" evaluate --data "$work/data" --random-ipc 2 --runs 2 --epochs 20 --arch ConvNetW16 > "$work/eval.txt" 2> /dev/null
tail -n 1 "$work/eval.txt" | grep -Eq '^accuracy_mean=[0-9.]+ accuracy_std=[0-9.]+$'

"$distill" evaluate --data "$work/data" --synthetic "$work/set.safetensors" --runs 1 --epochs 30 --arch ConvNetW16 > "$work/syn.txt" 2> /dev/null
mean=$(tail -n 1 "$work/syn.txt" | sed -E 's/accuracy_mean=([0-9.]+).*/\1/')
python3 -c "import sys; sys.exit(0 if float('$mean') >= 50 else 1)"  # the bands are easy to learn

"$distill" show --synthetic "$work/set.safetensors" --out "$work/grid.png"
head -c 8 "$work/grid.png" | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a"

# Errors: one line, non-zero exit.
if "$distill" evaluate --data "$work" --random-ipc 1 > /dev/null 2> "$work/err.txt"; then exit 1; fi
test "$(grep -c . "$work/err.txt")" -eq 1
grep -q "data_batch_1.bin: missing file" "$work/err.txt"
if "$distill" evaluate --data "$work/data" --random-ipc 1 --arch ResNet > /dev/null 2> "$work/err.txt"; then exit 1; fi
grep -q "only ConvNet variants" "$work/err.txt"
if "$distill" experts --data /nonexistent --out "$work/x" 2> "$work/err.txt"; then exit 1; fi
test "$(grep -c . "$work/err.txt")" -eq 1
echo "cli end-to-end: ok"
