#!/usr/bin/env bash
# Installs every build and test dependency of emkit from Debian packages.
# Safe to run twice: apt-get skips what is already installed.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config
  libeigen3-dev            # Eigen 3.4: linear algebra
  libboost-dev             # Boost.Math, Boost.Hana, Boost.Random (header parts)
  libboost-random-dev
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  libcli11-dev             # command-line parsing
  nlohmann-json3-dev       # model files
  gnuplot-nox              # emkit plot: PNG and SVG pictures
  libopenmpi-dev openmpi-bin  # emkit fit --distributed and its two-process tests
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
