#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine: installs the pinned Azurite from npm when it is
# missing (the tests start and stop their own emulator), builds and lints the Bicep templates, then builds and tests
# the solution.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x node_modules/.bin/azurite ]; then
  npm ci --no-audit --no-fund
fi

# The Azure templates first: a Bicep warning fails the run before the (longer) test suite starts.
infra/build.sh

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Digest.sln --configuration Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One plain closing line over all test projects.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
echo "$passed passed, $failed failed"
exit "$status"
