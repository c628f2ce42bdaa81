#!/usr/bin/env bash
# Builds and runs the CUDA code on a GPU machine in one short call, in this order: the CUDA
# tests (CTest label `cuda`, exactly), compute-sanitizer memcheck on two small test groups,
# `distill bench train --device cuda`, `distill bench tm` on the GPU at the workloads of the GPU
# issue (CIFAR-10 IPC 1, 10, 50 and CIFAR-100 IPC 10, 50) with the CPU beside it at CIFAR-10
# IPC 1 and 10, `distill bench dm` for DM and TGDD at IPC 10 and 50, and last a filtered set of
# the kernel benchmarks. It prints its time plan first and each phase's time at the end.
#
# Where it runs: THERE, on the bare GPU machine that the device tool lends (one H200, 16 cores,
# nvcc, CMake, ninja and gcc; no Debian packages and no network). The header libraries and
# Google Benchmark come from .gpu-deps/root, which scripts/gpu-deps.sh fills on the
# development machine and the device tool carries over. Nothing is downloaded here.
#
# How to call it: first, here, `bash scripts/gpu-deps.sh`; then give the device tool
#     carry: [".gpu-deps"]      command: bash scripts/gpu-check.sh      timeout_s: 600
# It runs from the repository root (it cds there itself). Logs go to $OUT (the folder whose
# files the device tool brings back), or to build-gpu/out when $OUT is unset; at most these 8
# files, the device tool's limit: env.txt configure.log build.log ctest.log
# bench_cuda_kernels.txt bench_cuda_kernels.json bench_cli.txt summary.txt.
#
# It fails (exit 1; 2 when the machine is unfit) unless every phase succeeds, and a CUDA test
# that reports Not Run / Skipped counts as a failure: a GPU is present, so every CUDA test must
# really run (a skipped GPU test that reads as green is the failure mode this guards against).
# The whole script keeps within GPU_CHECK_BUDGET_S (540 s), each phase under its own timeout as
# well, so the device call ends inside its 10-minute limit with time left to read the logs.
# A rerun on a still-warm machine reuses build-gpu/ and builds incrementally.
#
# `--no-gpu` runs every phase up to the first GPU call and stops there, on any machine with nvcc
# and cuDNN: the preflight (without requiring a GPU, and with this machine's own packages where
# .gpu-deps is absent), the configure of the `cuda` preset, the build as a dry run (what it would
# compile), the CUDA tests it would select (`ctest -N`), and the command of each GPU phase; exit 0
# when all of that worked. The test suite runs it on every change (test gpu_check.no_gpu), so the
# script cannot rot between GPU sessions.
#
# Overrides (environment): GPU_CHECK_BUDGET_S, GPU_CHECK_JOBS (16), GPU_CHECK_CUDA_ARCH (the
# GPU's compute capability, else 90), GPU_CHECK_BUILD_DIR (build-gpu), GPU_CHECK_CTEST_JOBS (4),
# GPU_CHECK_BENCH_FILTER (the kernel benchmarks run; a Google Benchmark regular expression).
set -euo pipefail

no_gpu=0
for arg in "$@"; do
  case $arg in
    --no-gpu) no_gpu=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
      exit 0 ;;
    *) echo "gpu-check: unknown argument '$arg' (--no-gpu, --help)" >&2; exit 2 ;;
  esac
done

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

build_dir=${GPU_CHECK_BUILD_DIR:-$repo_root/build-gpu}
out_dir=${OUT:-$build_dir/out}
deps_root=$repo_root/.gpu-deps/root
jobs=${GPU_CHECK_JOBS:-16}
cuda_arch=${GPU_CHECK_CUDA_ARCH:-}  # the preflight reads the GPU's; 90 where it finds none
# The kernel benchmarks at batch 100 (55 of 223: every convolution policy and pass, the norm
# kernels, the H·v step on the GPU) and the SGEMM rate their fractions are taken against.
bench_filter=${GPU_CHECK_BENCH_FILTER:-'^sgemm_4096/|^(conv_|instance_norm_|hvp_step/convnet3/cuda/).*/batch:100(/|$)'}
# CUDA processes on one GPU share it by time slicing; a few at once hide each one's context
# start-up (cuBLAS/cuDNN initialisation) without much contention.
ctest_jobs=${GPU_CHECK_CTEST_JOBS:-4}

# The wall-clock budget: each phase gets its own limit, clamped to what is left of the whole,
# less a reserve for timeout's --kill-after grace and the summary. The limits add up to the
# budget, 9 minutes, so the device call (10 at most) ends with time to read what came back.
budget_s=${GPU_CHECK_BUDGET_S:-540}
reserve_s=15
limit_configure=60
limit_build=240
limit_ctest=60
limit_sanitizer=45
limit_cli=90
limit_bench=30
deadline=$((SECONDS + budget_s))

# The plan, printed first: what each phase may take, and in what order they run. The CLI's
# benchmarks (the figures the GPU issue asks for) come before the kernel benchmarks, so a slow
# kernel set cannot starve them.
print_plan() {
  local total=$((limit_configure + limit_build + limit_ctest + limit_sanitizer + limit_cli + limit_bench + reserve_s))
  echo "gpu-check: plan (seconds at most; budget ${budget_s} s):"
  printf '  %-13s %4s  %s\n' preflight "-" "nvidia-smi, nvcc and a host-compiler probe, cuDNN, the carried packages" \
    configure "$limit_configure" "cmake --preset cuda (Ninja, the GPU's architecture)" \
    build "$limit_build" "${targets[*]}" \
    ctest "$limit_ctest" "ctest -L '^cuda\$': the GPU-against-CPU tests, none skipped" \
    sanitizer "$limit_sanitizer" "compute-sanitizer memcheck on the [backend] and [losses] groups" \
    bench_cli "$limit_cli" "distill bench train, tm, dm on the GPU (CPU beside it at the small sizes)" \
    bench_kernels "$limit_bench" "bench_cuda_kernels --benchmark_filter='$bench_filter'" \
    reserve "$reserve_s" "timeouts' grace and the summary"
  echo "  total         $total"
}

# The targets, by CMake target name: the CLI's target is distill_cli (its program is named
# `distill`); the target `distill` is the header-only INTERFACE library and builds nothing.
targets=(distill_cuda_tests bench_cuda_kernels distill_cli)

mkdir -p "$out_dir"
env_log=$out_dir/env.txt
configure_log=$out_dir/configure.log
build_log=$out_dir/build.log
ctest_log=$out_dir/ctest.log
bench_txt=$out_dir/bench_cuda_kernels.txt
bench_json=$out_dir/bench_cuda_kernels.json
cli_txt=$out_dir/bench_cli.txt
summary=$out_dir/summary.txt
# Only our own files: $OUT may be a folder the caller owns.
rm -f "$env_log" "$configure_log" "$build_log" "$ctest_log" "$bench_txt" "$bench_json" \
      "$cli_txt" "$summary"

phase_names=()
phase_results=()
phase_seconds=()
phase_logs=()
phase_started=0
timed_out=()
failed=0
unfit=0
configured=0
build_ran_ok=0  # the build command succeeded (for the targets the CMake files define)
built=0         # ... and all three targets exist
gpu_line="unknown"
tests_line="not run"
notrun_names=""
failed_names=""
bench_line="not run"
cli_line="not run"

record() {  # record NAME RESULT SECONDS LOG
  phase_names+=("$1")
  phase_results+=("$2")
  phase_seconds+=("$3")
  phase_logs+=("$4")
  [[ $2 == ok ]] || failed=1
  printf 'gpu-check: %-13s %s (%s s)\n' "$1" "$2" "$3"
}

# The device tool brings back files of at most 16 MiB: keep the head and the tail of a log
# that grew past 12 MiB (a flood of warnings), where the first error and the end are.
cap_log() {
  local f=$1 max=$((12 * 1024 * 1024))
  [[ -f $f ]] || return 0
  if (($(stat -c %s "$f") > max)); then
    { head -c $((2 * 1024 * 1024)) "$f"
      printf '\n\n[gpu-check: log cut here, it was %s bytes]\n\n' "$(stat -c %s "$f")"
      tail -c $((8 * 1024 * 1024)) "$f"; } >"$f.cut"
    mv "$f.cut" "$f"
  fi
}

# run_phase NAME LIMIT_S LOG CMD...: runs CMD under timeout with its output appended to LOG;
# returns 0 when it succeeded.
run_phase() {
  local name=$1 limit=$2 log=$3
  shift 3
  local left=$((deadline - SECONDS - reserve_s))
  phase_started=0
  if ((left < 5)); then
    echo "gpu-check: $name not started: the ${budget_s} s budget is spent" >>"$log"
    record "$name" "SKIPPED (the ${budget_s} s budget is spent)" 0 "$log"
    timed_out+=("$name (not started)")
    return 1
  fi
  ((limit <= left)) || limit=$left
  echo "gpu-check: $name: limit ${limit} s: $*" >>"$log"
  phase_started=1
  local start=$SECONDS rc=0
  # timeout signals the command's whole process group (ninja, nvcc, cc1plus alike).
  timeout --kill-after=10 "$limit" "$@" >>"$log" 2>&1 || rc=$?
  local took=$((SECONDS - start))
  cap_log "$log"
  if ((rc == 124 || rc == 137)); then
    echo "gpu-check: $name TIMED OUT after ${limit} s (exit $rc)" >>"$log"
    record "$name" "TIMEOUT after ${limit} s" "$took" "$log"
    timed_out+=("$name")
    return 1
  elif ((rc != 0)); then
    record "$name" "FAILED (exit $rc)" "$took" "$log"
    return 1
  fi
  record "$name" ok "$took" "$log"
}

write_summary() {
  local verdict=PASS
  ((failed == 0)) || verdict=FAIL
  {
    echo "gpu-check: $verdict   ($(date -u '+%Y-%m-%d %H:%M:%S UTC'), ${SECONDS} s of a ${budget_s} s budget)"
    echo "machine: $gpu_line"
    echo
    printf '%-13s %-40s %7s  %s\n' phase result seconds log
    local i
    for i in "${!phase_names[@]}"; do
      printf '%-13s %-40s %7s  %s\n' "${phase_names[$i]}" "${phase_results[$i]}" \
             "${phase_seconds[$i]}" "$(basename "${phase_logs[$i]}")"
    done
    echo
    [[ -z $build_line ]] || echo "build: $build_line"
    echo "cuda tests (ctest -L '^cuda$'): $tests_line"
    [[ -z $notrun_names ]] || printf 'not run (each counts as a failure: a GPU is present):\n%s\n' "$notrun_names"
    [[ -z $failed_names ]] || printf 'failed:\n%s\n' "$failed_names"
    echo "bench_cuda_kernels: $bench_line"
    echo "distill bench train and tm:"
    echo "$cli_line"
    if ((${#timed_out[@]})); then
      echo "timed out: ${timed_out[*]}"
    else
      echo "timed out: none"
    fi
    [[ -z $would_run ]] || printf '\n%s\n' "$would_run"
  } >"$summary"
  echo
  cat "$summary"
}

would_run=""
build_line=""
err_line=""
finish() {
  local rc=$?
  trap - EXIT
  # An error outside the phases (a bug here, a full disk) still leaves a summary behind.
  if ((rc != 0 && failed == 0)); then
    record script "FAILED (exit $rc${err_line:+ at line $err_line})" 0 "$summary"
  fi
  write_summary || true
  if ((unfit)); then exit 2; fi
  if ((failed)); then exit 1; fi
  exit 0
}
trap 'err_line=$LINENO' ERR
trap finish EXIT

# ---------------------------------------------------------------------------------------------
# Preflight: refuse to report anything from a machine without a GPU or without the carried
# packages; record the toolchain.
preflight() {
  local problems=()
  echo "== $(date -u '+%Y-%m-%d %H:%M:%S UTC') $(uname -srm)"
  echo "os: $(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-?}")  cores: $(nproc)"
  echo "repo: $repo_root  build: $build_dir  out: $out_dir"
  echo "head: $(git -C "$repo_root" log -1 --format='%h %s' 2>/dev/null || echo '(no git)')"
  echo

  echo "== nvidia-smi"
  local smi="" smi_rc=0
  if command -v nvidia-smi >/dev/null; then
    smi=$(nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap \
                     --format=csv,noheader 2>&1) || smi_rc=$?
    if ((smi_rc != 0)); then
      # Drivers before 510 know no compute_cap field; ask without it before giving up.
      smi_rc=0
      smi=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1) ||
        smi_rc=$?
    fi
    echo "$smi"
    if ((smi_rc != 0)) || ! grep -q '[^[:space:]]' <<<"$smi"; then
      if ((no_gpu)); then
        echo "no GPU (nvidia-smi exit $smi_rc): --no-gpu, so that is expected"
        gpu_line="no GPU (--no-gpu)"
      else
        problems+=("nvidia-smi finds no GPU (exit $smi_rc): not a GPU machine")
      fi
    else
      local first
      first=$(head -n 1 <<<"$smi")
      gpu_line="$first"
      local cap
      cap=$(awk -F', *' 'NR == 1 {print $4}' <<<"$smi")
      if [[ -z $cuda_arch && $cap =~ ^[0-9]+\.[0-9]+$ ]]; then
        cuda_arch=${cap/./}
      elif [[ -n $cap && ${cap/./} != "$cuda_arch" ]]; then
        echo "warning: the GPU's compute capability is $cap, the build targets sm_$cuda_arch" \
             "(GPU_CHECK_CUDA_ARCH)"
      fi
    fi
  elif ((no_gpu)); then
    echo "(not found: --no-gpu, so that is expected)"
    gpu_line="no GPU (--no-gpu)"
  else
    echo "(not found)"
    problems+=("no nvidia-smi on the PATH: not a GPU machine")
  fi
  [[ -n $cuda_arch ]] || cuda_arch=90
  echo "building for sm_$cuda_arch"
  echo

  echo "== nvcc"
  nvcc_bin=$(command -v nvcc || true)
  [[ -n $nvcc_bin || ! -x /usr/local/cuda/bin/nvcc ]] || nvcc_bin=/usr/local/cuda/bin/nvcc
  if [[ -n $nvcc_bin ]]; then
    # nvcc on the PATH may be a wrapper script elsewhere (/usr/local/bin/nvcc exec'ing the
    # toolkit's): the toolkit is where nvcc itself says it is (its TOP), as CMake finds it.
    local top
    top=$("$nvcc_bin" -dryrun -E -x cu /dev/null 2>&1 | sed -nE 's/^#\$ TOP=(.*)$/\1/p' | head -n 1)
    [[ -n $top && -d $top ]] || top=$(dirname "$nvcc_bin")/..
    cuda_root=$(cd "$top" && pwd -P)
    echo "$nvcc_bin (toolkit $cuda_root)"
    "$nvcc_bin" --version || problems+=("$nvcc_bin --version failed")
    local cublas=("$cuda_root"/lib64/libcublas.so*)
    [[ -e ${cublas[0]} ]] && echo "cuBLAS: ${cublas[*]}" || echo "no libcublas.so in $cuda_root/lib64"
  else
    problems+=("no nvcc on the PATH nor at /usr/local/cuda/bin/nvcc")
  fi
  # nvcc refuses a host compiler newer than its release supports: find that out in two
  # seconds here, not two minutes into the build.
  if [[ -n $nvcc_bin ]]; then
    local probe_dir
    probe_dir=$(mktemp -d)
    printf '__global__ void k(float* x) { x[threadIdx.x] = 1.0f; }\n' >"$probe_dir/probe.cu"
    local probe
    if probe=$("$nvcc_bin" -c "$probe_dir/probe.cu" -o "$probe_dir/probe.o" 2>&1); then
      echo "host compiler: nvcc compiles with $(gcc -dumpfullversion 2>/dev/null || echo '?')"
    else
      problems+=("nvcc cannot compile with this host compiler (gcc $(gcc -dumpfullversion 2>/dev/null || echo '?')): $(grep -m 1 -iE 'error|unsupported' <<<"$probe" | cut -c1-200)")
    fi
    rm -rf "$probe_dir"
  fi
  echo

  echo "== cmake, ctest, ninja, gcc"
  local tool
  for tool in cmake ctest; do
    if command -v "$tool" >/dev/null; then
      echo "$(command -v "$tool"): $("$tool" --version | head -n 1)"
    else
      problems+=("no $tool on the PATH")
    fi
  done
  if command -v ninja >/dev/null; then
    echo "$(command -v ninja): ninja $(ninja --version)"
  else
    echo "no ninja: Unix Makefiles"
  fi
  for tool in gcc g++; do
    if command -v "$tool" >/dev/null; then
      echo "$(command -v "$tool"): $("$tool" --version | head -n 1)"
    else
      problems+=("no $tool on the PATH")
    fi
  done
  echo

  echo "== .gpu-deps/root (from scripts/gpu-deps.sh)"
  use_deps=1
  if [[ ! -d $deps_root/usr ]] && ((no_gpu)); then
    use_deps=0
    echo "absent: --no-gpu uses this machine's own packages"
  elif [[ ! -d $deps_root/usr ]]; then
    problems+=(".gpu-deps/root is missing: run scripts/gpu-deps.sh on the development machine and carry .gpu-deps")
  else
    du -sh "$deps_root" | cut -f1
    local arch_dirs=("$deps_root"/usr/lib/*-linux-gnu)
    arch_dir=$(basename "${arch_dirs[0]}")
    local f
    for f in usr/share/eigen3/cmake/Eigen3Config.cmake usr/lib/cmake/Catch2/Catch2Config.cmake \
             "usr/lib/$arch_dir/cmake/benchmark/benchmarkConfig.cmake" \
             usr/share/cmake/nlohmann_json/nlohmann_jsonConfig.cmake \
             usr/share/cmake/CLI11/CLI11Config.cmake usr/include/stb/stb_image_write.h \
             usr/include/zlib.h "usr/lib/$arch_dir/libz.a"; do
      [[ -e $deps_root/$f ]] || problems+=(".gpu-deps/root lacks $f: rerun scripts/gpu-deps.sh")
    done
    # Debian 12's libbenchmark needs GLIBCXX_3.4.30 (gcc 12's libstdc++) or newer here.
    local lib
    for lib in "$deps_root/usr/lib/$arch_dir"/libbenchmark.so.*.*; do
      [[ -e $lib ]] || continue
      echo "ldd $(basename "$lib"):"
      local deps
      deps=$(ldd "$lib" 2>&1 || true)
      echo "  ${deps//$'\n'/$'\n'  }"
      # Only the kernel benchmarks link it, so this is a warning, not a reason to stop.
      if grep -q 'not found' <<<"$deps"; then
        echo "warning: this machine's libraries are older than $(basename "$lib") needs:" \
             "bench_cuda_kernels will not link or start"
      fi
    done
  fi
  echo

  # cuDNN: in the toolkit's folders, or else only in the Python packages of the image
  # (nvidia-cudnn-cu13, which PyTorch uses). Those ship libcudnn.so.9 without the unversioned
  # libcudnn.so that find_library wants, so a small folder of links stands in as a prefix.
  echo "== cuDNN"
  cudnn_prefix=""
  cudnn_libdir=""
  local d
  for d in "${cuda_root:-/usr/local/cuda}" /usr /usr/local; do
    if [[ -f $d/include/cudnn.h ]]; then
      cudnn_prefix=$d
      break
    fi
  done
  if [[ -z $cudnn_prefix ]] && [[ -f /usr/include/x86_64-linux-gnu/cudnn.h ]]; then
    cudnn_prefix=/usr
  fi
  if [[ -n $cudnn_prefix ]]; then
    echo "cudnn.h in $cudnn_prefix"
  else
    # The headers come with the nvidia-cudnn wheel; its libraries are in the wheel's lib/ or,
    # for a PyTorch that bundles its own, in torch/lib.
    local wheel="" torch_lib="" libdir=""
    if command -v python3 >/dev/null; then
      wheel=$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null || true)
      torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' \
                  2>/dev/null || true)
    fi
    local candidates=("${wheel:+$wheel/lib}" "$torch_lib")
    for d in "${candidates[@]}"; do
      if [[ -n $d ]] && compgen -G "$d/libcudnn.so.*" >/dev/null; then
        libdir=$d
        break
      fi
    done
    if [[ -n $wheel && -f $wheel/include/cudnn.h && -n $libdir ]]; then
      local shim=$build_dir/cudnn-prefix
      rm -rf "$shim"
      mkdir -p "$shim/lib"
      ln -s "$wheel/include" "$shim/include"
      for f in "$libdir"/libcudnn*.so.*; do
        [[ -e $f ]] || continue
        ln -sf "$f" "$shim/lib/$(basename "$f")"
        ln -sf "$f" "$shim/lib/$(basename "$f" | sed 's/\.so\..*/.so/')"
      done
      cudnn_prefix=$shim
      cudnn_libdir=$libdir
      echo "cudnn.h in the Python package $wheel, libraries in $libdir: prefix of links $shim"
      # A wheel built for another CUDA major (nvidia-cudnn-cu12 beside nvcc 13) links and then
      # fails at its first call: refuse it here.
      local wheel_major nvcc_major
      wheel_major=$(python3 -c 'import importlib.metadata as m
print(next((d.metadata["Name"] for d in m.distributions() if (d.metadata["Name"] or "").lower().startswith("nvidia-cudnn-cu")), ""))' \
                    2>/dev/null | sed -nE 's/.*-cu([0-9]+)$/\1/p')
      nvcc_major=$("$nvcc_bin" --version 2>/dev/null | sed -nE 's/.*release ([0-9]+)\..*/\1/p')
      if [[ -n $wheel_major && -n $nvcc_major && $wheel_major != "$nvcc_major" ]]; then
        problems+=("the cuDNN wheel is for CUDA $wheel_major, nvcc is CUDA $nvcc_major")
      fi
    else
      problems+=("no cuDNN: no cudnn.h in the toolkit, /usr or the nvidia-cudnn wheel, or no libcudnn.so.* beside it or in torch/lib")
    fi
  fi
  if [[ -n $cudnn_prefix && -f $cudnn_prefix/include/cudnn_version.h ]]; then
    grep -E '#define CUDNN_(MAJOR|MINOR|PATCHLEVEL) ' "$cudnn_prefix/include/cudnn_version.h" || true
  fi

  if ((${#problems[@]})); then
    echo
    local p
    for p in "${problems[@]}"; do
      echo "UNFIT: $p"
    done
    return 1
  fi
}

print_plan
echo "gpu-check: preflight -> $env_log"
preflight_start=$SECONDS
nvcc_bin=""
cuda_root=""
arch_dir=x86_64-linux-gnu
# Not through a pipe: preflight sets variables (nvcc_bin, cuda_root, ...) that later phases use.
if preflight >"$env_log" 2>&1; then
  cat "$env_log"
  record preflight ok $((SECONDS - preflight_start)) "$env_log"
else
  cat "$env_log"
  unfit=1
  record preflight "FAILED (machine unfit)" $((SECONDS - preflight_start)) "$env_log"
  exit 2
fi
gpu_line="$gpu_line; $("$nvcc_bin" --version | grep -o 'release [0-9.]*' | head -n 1);"
gpu_line+=" cmake $(cmake --version | head -n 1 | awk '{print $3}'); gcc $(gcc -dumpfullversion)"

# ---------------------------------------------------------------------------------------------
# Configure: every find_package resolves to the carried Debian packages, by <Pkg>_DIR so no
# copy elsewhere on the machine (a Python package's CMake files, say) is picked up instead.
# The config files of these packages locate their headers relative to themselves (checked:
# Eigen3Config.cmake uses PACKAGE_PREFIX_DIR, the Targets files _IMPORT_PREFIX; the "/usr move"
# branches only apply when the file really sits in /usr), so no patching is needed.
usr=$deps_root/usr
generator=()  # the preset's Ninja
keep_going=(-k 0)
if ! command -v ninja >/dev/null; then
  generator=(-G "Unix Makefiles")
  keep_going=(-k)
fi
# A build folder left by another generator cannot be reconfigured: drop its cache, not its
# contents ($OUT may default to a folder inside it).
if [[ -f $build_dir/CMakeCache.txt ]] &&
   ! grep -qx "CMAKE_GENERATOR:INTERNAL=${generator[1]:-Ninja}" "$build_dir/CMakeCache.txt"; then
  rm -rf "$build_dir/CMakeCache.txt" "$build_dir/CMakeFiles"
fi
prefix_path="$cuda_root"
((use_deps == 0)) || prefix_path="$usr;$prefix_path"
[[ -z $cudnn_prefix ]] || prefix_path+=";$cudnn_prefix"
# The `cuda` preset (CMakePresets.json: Release, CUDA on, tests, examples and benchmarks, Ninja)
# with this machine's architecture, toolkit and packages.
configure_args=(
  --preset cuda -S "$repo_root" -B "$build_dir" "${generator[@]}"
  -DCMAKE_CUDA_ARCHITECTURES="$cuda_arch"
  -DCMAKE_CUDA_COMPILER="$nvcc_bin"
  -DCUDAToolkit_ROOT="$cuda_root"
  -DCMAKE_PREFIX_PATH="$prefix_path"
)
if ((use_deps)); then
  configure_args+=(
    -DEigen3_DIR="$usr/share/eigen3/cmake"
    -DCatch2_DIR="$usr/lib/cmake/Catch2"
    -Dbenchmark_DIR="$usr/lib/$arch_dir/cmake/benchmark"
    -Dnlohmann_json_DIR="$usr/share/cmake/nlohmann_json"
    -DCLI11_DIR="$usr/share/cmake/CLI11"
    # zlib: the carried headers with the carried static library, whether or not the machine
    # has a zlib of its own (a header of one version with a library of another is avoided).
    -DZLIB_INCLUDE_DIR="$usr/include"
    -DZLIB_LIBRARY="$usr/lib/$arch_dir/libz.a"
    # stb has no CMake package: png.hpp includes <stb/stb_image_write.h> from the include
    # path. -isystem, as /usr/include would be, keeps -Wall -Wextra off these headers.
    -DCMAKE_CXX_FLAGS="-isystem $usr/include"
    -DCMAKE_CUDA_FLAGS="-isystem $usr/include"
    # Debian's Targets files declare cmake_policy(VERSION 2.8.3...3.22); CMake 4 refuses a
    # policy floor under 3.5 unless told otherwise (older CMake ignores the variable).
    -DCMAKE_POLICY_VERSION_MINIMUM=3.5
  )
fi
# cmake/FindDistillCudnn.cmake looks beside the toolkit and on CMAKE_PREFIX_PATH; where cuDNN
# is only the Python package's, name its files outright (the cache variables it sets).
if [[ -n $cudnn_libdir ]]; then
  configure_args+=(-DDISTILL_CUDNN_INCLUDE_DIR="$cudnn_prefix/include"
                   -DDISTILL_CUDNN_LIBRARY="$cudnn_prefix/lib/libcudnn.so")
fi
if run_phase configure "$limit_configure" "$configure_log" cmake "${configure_args[@]}"; then
  configured=1
else
  tail -n 30 "$configure_log" | cut -c1-300 >&2
fi

# The programs link the carried libbenchmark through their RPATH; the search path is a second
# route, and the one the Python package's cuDNN needs for the libraries it opens at run time
# (catch_discover_tests already runs the test program during the build).
if ((use_deps)); then
  export LD_LIBRARY_PATH="$usr/lib/$arch_dir${cudnn_libdir:+:$cudnn_libdir}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
elif [[ -n $cudnn_libdir ]]; then
  export LD_LIBRARY_PATH="$cudnn_libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi

# ---------------------------------------------------------------------------------------------
# --no-gpu: the build as a dry run, the tests it would select, and the GPU phases' commands;
# then stop, before anything touches a GPU.
if ((no_gpu)); then
  if ((configured)); then
    # Every command that building the three targets takes: ninja lists them without running
    # any. (Make's dry run stops at the first object of another directory that does not exist
    # yet, so without ninja the phase only checks that the targets are defined.)
    if [[ -z ${generator[*]} ]]; then
      run_phase build "$limit_build" "$build_log" ninja -C "$build_dir" -t commands "${targets[@]}" || true
      build_line="would compile $(grep -cE '(nvcc|c\+\+|g\+\+)( |$).* -c ' "$build_log" || true) objects for ${targets[*]}"
    else
      has_targets() {  # has_targets BUILD_DIR TARGET...: each is a target of the build
        local known t rc=0
        known=$(cmake --build "$1" --target help)
        shift
        for t; do grep -qE "^\.\.\. $t( |\$)" <<<"$known" && echo "target $t: defined" ||
                    { echo "no target $t"; rc=1; }; done
        return $rc
      }
      export -f has_targets
      run_phase build "$limit_build" "$build_log" bash -c 'has_targets "$@"' has_targets "$build_dir" "${targets[@]}" || true
      build_line="${targets[*]} are defined (no ninja: no list of commands)"
    fi
    if run_phase ctest "$limit_ctest" "$ctest_log" ctest --test-dir "$build_dir" -N -L '^cuda$'; then
      tests_line="would run $(grep -oE 'Total Tests: [0-9]+' "$ctest_log" | grep -oE '[0-9]+'):"
      tests_line+=$'\n'$(grep -E '^ +Test +#' "$ctest_log" | sed -E 's/^ +Test +#[0-9]+: /  /')
      grep -q 'Total Tests: [1-9]' "$ctest_log" || { phase_results[-1]="FAILED (no test labelled cuda)"; failed=1; }
    fi
  fi
  would_run="gpu-check: --no-gpu: stopped before the first GPU call. With a GPU it would run:
  ctest --test-dir $build_dir -L '^cuda\$' --output-on-failure --no-tests=error --timeout 60 -j $ctest_jobs
  compute-sanitizer --tool memcheck --error-exitcode 1 $build_dir/bin/distill_cuda_tests '[backend]' (then '[losses]')
  bench_cli $build_dir/bin/distill   (distill bench train, tm and dm: the list in bench_cli)
  $build_dir/bin/bench_cuda_kernels --benchmark_filter='$bench_filter' --benchmark_min_time=0.05"
  bench_line="not run (--no-gpu)"
  cli_line="not run (--no-gpu)"
  exit 0  # finish (the EXIT trap) writes the summary; a failed phase makes it exit 1
fi

# ---------------------------------------------------------------------------------------------
# Build the three targets; keep going past a failing target so the others still build and run.
# A target the CMake files do not define is left out of the build command (ninja would stop at
# once on an unknown target, building none) and fails the phase.
build_marker=$build_dir/.gpu-check-build-start
build_targets=()
if ((configured)); then
  known=$(cmake --build "$build_dir" --target help 2>/dev/null || true)
  missing_targets=()
  for t in "${targets[@]}"; do
    # Ninja lists "name: phony", Make "... name".
    if grep -qE "^(\.\.\. )?$t(:|\s|\$)" <<<"$known"; then
      build_targets+=("$t")
    else
      missing_targets+=("$t")
      echo "gpu-check: the CMake files define no target $t" >>"$build_log"
    fi
  done
  touch "$build_marker"
  if ((${#build_targets[@]})) &&
     run_phase build "$limit_build" "$build_log" \
       cmake --build "$build_dir" -j "$jobs" --target "${build_targets[@]}" -- "${keep_going[@]}"; then
    build_ran_ok=1
    built=1
  fi
  if ((${#missing_targets[@]})); then
    built=0
    if ((${#build_targets[@]})); then
      phase_results[-1]="FAILED (no target ${missing_targets[*]})"
      echo "gpu-check: build counted as FAILED: no target ${missing_targets[*]}"
    else
      record build "FAILED (no target ${missing_targets[*]})" 0 "$build_log"
    fi
    failed=1
  fi
  # Point at the first errors in the device tool's output tail too.
  ((built)) || grep -m 15 -E 'error|Error|FAILED|no target' "$build_log" | cut -c1-300 >&2 || true
else
  record build "SKIPPED (configure failed)" 0 "$build_log"
fi

# A program is run when this build produced it or found it up to date (a failed build can
# leave an older one behind on a warm machine: that is not run, it would report on other code).
fresh() {  # fresh TARGET PROGRAM
  [[ " ${build_targets[*]:-} " == *" $1 "* && -x $2 ]] &&
    { ((build_ran_ok)) || [[ $2 -nt $build_marker ]]; }
}

# ---------------------------------------------------------------------------------------------
# CUDA tests, the label `cuda` exactly (`-L cuda` is a regular expression that would also take
# the `cuda-host` tests). --no-tests=error: no test with the label is itself a failure. Each test's line
# is counted by its result; Skipped / Not Run (SKIP_RETURN_CODE: the test saw no GPU; or its
# program is missing) is a failure here.
if ((configured)); then
  ctest_ok=0
  if run_phase ctest "$limit_ctest" "$ctest_log" \
       ctest --test-dir "$build_dir" -L '^cuda$' --output-on-failure --no-tests=error \
             --timeout 60 -j "$ctest_jobs"; then
    ctest_ok=1
  fi
fi
if ((configured && phase_started)); then
  result_re='^ *[0-9]+/[0-9]+ +Test +#[0-9]+: '
  total=$(grep -cE "$result_re" "$ctest_log" || true)
  passed=$(grep -cE "$result_re.* Passed +[0-9.]+ sec" "$ctest_log" || true)
  not_run=$(grep -cE "$result_re.*\*\*\*(Skipped|Not Run)" "$ctest_log" || true)
  failed_tests=$((total - passed - not_run))
  tests_line="total $total, passed $passed, failed $failed_tests, not run $not_run"
  # "  3/12 Test  #3: cuda.norm forward ......***Skipped   0.01 sec" -> "  cuda.norm forward (Skipped)"
  name_status='s/^ *[0-9]+\/[0-9]+ +Test +#[0-9]+: (.*[^ .]) *\.* *\*\*\*(.*[^ ]) +[0-9.]+ sec.*$/  \1 (\2)/'
  notrun_names=$(grep -E "$result_re.*\*\*\*(Skipped|Not Run)" "$ctest_log" | sed -E "$name_status" || true)
  failed_names=$(grep -E "$result_re" "$ctest_log" | grep -vE ' Passed +[0-9.]+ sec|\*\*\*(Skipped|Not Run)' |
                 sed -E "$name_status" || true)
  # ctest exits 0 with skipped tests: override its verdict.
  if ((ctest_ok)) && ((total == 0 || not_run > 0 || failed_tests > 0)); then
    if ((total == 0)); then
      phase_results[-1]="FAILED (no test labelled cuda)"
    else
      phase_results[-1]="FAILED ($not_run not run, $failed_tests failed)"
    fi
    failed=1
    echo "gpu-check: ctest counted as FAILED: $tests_line" | tee -a "$ctest_log"
  fi
  ((built)) || tests_line+=" (the build failed: some tests may be missing or from an earlier build)"
elif ((configured)); then
  tests_line="not run (the time budget was spent)"
else
  record ctest "SKIPPED (configure failed)" 0 "$ctest_log"
fi

# ---------------------------------------------------------------------------------------------
# compute-sanitizer memcheck on two small test groups: out-of-bounds and misaligned device
# accesses that a parity test can pass through. Its output goes to ctest.log (the device tool
# brings back eight files).
cuda_tests_bin=$build_dir/bin/distill_cuda_tests
sanitizer_bin=$(command -v compute-sanitizer || true)
[[ -n $sanitizer_bin || ! -x ${cuda_root:-/usr/local/cuda}/bin/compute-sanitizer ]] ||
  sanitizer_bin=${cuda_root:-/usr/local/cuda}/bin/compute-sanitizer
sanitize_groups() {  # sanitize_groups SANITIZER PROGRAM
  local rc=0 group
  for group in '[backend]' '[losses]'; do
    echo "== compute-sanitizer --tool memcheck $2 $group"
    "$1" --tool memcheck --error-exitcode 1 "$2" "$group" || rc=1
  done
  return $rc
}
export -f sanitize_groups
if [[ -z $sanitizer_bin ]]; then
  record sanitizer "SKIPPED (no compute-sanitizer)" 0 "$ctest_log"
elif fresh distill_cuda_tests "$cuda_tests_bin"; then
  run_phase sanitizer "$limit_sanitizer" "$ctest_log" \
    bash -c 'sanitize_groups "$0" "$1"' "$sanitizer_bin" "$cuda_tests_bin" || true
else
  record sanitizer "SKIPPED (not built)" 0 "$ctest_log"
fi

# ---------------------------------------------------------------------------------------------
# The CLI's benchmarks: a training step on the GPU (its last line is images_per_second=...), and
# one trajectory-matching iteration (the exact unroll, N steps) per workload on the GPU, and on
# the CPU at the two smaller ones; DM and TGDD iterations at IPC 10 and 50 likewise; each prints
# seconds_per_iteration=... with, on the GPU, the pool's peak and cudaMemGetInfo's used device
# memory. One failing run does not stop the rest.
bench_cli() {  # bench_cli PROGRAM
  local cli=$1 rc=0 line
  export DISTILL_LOG_CUDNN=1  # each convolution shape's chosen algorithms, once, on stderr
  "$cli" bench train --device cuda || rc=1
  "$cli" bench train --device cuda --tf32 || rc=1
  # device classes ipc syn_steps batch_syn [--tf32 | graphs]; `graphs` runs the iteration with
  # the unroll's steps captured in CUDA graphs (DISTILL_CUDA_GRAPHS=1; the first step of each
  # kind runs directly, the second is captured, the rest replay).
  while read -r line; do
    set -- $line
    local flag=${6:-} graphs=0
    if [ "$flag" = graphs ]; then flag="" graphs=1; fi
    echo "== distill bench tm --device $1 --classes $2 --ipc $3 --syn-steps $4 --batch-syn $5 --iterations 1 $flag" \
      "(DISTILL_CUDA_GRAPHS=$graphs)"
    DISTILL_CUDA_GRAPHS=$graphs "$cli" bench tm --device "$1" --classes "$2" --ipc "$3" --syn-steps "$4" \
      --batch-syn "$5" --iterations 1 $flag || rc=1
  done <<'LIST'
cuda 10 1 80 10
cuda 10 10 80 100
cuda 10 10 80 100 graphs
cuda 10 10 80 100 --tf32
cuda 10 50 80 500
cuda 100 10 20 1000
cuda 100 50 80 500
cpu 10 1 80 10
cpu 10 10 80 100
LIST
  # device method ipc
  while read -r line; do
    set -- $line
    echo "== distill bench dm --device $1 --method $2 --ipc $3 --iterations 2"
    "$cli" bench dm --device "$1" --method "$2" --ipc "$3" --iterations 2 || rc=1
  done <<'LIST'
cuda dm 10
cuda dm 50
cuda tgdd 10
cuda tgdd 50
cpu tgdd 10
LIST
  return $rc
}
export -f bench_cli
cli_bin=$build_dir/bin/distill
if fresh distill_cli "$cli_bin"; then
  run_phase bench_cli "$limit_cli" "$cli_txt" bash -c 'bench_cli "$0"' "$cli_bin" || true
  cli_line=$(grep -E '^(images_per_second|seconds_per_iteration)=|^network=' "$cli_txt" | cut -c1-240 || true)
  cli_line="${phase_results[-1]}${cli_line:+$'\n'$cli_line}"
else
  record bench_cli "SKIPPED (not built)" 0 "$cli_txt"
  cli_line="SKIPPED (not built)"
  echo "gpu-check: $cli_bin was not built by this run" >>"$cli_txt"
fi

# ---------------------------------------------------------------------------------------------
# Kernel benchmarks, after the CLI's: the set GPU_CHECK_BENCH_FILTER names (the full list takes
# far longer than a GPU session has), console table to the .txt, every figure to the .json.
bench_bin=$build_dir/bin/bench_cuda_kernels
if fresh bench_cuda_kernels "$bench_bin"; then
  if run_phase bench_kernels "$limit_bench" "$bench_txt" \
       "$bench_bin" --benchmark_filter="$bench_filter" --benchmark_min_time=0.05 --benchmark_format=console \
       --benchmark_out="$bench_json" --benchmark_out_format=json; then
    bench_line="ok, $(grep -o '"run_name"' "$bench_json" 2>/dev/null | wc -l) results in $(basename "$bench_json")"
  else
    bench_line="${phase_results[-1]}"
  fi
else
  record bench_kernels "SKIPPED (not built)" 0 "$bench_txt"
  bench_line="SKIPPED (not built)"
  echo "gpu-check: $bench_bin was not built by this run" >>"$bench_txt"
fi

# finish (the EXIT trap) writes summary.txt and sets the exit status.
