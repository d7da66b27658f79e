#!/usr/bin/env bash
# The admin console (GET /admin/) end to end in headless Chromium (Debian's
# chromium package), with the refresh cookie and CORS on: see
# console-check.mjs; then the account page (GET /account/, account-check.mjs,
# with oathtool's codes). Pages on two more origins (a second port allowed by
# CORS, a third not) serve the cross-origin checks. The screenshots go to
# docs/screenshots/ (commit them when the console changes); the run fails
# if the console changed in a commit after the screenshots did. Then cookie
# tossing (cookie-toss.mjs): another auth-service whose public URL is
# auth.site.localhost, and a page on its sibling blog.site.localhost.
# Needs chromium, node, npm, curl, python3, oathtool. Usage: scripts/console-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

console_changed=$(git log -1 --format=%ct -- auth-service/console 2>/dev/null || echo 0)
shots_changed=$(git log -1 --format=%ct -- docs/screenshots 2>/dev/null || echo 0)
if [ "${console_changed:-0}" -gt "${shots_changed:-0}" ]; then
    echo "auth-service/console changed after docs/screenshots: run scripts/console-check.sh and commit them" >&2
    exit 1
fi

source scripts/services.sh
[ -d target/playwright/node_modules/playwright-core ] ||
    npm install --prefix target/playwright --no-audit --no-fund --silent playwright-core@1

auth_port=${CONSOLE_AUTH_PORT:-18121}
items_port=${CONSOLE_ITEMS_PORT:-18122}
allowed_origin=http://127.0.0.1:${CONSOLE_ALLOWED_PORT:-18123}
other_origin=http://127.0.0.1:${CONSOLE_OTHER_PORT:-18124}

# Both other origins serve one empty page for the checks' scripts to run on.
pages=$(mktemp -d)
echo '<!doctype html><title>another origin</title>' >"$pages/index.html"
for origin in "$allowed_origin" "$other_origin"; do
    python3 -m http.server "${origin##*:}" --bind 127.0.0.1 --directory "$pages" >/dev/null 2>&1 &
    services_pids+=($!)
done

export AUTH__TOKENS__REFRESH_COOKIE=true
export AUTH__SERVER__PUBLIC_URL=http://127.0.0.1:$auth_port
export AUTH__CORS__ALLOWED_ORIGINS=$allowed_origin ITEMS__CORS__ALLOWED_ORIGINS=$allowed_origin
start_services "$auth_port" "$items_port"

mkdir -p docs/screenshots
cp scripts/chromium.mjs scripts/console-check.mjs scripts/account-check.mjs target/playwright/
node target/playwright/console-check.mjs "$auth" "$items" "$allowed_origin" "$other_origin" \
    scripted scripted-run-passphrase "$PWD/docs/screenshots"
node target/playwright/account-check.mjs "$auth" "$PWD/docs/screenshots"

toss_port=${CONSOLE_TOSS_PORT:-18125}
sibling_port=${CONSOLE_SIBLING_PORT:-18126}
python3 -m http.server "$sibling_port" --bind 127.0.0.1 --directory "$pages" >/dev/null 2>&1 &
services_pids+=($!)
AUTH__SERVER__PORT=$toss_port AUTH__SERVER__PUBLIC_URL=http://auth.site.localhost:$toss_port \
    AUTH__CORS__ALLOWED_ORIGINS= AUTH__DATABASE__URL="sqlite://$services_work/toss.db" \
    AUTH__SERVER__ADMIN_SOCKET="$services_work/toss.sock" \
    target/debug/auth-service >"$services_work/toss.log" 2>&1 &
services_pids+=($!)
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$toss_port/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
cp scripts/cookie-toss.mjs target/playwright/
node target/playwright/cookie-toss.mjs "http://auth.site.localhost:$toss_port" \
    "http://blog.site.localhost:$sibling_port" "http://127.0.0.1:$toss_port"
rm -rf "$pages"
if services_panicked; then exit 1; fi
echo "console-check: passed"
