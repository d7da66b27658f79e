# Sourced by the scripts that need both services running from this checkout
# on fresh SQLite files: postman.sh, docs-check.sh, schemathesis.sh.
#   start_services AUTH_PORT ITEMS_PORT
# builds both, starts them, waits until ready, registers a user, makes it
# the admin (auth-service users grant) and sets $auth, $items (base URLs)
# and $token (an access token with auth:admin); everything is stopped and
# removed when the script exits.

services_work=$(mktemp -d)
services_pids=()

stop_services() {
    local status=$?
    for pid in "${services_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ "$status" -eq 0 ] || tail -n 20 "$services_work"/*.log >&2 2>/dev/null || true
    rm -rf "$services_work"
    exit "$status"
}
trap stop_services EXIT

start_services() {
    cargo build -q -p auth-service -p items-service
    export JWT_SECRET=scripted-run-secret-scripted-run-secret RUST_LOG=warn
    export AUTH__DATABASE__URL="sqlite://$services_work/auth.db"
    export AUTH__SERVER__ADMIN_SOCKET="$services_work/admin.sock"
    AUTH__SERVER__PORT=$1 target/debug/auth-service >"$services_work/auth.log" 2>&1 &
    services_pids+=($!)
    ITEMS__SERVER__PORT=$2 ITEMS__DATABASE__URL="sqlite://$services_work/items.db" \
        target/debug/items-service >"$services_work/items.log" 2>&1 &
    services_pids+=($!)
    auth=http://127.0.0.1:$1
    items=http://127.0.0.1:$2
    for _ in $(seq 1 100); do
        curl -fs "$auth/health/ready" >/dev/null 2>&1 &&
            curl -fs "$items/health/ready" >/dev/null 2>&1 && break
        sleep 0.1
    done
    local credentials='{"username": "scripted", "password": "scripted-run-passphrase"}'
    curl -fsS "$auth/v1/users" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
    target/debug/auth-service users grant scripted auth:admin >/dev/null
    # The password grant: a session's token, which may carry auth:admin.
    token=$(curl -fsS "$auth/v1/token" -d grant_type=password -d username=scripted \
        -d password=scripted-run-passphrase |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
}

# Whether a service panicked.
services_panicked() {
    grep -h "panicked" "$services_work"/*.log 2>/dev/null
}
