#!/usr/bin/env bash
# The CUDA tests are skipped exactly when there is no device, and the skip says why.
# usage: skip_path.sh DISTILL_CUDA_TESTS DISTILL_CUDA_HOST_TESTS SKIP_CODE
set -u
tests=$1 host=$2 skip=$3
count=$("$host" "[probe]" 2>&1 | sed -n 's/.*cuda devices: \([0-9][0-9]*\).*/\1/p' | head -n1)
if [ -z "$count" ]; then echo "skip_path: the probe printed no device count"; exit 1; fi
out=$("$tests" --list-test-names-only 2>&1); rc=$?
if [ "$count" = 0 ]; then
  if [ "$rc" != "$skip" ]; then echo "skip_path: no device, but distill_cuda_tests exited $rc, not $skip"; exit 1; fi
  if ! grep -q "not run" <<<"$out"; then echo "skip_path: the skip does not say 'not run': $out"; exit 1; fi
  echo "skip_path: no CUDA device; distill_cuda_tests says: $out"
else
  if [ "$rc" != 0 ]; then echo "skip_path: $count device(s), but listing the tests exited $rc: $out"; exit 1; fi
  echo "skip_path: $count CUDA device(s); the CUDA tests run"
fi
