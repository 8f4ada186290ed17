#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the pinned Azurite from npm when it is
# missing (the tests start and stop their own emulator), then builds and tests the solution.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x node_modules/.bin/azurite ]; then
  npm ci --no-audit --no-fund
fi

dotnet test Digest.sln --configuration Release "$@"
