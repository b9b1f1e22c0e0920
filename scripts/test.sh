#!/usr/bin/env bash
# Sets up, builds and runs every test: unit (GoogleTest), integration (the real binary on
# 127.0.0.1) and client conformance (official SDKs from npm). Exits non-zero if any fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
ctest --output-on-failure --timeout 1200 -j "${WHARF_TEST_JOBS:-2}" "$@"
