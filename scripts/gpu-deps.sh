#!/usr/bin/env bash
# Gathers the Debian packages that the CUDA build needs besides the CUDA toolkit, for
# scripts/gpu-check.sh on the GPU machine.
#
# Where it runs: HERE, on the Debian 12 development machine, which reaches the Debian mirror.
# The GPU machine that the device tool lends has nvcc, CMake, ninja and gcc but no Debian
# packages and no network, so the header libraries and Google Benchmark travel with the
# working tree: this script fetches the .deb files with `apt-get download` (nothing is
# installed here), unpacks each with `dpkg -x` into .gpu-deps/root/, and drops what the build
# never reads (docs, man pages) so the carried folder stays small.
#
# How to call it, from the repository root (no root rights needed unless the apt lists are
# missing, see below):
#     bash scripts/gpu-deps.sh
# then hand the device tool `carry: [".gpu-deps"]` and the command `bash scripts/gpu-check.sh`.
#
# Idempotent: a .deb already in .gpu-deps/debs/ at the mirror's current version is not fetched
# again (an older version of the same package is replaced), and .gpu-deps/root/ is rebuilt
# from the .debs on every run, so it never holds leftovers of an earlier package set.
# .gpu-deps/ is ignored by git (.gitignore): these are downloaded copies, never vendored.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps_dir=$repo_root/.gpu-deps
debs_dir=$deps_dir/debs
root_dir=$deps_dir/root

# What the configure and the three targets of gpu-check.sh read, one package each:
#   libeigen3-dev       Eigen3Config.cmake + headers (find_package(Eigen3 NO_MODULE))
#   catch2              Catch2 2.13 config + catch.hpp (find_package(Catch2 2), include(Catch))
#   libbenchmark-dev    benchmark config + headers (find_package(benchmark))
#   <its runtime>       libbenchmark.so.1debian, which benchmark::benchmark links to (resolved
#                       below from the -dev package's Depends, so a renamed runtime is followed)
#   nlohmann-json3-dev  nlohmann_json config + headers (safetensors)
#   zlib1g-dev          zlib.h + the static libz.a (gzip IDX files); the static library is
#                       linked, so zlib1g's shared library is not needed
#   libcli11-dev        CLI11 config + headers (the distill CLI, examples/cli)
#   libstb-dev          <stb/stb_image_write.h> (data/png.hpp); the headers only, libstb0's
#                       shared library is never linked
packages=(libeigen3-dev catch2 libbenchmark-dev nlohmann-json3-dev zlib1g-dev libcli11-dev libstb-dev)

# apt-get download needs the package lists; a fresh container may have none.
if ! apt-cache show libeigen3-dev >/dev/null 2>&1; then
  echo "gpu-deps: no apt package lists; running apt-get update" >&2
  apt-get update
fi

benchmark_runtime=$(apt-cache depends libbenchmark-dev 2>/dev/null |
                    awk '$1 == "Depends:" && $2 ~ /^libbenchmark[0-9]/ {print $2; exit}')
packages+=("${benchmark_runtime:-libbenchmark1debian}")

mkdir -p "$debs_dir"
# As root, apt drops to its _apt user to download, which cannot write into a root-owned
# checkout: it then warns and downloads as root anyway. Ask for that outright, without the warning.
apt_opts=()
[[ $EUID -ne 0 ]] || apt_opts=(-o APT::Sandbox::User=root)

# The file name apt-get download gives a package at its candidate version: name_version_arch.deb
# with the epoch's ':' written as %3a.
deb_name() {
  local pkg=$1 version arch
  version=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" {print $2}')
  arch=$(apt-cache show --no-all-versions "$pkg" | awk '$1 == "Architecture:" {print $2; exit}')
  if [[ -z $version || $version == "(none)" || -z $arch ]]; then
    echo "gpu-deps: no candidate version of $pkg in the apt lists" >&2
    return 1
  fi
  printf '%s_%s_%s.deb\n' "$pkg" "${version//:/%3a}" "$arch"
}

for pkg in "${packages[@]}"; do
  want=$(deb_name "$pkg")
  if [[ -f $debs_dir/$want ]]; then
    echo "gpu-deps: have  $want"
    continue
  fi
  # An older version left by an earlier run would be unpacked too: remove it first.
  rm -f "$debs_dir/${pkg}"_*.deb
  echo "gpu-deps: fetch $want"
  # apt-get download writes into the current directory.
  (cd "$debs_dir" && apt-get download -q "${apt_opts[@]}" "$pkg")
  [[ -f $debs_dir/$want ]] || { echo "gpu-deps: $want did not arrive" >&2; exit 1; }
done

# Debs of packages no longer in the list would be unpacked below: keep only the wanted ones.
for deb in "$debs_dir"/*.deb; do
  keep=no
  for pkg in "${packages[@]}"; do
    [[ $(basename "$deb") == "${pkg}"_* ]] && keep=yes
  done
  [[ $keep == yes ]] || { echo "gpu-deps: drop  $(basename "$deb")"; rm -f "$deb"; }
done

rm -rf "$root_dir"
mkdir -p "$root_dir"
for deb in "$debs_dir"/*.deb; do
  dpkg -x "$deb" "$root_dir"
done
# Not read by any build: documentation, man pages, lintian overrides.
rm -rf "$root_dir/usr/share/doc" "$root_dir/usr/share/man" "$root_dir/usr/share/lintian"
# Development symlinks whose targets are in packages not fetched: libstb.so -> libstb0's
# library (dangling), and libz.so -> /lib/x86_64-linux-gnu/libz.so.1.2.13, an absolute link
# that resolves to this machine's file here and to nothing (or another version) there. FindZLIB
# prefers a libz.so, and a link against such a file would fail; gpu-check.sh links the static
# libz.a instead, and stb is header-only here. So drop absolute and dangling links alike.
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  if [[ $target == /* || ! -e $link ]]; then
    echo "gpu-deps: drop  link ${link#"$root_dir"/} -> $target"
    rm -f "$link"
  fi
done < <(find "$root_dir" -type l -print0)
# The static libstb.a is never linked (png.hpp compiles stb_image_write into its translation
# unit): drop it, it only adds to what travels.
rm -f "$root_dir"/usr/lib/*/libstb.a

# The files gpu-check.sh points CMake at; fail here, not on the GPU machine, if one is missing.
arch_dirs=("$root_dir"/usr/lib/*-linux-gnu)
arch_dir=$(basename "${arch_dirs[0]}")
expected=(
  usr/share/eigen3/cmake/Eigen3Config.cmake
  usr/include/eigen3/Eigen/Core
  usr/lib/cmake/Catch2/Catch2Config.cmake
  usr/lib/cmake/Catch2/Catch.cmake
  usr/include/catch2/catch.hpp
  "usr/lib/$arch_dir/cmake/benchmark/benchmarkConfig.cmake"
  usr/include/benchmark/benchmark.h
  usr/share/cmake/nlohmann_json/nlohmann_jsonConfig.cmake
  usr/include/nlohmann/json.hpp
  usr/share/cmake/CLI11/CLI11Config.cmake
  usr/include/CLI/CLI.hpp
  usr/include/stb/stb_image_write.h
  usr/include/zlib.h
  "usr/lib/$arch_dir/libz.a"
)
missing=0
for f in "${expected[@]}"; do
  [[ -e $root_dir/$f ]] || { echo "gpu-deps: missing $f" >&2; missing=1; }
done
if ! compgen -G "$root_dir/usr/lib/$arch_dir/libbenchmark.so.*" >/dev/null; then
  echo "gpu-deps: missing usr/lib/$arch_dir/libbenchmark.so.*" >&2
  missing=1
fi
[[ $missing == 0 ]] || exit 1

echo "gpu-deps: packages:"
for deb in "$debs_dir"/*.deb; do
  echo "  $(basename "$deb")"
done
# The device tool carries at most 64 MiB in all (working tree included); what travels is this
# whole folder when it is carried as ".gpu-deps".
echo "gpu-deps: debs $(du -sh "$debs_dir" | cut -f1), root $(du -sh "$root_dir" | cut -f1)," \
     "total $(du -sh "$deps_dir" | cut -f1) ($(du -sk "$deps_dir" | cut -f1) KiB) in $deps_dir"
