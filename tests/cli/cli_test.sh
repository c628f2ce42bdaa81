#!/usr/bin/env bash
# End to end through the `distill` command on tiny generated data: experts (and resuming
# them), evaluation of random real images and of a synthetic set written by another program,
# the PNG grid, distillation and resuming, settings a method does not read, nested output
# directories, IDX data without a preset, and one-line errors for bad flags and files.
set -euo pipefail
distill=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/data"
python3 "$here/make_tiny_data.py" "$work/data" "$work/set.safetensors"

"$distill" experts --data "$work/data" --out "$work/experts" --experts 2 --epochs 2 --width 16 --threads 2 > "$work/experts.txt" 2> "$work/experts.err"
grep -q "expert 1 epoch 2/2" "$work/experts.txt"
# Into a file (not a terminal) the progress bar is not drawn: the log holds no redrawn lines.
if grep -q $'\r' "$work/experts.err"; then echo "progress bar drawn into a redirected log"; exit 1; fi
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

# Distillation: DATM-CLR on the experts, killed after a checkpoint and resumed, equals the
# uninterrupted run byte for byte.
run_args=(--method datm-clr --ipc 2 --preset cifar10-ipc1 --set max_start_epoch=2 --experts "$work/experts"
          --data "$work/data" --iterations 12 --syn-steps 3 --eval-every 0 --final-eval-runs 1 --eval-epochs 10
          --checkpoint-every 1 --threads 2)
"$distill" run "${run_args[@]}" --out "$work/full" > "$work/run.txt" 2> /dev/null
tail -n 1 "$work/run.txt" | grep -Eq '^accuracy_mean=[0-9.]+ accuracy_std=[0-9.]+$'
for f in synthetic.safetensors synthetic.png summary.json metrics.jsonl checkpoint.safetensors; do test -s "$work/full/$f"; done
"$distill" run "${run_args[@]}" --out "$work/cut" > /dev/null 2>&1 &
pid=$!
until grep -q '"iteration":4,' "$work/cut/metrics.jsonl" 2> /dev/null; do
  kill -0 $pid 2> /dev/null || { echo "run finished before it could be killed"; exit 1; }
  sleep 0.01
done
kill -9 $pid
wait $pid 2> /dev/null || true
test ! -e "$work/cut/synthetic.safetensors"
"$distill" run "${run_args[@]}" --out "$work/cut" --resume > /dev/null 2>&1
cmp "$work/full/synthetic.safetensors" "$work/cut/synthetic.safetensors"
grep -q '"event":"resume"' "$work/cut/metrics.jsonl"
# Without --resume an existing run is left alone.
if "$distill" run "${run_args[@]}" --out "$work/full" > /dev/null 2> "$work/err.txt"; then exit 1; fi
grep -q "exists: pass --resume" "$work/err.txt"
# (Into files: `grep -q` stops reading early, and pipefail would count the writer's SIGPIPE.)
"$distill" presets > "$work/presets.txt"
grep -q '^datm-clr cifar10-ipc10 ' "$work/presets.txt"
"$distill" run "${run_args[@]}" --out "$work/x" --print-settings > "$work/settings.json"
grep -q '"syn_steps": 3' "$work/settings.json"
if "$distill" run "${run_args[@]}" --out "$work/x" --set syn_step=3 2> "$work/err.txt"; then exit 1; fi
test "$(grep -c . "$work/err.txt")" -eq 1
grep -q "unknown field 'syn_step'" "$work/err.txt"

# TGDD with multi-formation: each stored image holds 2x2 tiles, which every evaluation decodes.
"$distill" run --method tgdd --ipc 1 --preset cifar10-ipc1 --set factor=2 --set batch_real=8 --experts "$work/experts" \
  --data "$work/data" --iterations 2 --eval-every 0 --final-eval-runs 1 --eval-epochs 5 --out "$work/tgdd" \
  > "$work/tgdd.txt" 2> /dev/null
tail -n 1 "$work/tgdd.txt" | grep -Eq '^accuracy_mean=[0-9.]+ accuracy_std=[0-9.]+$'
python3 - "$work/tgdd/synthetic.safetensors" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
header = json.loads(raw[8:8 + struct.unpack("<Q", raw[:8])[0]])
assert header["__metadata__"]["formation_factor"] == "2", header["__metadata__"]
assert header["images"]["shape"][0] == 10, header["images"]["shape"]
PY
"$distill" evaluate --data "$work/data" --synthetic "$work/tgdd/synthetic.safetensors" --runs 1 --epochs 5 \
  --arch ConvNetW16 > "$work/tgdd_eval.txt" 2> /dev/null
grep -q "40 images (10 stored, multi-formation factor 2)" "$work/tgdd_eval.txt"
"$distill" show --synthetic "$work/tgdd/synthetic.safetensors" --out "$work/tgdd.png" --decode > "$work/show.txt"
grep -q "10 classes, 40 images" "$work/show.txt"
if "$distill" run "${run_args[@]}" --out "$work/x" --set factor=2 2> "$work/err.txt"; then exit 1; fi
grep -q "field 'factor': method datm-clr has no multi-formation" "$work/err.txt"

# A setting the method does not read is refused, naming the field and the method, before any work.
if "$distill" run --method dm --ipc 1 --data "$work/data" --out "$work/dm_fusion" --set fusion=true --iterations 1 \
  --eval-every 0 --final-eval-runs 0 > /dev/null 2> "$work/err.txt"; then exit 1; fi
test "$(grep -c . "$work/err.txt")" -eq 1
grep -q "field 'fusion' is not read by method dm" "$work/err.txt"
test ! -e "$work/dm_fusion"

# Output directories are created with their parents.
"$distill" run --method dm --ipc 1 --data "$work/data" --out "$work/runs/a/b" --iterations 1 --set batch_real=8 \
  --eval-every 0 --final-eval-runs 0 > /dev/null 2>&1
test -s "$work/runs/a/b/synthetic.safetensors"
"$distill" experts --data "$work/data" --out "$work/fresh/c/experts" --experts 1 --epochs 1 --width 8 > /dev/null 2>&1
test -s "$work/fresh/c/experts/expert_000.safetensors"
"$distill" show --synthetic "$work/set.safetensors" --out "$work/pictures/d/grid.png" > /dev/null
test -s "$work/pictures/d/grid.png"

# --resume where there is no run: an error, not a fresh start.
if "$distill" run "${run_args[@]}" --out "$work/never" --resume > /dev/null 2> "$work/err.txt"; then exit 1; fi
test "$(grep -c . "$work/err.txt")" -eq 1
grep -q "there is no run to resume" "$work/err.txt"
test ! -e "$work/never/checkpoint.safetensors"

# Bad flag values: one short line naming the flag and the problem.
flag_error() {
  local want=$1
  shift
  if "$distill" "$@" > /dev/null 2> "$work/err.txt"; then echo "accepted: $*"; exit 1; fi
  test "$(grep -c . "$work/err.txt")" -eq 1 || { echo "not one line: $*"; cat "$work/err.txt"; exit 1; }
  test "$(wc -c < "$work/err.txt")" -lt 200 || { echo "too long: $*"; exit 1; }
  grep -qF -- "$want" "$work/err.txt" || { echo "expected '$want': $*"; cat "$work/err.txt"; exit 1; }
}
flag_error "--threads: must not be negative, got -3" evaluate --data "$work/data" --random-ipc 1 --runs 1 --epochs 1 \
  --arch ConvNetW8 --threads -3
flag_error "--runs: must be positive, got 0" evaluate --data "$work/data" --random-ipc 1 --runs 0
flag_error "--random-ipc: must be positive, got 0" evaluate --data "$work/data" --random-ipc 0

# Data without a published preset: the method's defaults for the IPC, and which they were.
mkdir "$work/idx"
python3 "$here/make_tiny_idx.py" "$work/idx"
"$distill" run --method dm --dataset idx --ipc 1 --data "$work/idx" --out "$work/idx_dm" --iterations 2 \
  --set batch_real=8 --eval-every 0 --final-eval-runs 1 --eval-epochs 2 > "$work/idx.txt" 2> "$work/idx.err"
grep -q "settings: no published preset 'idx-ipc1' for dm: took the dm preset cifar10-ipc1" "$work/idx.err"
tail -n 1 "$work/idx.txt" | grep -Eq '^accuracy_mean=[0-9.]+ accuracy_std=[0-9.]+$'

# A folder of images (ImageFolder layout, 20x20 resized to 16x16 on load): experts, TGDD on them
# and the cross-architecture table of the result.
mkdir "$work/folder"
python3 "$here/make_tiny_folder.py" "$work/folder"
"$distill" experts --dataset folder --image-size 16 --data "$work/folder" --out "$work/folder_experts" --experts 1 \
  --epochs 3 --width 16 > "$work/folder_experts.txt" 2> "$work/folder_experts.err"
grep -q "loaded folder:16: 48 training and 20 test images of 3x16x16, 4 classes" "$work/folder_experts.err"
"$distill" run --method tgdd --ipc 2 --experts "$work/folder_experts" --data "$work/folder" --out "$work/folder_tgdd" \
  --iterations 2 --set batch_real=8 --set stage_region=2 --eval-every 0 --final-eval-runs 1 --eval-epochs 5 \
  > "$work/folder_tgdd.txt" 2> /dev/null
test -f "$work/folder_tgdd/synthetic.safetensors"
"$distill" evaluate --data "$work/folder" --synthetic "$work/folder_tgdd/synthetic.safetensors" --runs 2 --epochs 5 \
  --arch ConvNetW16,ConvNetW16BN,ConvNetW16MP > "$work/folder_eval.txt" 2> /dev/null
grep -Eq '^ConvNetW16BN +[0-9.]+ \+- +[0-9.]+  [0-9.]+ [0-9.]+$' "$work/folder_eval.txt"
test "$(grep -c '^arch=ConvNetW16[A-Z]* accuracy_mean=' "$work/folder_eval.txt")" -eq 3
if "$distill" evaluate --data "$work/folder" --random-ipc 1 --arch ConvNet,,ConvNetBN > /dev/null 2> "$work/err.txt"; then exit 1; fi
grep -q "empty architecture name" "$work/err.txt"
if "$distill" experts --data "$work/data" --image-size 16 --out "$work/x" 2> "$work/err.txt"; then exit 1; fi
grep -q "only folders of images are resized" "$work/err.txt"

# bench eval: one network of the evaluation protocol on generated data, its rate against the GEMM's.
"$distill" bench eval --ipc 1 --epochs 2 --test-images 20 --threads 1 > "$work/bench_eval.txt" 2> /dev/null
grep -Eq '^network=ConvNet-3 .* ipc=1 images=10 epochs=2 batch=256 test_images=20 ' "$work/bench_eval.txt"
grep -Eq '^images_per_second=[0-9.]+ gflops=[0-9.]+ gemm_gflops=[0-9.]+ gemm_fraction=[0-9.]+$' "$work/bench_eval.txt"

# Errors: one line, non-zero exit.
# --tf32 is a GPU math mode: without --device cuda it is refused before any work.
flag_error "--tf32: TF32 is a math mode of the GPU; give it with --device cuda" bench train --tf32 --batch 2 --images 2
flag_error "--tf32: TF32 is a math mode of the GPU; give it with --device cuda" run "${run_args[@]}" --out "$work/tf32" \
  --tf32
test ! -e "$work/tf32"
# --device cuda needs the CUDA plugin and a GPU; where either is missing it says which, in one line.
if "$distill" bench train --device cuda --tf32 --batch 2 --images 2 > /dev/null 2> "$work/err.txt"; then
  echo "cli: bench train --device cuda ran (a GPU is present)"
else
  test "$(grep -c . "$work/err.txt")" -eq 1
  grep -Eq -- "--device cuda: (this distill was built without the CUDA backend|no CUDA device)" "$work/err.txt"
fi
for bench in "tm --ipc 1 --syn-steps 1 --iterations 1" "dm --method dm --ipc 1 --iterations 1"; do
  if "$distill" bench $bench --device cuda > /dev/null 2> "$work/err.txt"; then
    echo "cli: bench $bench --device cuda ran (a GPU is present)"
  else
    test "$(grep -c . "$work/err.txt")" -eq 1
    grep -Eq -- "--device cuda: (this distill was built without the CUDA backend|no CUDA device)" "$work/err.txt"
  fi
done
# run --device cuda gets as far as the GPU (settings, experts and data are read first) and stops there.
if "$distill" run "${run_args[@]}" --out "$work/gpu" --device cuda > /dev/null 2> "$work/err.txt"; then
  echo "cli: run --device cuda ran (a GPU is present)"
else
  grep -Eq -- "--device cuda: (this distill was built without the CUDA backend|no CUDA device)" "$work/err.txt"
fi
# experts and evaluate --device cuda likewise (the data are read first).
if "$distill" experts --data "$work/data" --out "$work/gpu-experts" --experts 1 --epochs 1 --device cuda \
    > /dev/null 2> "$work/err.txt"; then
  echo "cli: experts --device cuda ran (a GPU is present)"
else
  grep -Eq -- "--device cuda: (this distill was built without the CUDA backend|no CUDA device)" "$work/err.txt"
  test ! -e "$work/gpu-experts/expert_000.safetensors"
fi
if "$distill" evaluate --data "$work/data" --random-ipc 1 --runs 1 --epochs 1 --device cuda \
    > /dev/null 2> "$work/err.txt"; then
  echo "cli: evaluate --device cuda ran (a GPU is present)"
else
  grep -Eq -- "--device cuda: (this distill was built without the CUDA backend|no CUDA device)" "$work/err.txt"
fi
if "$distill" evaluate --data "$work" --random-ipc 1 > /dev/null 2> "$work/err.txt"; then exit 1; fi
test "$(grep -c . "$work/err.txt")" -eq 1
grep -q "data_batch_1.bin: missing file" "$work/err.txt"
if "$distill" evaluate --data "$work/data" --random-ipc 1 --arch ResNet > /dev/null 2> "$work/err.txt"; then exit 1; fi
grep -q "only ConvNet variants" "$work/err.txt"
if "$distill" experts --data /nonexistent --out "$work/x" 2> "$work/err.txt"; then exit 1; fi
test "$(grep -c . "$work/err.txt")" -eq 1
echo "cli end-to-end: ok"
