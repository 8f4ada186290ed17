#!/usr/bin/env bash
# Builds and lints every Bicep file with the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64, restored through
# infra/Digest.Infra.csproj) and fails on any diagnostic: the linter's rules are set in infra/bicepconfig.json, and a
# warning counts as a failure here. Writes the ARM templates to artifacts/infra/.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! restore=$(dotnet restore infra/Digest.Infra.csproj --nologo -v quiet 2>&1); then
  printf '%s\n' "$restore" >&2
  exit 1
fi
bicep=$(dotnet msbuild infra/Digest.Infra.csproj -nologo -getProperty:BicepPath)
out=artifacts/infra
mkdir -p "$out"

# Bicep exits 0 on warnings, so any output at all (a diagnostic of any level) fails the step.
run() {
  local output
  if ! output=$("$bicep" "$@" 2>&1) || [ -n "$output" ]; then
    printf '%s\n' "$output" >&2
    echo "infra/build.sh: 'bicep $*' reported the diagnostics above" >&2
    exit 1
  fi
}

run lint --pattern 'infra/**/*.bicep'
run build infra/main.bicep --outfile "$out/main.json"
run build-params infra/main.bicepparam --outfile "$out/main.parameters.json"
echo "infra: Bicep built and linted with no warnings ($("$bicep" --version)) -> $out/main.json"
