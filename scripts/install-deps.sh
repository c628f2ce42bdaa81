#!/usr/bin/env bash
# Installs the Debian packages distill builds with (run as root on Debian 12).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  build-essential cmake libeigen3-dev catch2 libbenchmark-dev libcli11-dev \
  nlohmann-json3-dev libstb-dev zlib1g-dev python3-numpy
