#!/usr/bin/env bash
# Runs the Postman collection (postman/) with newman against both services,
# started from this checkout on fresh SQLite files; fails on any failed
# assertion. Installs newman with npm into target/newman when absent.
# Needs node and npm. Usage: scripts/postman.sh
set -euo pipefail
cd "$(dirname "$0")/.."

auth_port=${POSTMAN_AUTH_PORT:-18101}
items_port=${POSTMAN_ITEMS_PORT:-18102}
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

newman=target/newman/node_modules/.bin/newman
[ -x "$newman" ] || npm install --prefix target/newman --no-audit --no-fund --silent newman@6

cargo build -q -p auth-service -p items-service
export JWT_SECRET=postman-run-secret-postman-run-secret RUST_LOG=warn
AUTH__SERVER__PORT=$auth_port AUTH__DATABASE__URL="sqlite://$work/auth.db" \
    target/debug/auth-service >"$work/auth.log" 2>&1 &
pids+=($!)
ITEMS__SERVER__PORT=$items_port ITEMS__DATABASE__URL="sqlite://$work/items.db" \
    target/debug/items-service >"$work/items.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$auth_port/health/ready" >/dev/null 2>&1 &&
        curl -fs "http://127.0.0.1:$items_port/health/ready" >/dev/null 2>&1 && break
    sleep 0.1
done

"$newman" run postman/jwt-auth-pair.postman_collection.json \
    --env-var "auth_url=http://127.0.0.1:$auth_port" \
    --env-var "items_url=http://127.0.0.1:$items_port" \
    --color off --bail failure
