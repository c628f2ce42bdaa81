#!/usr/bin/env bash
# Installs the Debian packages distill builds and tests with (run as root on Debian 12);
# chromium is only for the test that opens the run reports in a browser (report.browser); ninja
# for the GPU check's `cuda` preset (scripts/gpu-check.sh, whose --no-gpu mode the tests run);
# OpenMPI for runs across ranks (distill::mpi) and their test (mpi.end_to_end).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  build-essential cmake ninja-build libeigen3-dev catch2 libbenchmark-dev libcli11-dev \
  nlohmann-json3-dev libstb-dev zlib1g-dev python3-numpy chromium libopenmpi-dev openmpi-bin
