#!/usr/bin/env bash
# Packages the Teams app: bot/manifest/package.sh BOT_APP_ID BOT_DOMAIN [TEAMS_APP_ID]
#   BOT_APP_ID    the Azure Bot's Microsoft App ID (Bot:AppId)
#   BOT_DOMAIN    the host the bot runs on, e.g. digest-bot.azurewebsites.net (no scheme)
#   TEAMS_APP_ID  the Teams app's own id (defaults to BOT_APP_ID)
# Writes bot/manifest/build/digest-teams-app.zip (manifest.json, color.png, outline.png at the root),
# ready for "Upload a custom app" in Teams or the Developer Portal.
set -euo pipefail
cd "$(dirname "$0")"

guid='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
if [ $# -lt 2 ]; then
  echo "usage: $0 BOT_APP_ID BOT_DOMAIN [TEAMS_APP_ID]" >&2
  exit 2
fi
bot_app_id=$1
bot_domain=$2
teams_app_id=${3:-$1}
[[ $bot_app_id =~ $guid ]] || { echo "BOT_APP_ID must be a GUID: $bot_app_id" >&2; exit 2; }
[[ $teams_app_id =~ $guid ]] || { echo "TEAMS_APP_ID must be a GUID: $teams_app_id" >&2; exit 2; }
[[ $bot_domain =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || { echo "BOT_DOMAIN must be a host name without scheme or path: $bot_domain" >&2; exit 2; }

[ -f color.png ] && [ -f outline.png ] || python3 make-icons.py

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed -e "s/{{BOT_APP_ID}}/$bot_app_id/g" -e "s/{{TEAMS_APP_ID}}/$teams_app_id/g" -e "s/{{BOT_DOMAIN}}/$bot_domain/g" manifest.json > "$work/manifest.json"
if grep -q '{{' "$work/manifest.json"; then
  echo "a placeholder was left in manifest.json" >&2
  exit 1
fi
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$work/manifest.json"
cp color.png outline.png "$work/"

mkdir -p build
rm -f build/digest-teams-app.zip
(cd "$work" && zip -q -X "$OLDPWD/build/digest-teams-app.zip" manifest.json color.png outline.png)
echo "wrote $(pwd)/build/digest-teams-app.zip"
