#!/usr/bin/env bash
# Sets up, builds and runs every test: unit (GoogleTest), integration (the real binary on
# 127.0.0.1) and client conformance (official SDKs from npm). Exits non-zero if any fails.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/build.sh"
cd "$root/build"
# Integration tests time real servers on a small shared machine; one re-run absorbs a rare
# scheduling hiccup, and a real failure fails both runs.
ctest --output-on-failure --timeout 1200 -j "${WHARF_TEST_JOBS:-2}" --repeat until-pass:2 "$@"
