#!/usr/bin/env bash
# Configures and builds Wharf (Release, Ninja, ccache) into build/. Runs scripts/setup.sh first.
#   WHARF_CUDA=1         build ggml with CUDA (needs nvcc)
#   WHARF_LLAMA_DIR=DIR  use an existing llama.cpp checkout instead of the pinned copy
#   WHARF_JOBS=N         parallel jobs (default: nproc)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
export CCACHE_BASEDIR="$root" CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
args=(-G Ninja -DCMAKE_BUILD_TYPE=Release)
[ "${WHARF_CUDA:-0}" = 1 ] && args+=(-DWHARF_CUDA=ON)
[ -n "${WHARF_LLAMA_DIR:-}" ] && args+=(-DWHARF_LLAMA_DIR="$WHARF_LLAMA_DIR")
cmake -S "$root" -B "$root/build" "${args[@]}" >/dev/null
cmake --build "$root/build" -j "${WHARF_JOBS:-$(nproc)}" "$@"
