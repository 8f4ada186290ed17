#!/usr/bin/env bash
# Runs the main job locally: one full cycle (`digest once`) against Azurite.
# Installs the pinned Azurite from npm if needed and starts it on its default ports if nothing listens there.
# Any arguments go to `digest` (default: once). Examples:
#   ./run.sh                                   # once, against https://huggingface.co (needs the internet)
#   ./run.sh once --source ./samples/pages     # once, on saved pages (works offline)
#   ./run.sh papers --date 2024-08-01
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x node_modules/.bin/azurite ]; then
  npm ci --no-audit --no-fund
fi

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! listening 10000 || ! listening 10002; then
  mkdir -p .azurite
  echo "Starting Azurite (data in .azurite/, log in .azurite/azurite.log)" >&2
  nohup node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry --loose \
    --location .azurite --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    >.azurite/azurite.log 2>&1 &
  for _ in $(seq 1 60); do
    if listening 10000 && listening 10002; then break; fi
    sleep 0.5
  done
  listening 10000 && listening 10002 || { echo "Azurite did not start; see .azurite/azurite.log" >&2; exit 1; }
fi

if [ $# -eq 0 ]; then set -- once; fi
dotnet run --project functions/Digest.Functions.csproj --configuration Release -- "$@"
