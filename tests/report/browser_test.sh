#!/usr/bin/env bash
# The reports in a real browser: a tiny distillation from a generated image folder (experts,
# two runs, a cross-architecture evaluation, a comparison page), then every page opened in
# headless Chromium (browser_check.py). Without Chromium the test is skipped (exit 77, which
# CTest reports as skipped), never passed.
set -euo pipefail
distill=$1
here=$(cd "$(dirname "$0")" && pwd)
chromium=${DISTILL_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$chromium" ]; then
  echo "SKIPPED: no chromium on PATH (Debian: apt-get install chromium); the report pages were not opened in a browser"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$here/../cli/make_tiny_folder.py" "$work/folder"
common=(--dataset folder --data "$work/folder" --threads 2)
"$distill" experts "${common[@]}" --image-size 16 --out "$work/experts" --experts 2 --epochs 3 --width 16 \
  > "$work/experts.txt" 2>&1
test -s "$work/experts/report.html"
run=(--experts "$work/experts" --data "$work/folder" --ipc 2 --eval-every 2 --eval-runs 1 --eval-epochs 5
     --final-eval-runs 2 --checkpoint-every 2 --threads 2)
"$distill" run --method datm "${run[@]}" --iterations 6 --syn-steps 3 --set max_start_epoch=2 \
  --set min_start_epoch=0 --set current_max_start_epoch=1 --set expansion_end_epoch=2 --out "$work/runs/datm" \
  > "$work/datm.txt" 2>&1
"$distill" run --method tgdd "${run[@]}" --iterations 4 --set batch_real=8 --set stage_region=2 \
  --out "$work/runs/tgdd" > "$work/tgdd.txt" 2>&1
"$distill" evaluate --data "$work/folder" --synthetic "$work/runs/tgdd/synthetic.safetensors" --runs 2 --epochs 5 \
  --arch ConvNetW16,ConvNetW16BN > "$work/eval.txt" 2>&1
grep -q "ConvNetW16BN" "$work/runs/tgdd/report.html"
"$distill" report "$work/runs/datm" "$work/runs/tgdd" --out "$work/compare.html" > /dev/null
shots=${DISTILL_REPORT_SHOTS:-$work/shots}
# page:grids:charts — the least a page must show: experts draw 4 curves, a run its grid and
# 4 curves, the comparison both runs' grids and the 4 overlaid curves.
python3 "$here/browser_check.py" "$chromium" "$shots" "$work/experts/report.html:0:4" \
  "$work/runs/datm/report.html:1:4" "$work/runs/tgdd/report.html:1:4" "$work/compare.html:2:4"
