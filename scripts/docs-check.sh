#!/usr/bin/env bash
# The interactive docs in headless Chromium (Debian's chromium package):
# auth-service's and items-service's /docs/ load with no failed request and
# nothing fetched from another host; on items-service, authorising with a
# token in the page and calling GET /v1/items from it works.
# Installs playwright-core with npm into target/playwright when absent.
# Needs chromium, node, npm, curl, python3. Usage: scripts/docs-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

auth_port=${DOCS_AUTH_PORT:-18111}
items_port=${DOCS_ITEMS_PORT:-18112}
work=$(mktemp -d)
pids=()

cleanup() {
    local status=$?
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ "$status" -eq 0 ] || tail -n 20 "$work"/*.log >&2 2>/dev/null || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

[ -d target/playwright/node_modules/playwright-core ] ||
    npm install --prefix target/playwright --no-audit --no-fund --silent playwright-core@1

cargo build -q -p auth-service -p items-service
export JWT_SECRET=docs-check-secret-docs-check-secret RUST_LOG=warn
AUTH__SERVER__PORT=$auth_port AUTH__DATABASE__URL="sqlite://$work/auth.db" \
    target/debug/auth-service >"$work/auth.log" 2>&1 &
pids+=($!)
ITEMS__SERVER__PORT=$items_port ITEMS__DATABASE__URL="sqlite://$work/items.db" \
    target/debug/items-service >"$work/items.log" 2>&1 &
pids+=($!)
auth=http://127.0.0.1:$auth_port
items=http://127.0.0.1:$items_port
for _ in $(seq 1 100); do
    curl -fs "$auth/health/ready" >/dev/null 2>&1 && curl -fs "$items/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done

credentials='{"username": "docs", "password": "docs-check-passphrase"}'
curl -fsS "$auth/v1/users" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
token=$(curl -fsS "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# Beside its node_modules, the script finds playwright-core.
cp scripts/docs-check.mjs target/playwright/docs-check.mjs
node target/playwright/docs-check.mjs "$auth"
node target/playwright/docs-check.mjs "$items" "$token"
echo "docs-check: passed"
