#!/usr/bin/env bash
# Runs the main job locally: one full cycle (`digest once`) against Azurite.
# Installs the pinned Azurite from npm if needed and starts it on its default ports if nothing listens there.
# An Azurite started here keeps running after this script ends (the bot and later runs use it); its pid is in
# .azurite/azurite.pid and `./run.sh stop-azurite` stops it.
# Any other arguments go to `digest` (default: once). Examples:
#   ./run.sh                                   # once, against https://huggingface.co (needs the internet)
#   ./run.sh once --source ./samples/pages     # once, on saved pages (works offline)
#   ./run.sh papers --date 2024-08-01
#   ./run.sh stop-azurite                      # stop the Azurite this script started
set -euo pipefail
cd "$(dirname "$0")"

pid_file=.azurite/azurite.pid

# True when the pid file names a live Azurite process (not a recycled pid).
azurite_running() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [[ "$pid" =~ ^[0-9]+$ ]] && ps -p "$pid" -o args= 2>/dev/null | grep -q azurite
}

if [ "${1:-}" = stop-azurite ]; then
  if azurite_running; then
    pid=$(cat "$pid_file")
    kill "$pid"
    for _ in $(seq 1 20); do
      ps -p "$pid" >/dev/null 2>&1 || break
      sleep 0.25
    done
    rm -f "$pid_file"
    echo "Stopped Azurite (pid $pid)." >&2
  else
    rm -f "$pid_file"
    echo "No Azurite started by run.sh is running (no live pid in $pid_file)." >&2
  fi
  exit 0
fi

if [ ! -x node_modules/.bin/azurite ]; then
  npm ci --no-audit --no-fund
fi

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if ! listening 10000 || ! listening 10002; then
  mkdir -p .azurite
  nohup node_modules/.bin/azurite --silent --skipApiVersionCheck --disableTelemetry --loose \
    --location .azurite --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    >.azurite/azurite.log 2>&1 &
  echo $! >"$pid_file"
  for _ in $(seq 1 60); do
    if listening 10000 && listening 10002; then break; fi
    sleep 0.5
  done
  listening 10000 && listening 10002 || { rm -f "$pid_file"; echo "Azurite did not start; see .azurite/azurite.log" >&2; exit 1; }
  echo "Started Azurite (pid $(cat "$pid_file"); data in .azurite/, log in .azurite/azurite.log)." >&2
  echo "It keeps running after this script ends; stop it with: ./run.sh stop-azurite" >&2
elif azurite_running; then
  echo "Using the Azurite started earlier (pid $(cat "$pid_file")); stop it with: ./run.sh stop-azurite" >&2
fi

if [ $# -eq 0 ]; then set -- once; fi
dotnet run --project cli/Digest.Cli.csproj --configuration Release -- "$@"
