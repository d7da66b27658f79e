#!/usr/bin/env bash
# Schema-driven fuzzing: schemathesis (PyPI) against each service's
# /openapi.json, authenticated, with every check (no 5xx, responses that
# match the document, negative inputs refused, stateful sequences).
# Installs schemathesis into target/schemathesis (a venv) when absent.
# Needs python3 with venv, curl. Usage: scripts/schemathesis.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."

examples=${1:-100}
auth_port=${ST_AUTH_PORT:-18121}
items_port=${ST_ITEMS_PORT:-18122}
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

st=target/schemathesis/bin/schemathesis
if [ ! -x "$st" ]; then
    python3 -m venv target/schemathesis
    target/schemathesis/bin/pip install -q 'schemathesis==4.*'
fi

cargo build -q -p auth-service -p items-service
export JWT_SECRET=schemathesis-secret-schemathesis-secret RUST_LOG=warn
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

credentials='{"username": "schemathesis", "password": "schemathesis-passphrase"}'
curl -fsS "$auth/v1/users" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
token=$(curl -fsS "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

for base in "$items" "$auth"; do
    echo "schemathesis: $base/openapi.json"
    "$st" --config-file schemathesis.toml run "$base/openapi.json" --url "$base" --checks all \
        --header "Authorization: Bearer $token" --max-examples "$examples" \
        --seed 1 --no-color
done
if grep -q "panicked" "$work"/*.log; then
    grep -h "panicked" "$work"/*.log >&2
    exit 1
fi
echo "schemathesis: passed"
