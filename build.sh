#!/usr/bin/env bash
# Kernels build driver.
#   ./build.sh deps    install missing system packages (apt), idempotent
#   ./build.sh build   native library (CMake, Release) + the solution
#   ./build.sh data    data sets into build/data (cached, never committed): the digits set from Debian's python3-sklearn
#   ./build.sh test    deps + build + data + every test project; last line: "N passed, N failed, N skipped"
#   ./build.sh perf    deps + build + data + the benchmark suite (extra arguments go to `kernels-perf run`)
#   ./build.sh pack    the Kernels NuGet package into build/packages
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
NATIVE_DIR="$ROOT/build/native"
CONFIG=Release

# Debian packages the build, the tests and the benchmark peers need. The CUDA ones (NVRTC 11.8, its builtins,
# ptxas and the CUDA headers) come from contrib/non-free: the CUDA tests compile every kernel with them.
# Both MPIs: the MPI shim is built and tested against Open MPI and MPICH (cpp/mpi/README.md). Installing MPICH leaves
# Debian's mpi/mpirun alternatives on Open MPI (priority 50 against MPICH's 40); the build and tests name each one explicitly.
APT_PACKAGES=(cmake g++ binutils pkg-config libhwy-dev libopenmpi-dev openmpi-bin libmpich-dev mpich libgloo-dev libopenblas-dev
  nvidia-cuda-toolkit libnvrtc11.2 libnvrtc-builtins11.8)
DEBIAN_SOURCES=/etc/apt/sources.list.d/debian.sources

log() { printf '[build.sh] %s\n' "$*" >&2; }

# Adds contrib and non-free to every "Components:" line of the deb822 Debian sources that lacks them
# (non-free-firmware is a different component). Idempotent: a file that has both is left untouched.
enable_contrib_non_free() {
  local sudo=$1
  [ -f "$DEBIAN_SOURCES" ] || return 0
  if awk '/^Components:/ && (!/ contrib( |$)/ || !/ non-free( |$)/) { lacking = 1 } END { exit !lacking }' "$DEBIAN_SOURCES"; then
    log "deps: enabling contrib non-free in $DEBIAN_SOURCES"
    $sudo sed -E -i '/^Components:/{/ contrib( |$)/! s/$/ contrib/; / non-free( |$)/! s/$/ non-free/}' "$DEBIAN_SOURCES"
  fi
}

deps() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    log "deps: all system packages present"
  else
    log "deps: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    enable_contrib_non_free "$sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v dotnet >/dev/null || { log "deps: the .NET SDK 10 (dotnet) is required and not on PATH"; exit 1; }
}

build() {
  log "build: native library (CMake, $CONFIG)"
  cmake -S "$ROOT" -B "$NATIVE_DIR" -DCMAKE_BUILD_TYPE=$CONFIG >/dev/null
  cmake --build "$NATIVE_DIR" --parallel "$(nproc)"
  log "build: solution"
  dotnet build Kernels.sln -c $CONFIG -nologo -v quiet -clp:ErrorsOnly
}

# The digits set (1797 x 64, 10 classes) of the compression convergence experiments: sklearn ships it as
# sklearn/datasets/data/digits.csv.gz, and Debian packages that in python3-sklearn (python3-sklearn-lib as a fallback).
# Downloaded with apt-get (no root needed) and unpacked with dpkg -x; kept in build/data. Without network the suite's
# digits items fail with a message naming this step; the tests do not need the file.
DIGITS="$ROOT/build/data/sklearn/datasets/data/digits.csv.gz"
data() {
  if [ -f "$DIGITS" ]; then
    log "data: digits set present"
    return 0
  fi
  local scratch
  scratch=$(mktemp -d)
  local package deb
  for package in python3-sklearn python3-sklearn-lib; do
    log "data: apt-get download $package"
    if ! (cd "$scratch" && apt-get download -qq "$package" >/dev/null 2>&1); then
      continue
    fi
    deb=$(ls "$scratch"/"${package}"_*.deb 2>/dev/null | head -n 1)
    if [ -n "$deb" ] && dpkg -c "$deb" | grep 'sklearn/datasets/data/digits.csv.gz$' >/dev/null; then
      dpkg -x "$deb" "$scratch/root"
      mkdir -p "$(dirname "$DIGITS")"
      cp "$(find "$scratch/root" -path '*sklearn/datasets/data/digits.csv.gz' | head -n 1)" "$DIGITS"
      break
    fi
  done
  rm -rf "$scratch"
  if [ -f "$DIGITS" ]; then
    log "data: digits set extracted to ${DIGITS#"$ROOT"/}"
  else
    log "data: WARNING: could not obtain digits.csv.gz from python3-sklearn; the suite's digits convergence items will fail"
  fi
}

# One counter ($2) of a TRX <Counters> element ($1).
trx_count() { sed -E "s/.* $2=\"([0-9]+)\".*/\\1/" <<<"$1"; }

# Runs every test project, then prints one closing line with the totals from the TRX files.
run_tests() {
  local results="$ROOT/build/test-results"
  rm -rf "$results"
  local status=0
  dotnet test Kernels.sln -c $CONFIG --no-build -nologo \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?
  local passed=0 failed=0 skipped=0 trx counters
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    counters=$(grep -o '<Counters [^>]*>' "$trx")
    passed=$((passed + $(trx_count "$counters" passed)))
    failed=$((failed + $(trx_count "$counters" failed) + $(trx_count "$counters" error) + $(trx_count "$counters" timeout) + $(trx_count "$counters" aborted)))
    # Ignored tests (e.g. GPU-only ones on a machine without a GPU) are in the total but not executed.
    skipped=$((skipped + $(trx_count "$counters" total) - $(trx_count "$counters" executed)))
  done
  if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
    log "test: no test ran"
    status=1
  fi
  [ "$failed" -eq 0 ] || status=1
  echo "$passed passed, $failed failed, $skipped skipped"
  return $status
}

case "${1:-build}" in
  deps) deps ;;
  build) deps; build ;;
  data) data ;;
  test) deps; build; data; run_tests ;;
  perf) deps; build; data; shift; dotnet run -c $CONFIG --no-build --project perf/Kernels.Perf -- run "$@" ;;
  pack) deps; build; dotnet pack managed/Kernels/Kernels.csproj -c $CONFIG --no-build -o build/packages -nologo ;;
  *) echo "usage: $0 deps|build|data|test|perf|pack" >&2; exit 2 ;;
esac
