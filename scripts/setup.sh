#!/usr/bin/env bash
# Installs everything Wharf needs on Debian 12 and fetches the pinned llama.cpp source.
# Idempotent: safe to run before every build. Set WHARF_SKIP_APT=1 to skip the package step.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

APT_PKGS=(build-essential cmake ninja-build ccache git pkg-config ca-certificates curl
  libboost1.81-dev libssl-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libhiredis-dev
  libgtest-dev libgmock-dev libbenchmark-dev)
# Node.js and npm: from Debian unless a newer one is already on PATH.
command -v npm >/dev/null 2>&1 || APT_PKGS+=(nodejs npm)

missing=()
if [ "${WHARF_SKIP_APT:-0}" != 1 ]; then
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "[setup] installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "[setup] missing packages; run as root:"
    echo "  sudo apt-get install -y ${missing[*]}"
    exit 1
  fi
fi

# llama.cpp, pinned: the git bundle inside node-llama-cpp@3.22.1 (commit de3ff815ea7d).
LLAMA_PKG="node-llama-cpp@3.22.1"
LLAMA_SHA256="a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f"
LLAMA_COMMIT="de3ff81"
deps="$root/.deps"
dest="$deps/llama.cpp"
if [ -n "${WHARF_LLAMA_DIR:-}" ]; then
  echo "[setup] using llama.cpp at $WHARF_LLAMA_DIR"
elif [ -f "$dest/.wharf-pinned" ]; then
  :
else
  mkdir -p "$deps/dl"
  cd "$deps/dl"
  tgz="node-llama-cpp-3.22.1.tgz"
  if [ ! -f "$tgz" ]; then
    echo "[setup] fetching $LLAMA_PKG from npm"
    npm pack "$LLAMA_PKG" --silent >/dev/null
  fi
  echo "$LLAMA_SHA256  $tgz" | sha256sum -c --quiet - || { echo "[setup] sha256 mismatch for $tgz"; rm -f "$tgz"; exit 1; }
  rm -rf package && tar xzf "$tgz" package/llama/gitRelease.bundle
  rm -rf "$dest"
  git clone -q package/llama/gitRelease.bundle "$dest" 2>/dev/null
  (cd "$dest" && git rev-parse --short=7 HEAD | grep -q "^$LLAMA_COMMIT") || { echo "[setup] unexpected llama.cpp commit"; exit 1; }
  rm -rf package
  touch "$dest/.wharf-pinned"
  echo "[setup] llama.cpp $LLAMA_COMMIT ready in $dest"
fi

# npm packages for the client-conformance tests (the official SDKs).
if [ -f "$root/tests/clients/package.json" ] && [ ! -d "$root/tests/clients/node_modules/openai" ]; then
  echo "[setup] installing npm test clients"
  (cd "$root/tests/clients" && npm install --silent --no-audit --no-fund >/dev/null)
fi
