#!/usr/bin/env bash
# Database outage on PostgreSQL: both services under load while their server
# stops for a few seconds, then starts again. Checks that requests answer 503
# problem details within the configured timeout (never hang), that nothing is
# half-written, that /health/ready turns 503 while /health/live stays 200, and
# that the services recover by themselves. Prints the figures.
#
# Needs root, PostgreSQL's Debian packages (pg_createcluster), curl, python3;
# makes (and drops) its own cluster, so the suite's server is left alone.
# Usage: scripts/postgres-outage.sh
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(basename "$(dirname "$(dirname "$(ls /usr/lib/postgresql/*/bin/postgres | sort -V | tail -1)")")")
cluster=outage-test
# Below the ephemeral range (32768+), where a client socket could hold it.
pg_port=${OUTAGE_PG_PORT:-25432}
auth_port=${OUTAGE_AUTH_PORT:-18081}
items_port=${OUTAGE_ITEMS_PORT:-18082}
timeout_seconds=2
outage_seconds=5
work=$(mktemp -d)
auth=http://127.0.0.1:$auth_port
items=http://127.0.0.1:$items_port
pids=()

fail() {
    echo "postgres-outage: $*" >&2
    exit 1
}

cleanup() {
    local status=$?
    touch "$work/stop"
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        tail -n 20 "$work"/*.log >&2 2>/dev/null || true
    fi
    pg_dropcluster --stop "$version" "$cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
    exit "$status"
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.2f}')" "$1" "$2"; }
status_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 15 "$@" || true; }

echo "postgres-outage: a PostgreSQL $version cluster on port $pg_port"
pg_dropcluster --stop "$version" "$cluster" >/dev/null 2>&1 || true
pg_createcluster "$version" "$cluster" -p "$pg_port" >/dev/null
pg_ctlcluster "$version" "$cluster" start
runuser -u postgres -- psql -q -p "$pg_port" \
    -c "ALTER USER postgres PASSWORD 'outage'" -c "CREATE DATABASE auth" -c "CREATE DATABASE items"
pg_url="postgres://postgres:outage@127.0.0.1:$pg_port"

cargo build -q -p auth-service -p items-service
common=(
    JWT_SECRET=outage-test-secret-outage-test-secret
    RUST_LOG=warn
    RUST_BACKTRACE=1  # the worst case: errors then capture backtraces
)
env "${common[@]}" AUTH__SERVER__PORT="$auth_port" AUTH__DATABASE__URL="$pg_url/auth" \
    AUTH__DATABASE__CONNECT_TIMEOUT_SECONDS=$timeout_seconds \
    AUTH__DATABASE__STATEMENT_TIMEOUT_SECONDS=$timeout_seconds \
    target/debug/auth-service >"$work/auth.log" 2>&1 &
pids+=($!)
env "${common[@]}" ITEMS__SERVER__PORT="$items_port" ITEMS__DATABASE__URL="$pg_url/items" \
    ITEMS__DATABASE__CONNECT_TIMEOUT_SECONDS=$timeout_seconds \
    ITEMS__DATABASE__STATEMENT_TIMEOUT_SECONDS=$timeout_seconds \
    target/debug/items-service >"$work/items.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    [ "$(status_of "$auth/health/ready")" = 200 ] && [ "$(status_of "$items/health/ready")" = 200 ] && break
    sleep 0.1
done
[ "$(status_of "$items/health/ready")" = 200 ] || fail "the services did not start"

credentials='{"username": "outage", "password": "outage-test-passphrase"}'
curl -fsS "$auth/v1/users" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
token=$(curl -fsS "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')

# Load: registrations on auth-service and item writes on items-service, each
# line "<name> <status> <seconds>".
load() {
    local kind=$1 n=0
    while [ ! -f "$work/stop" ]; do
        n=$((n + 1))
        if [ "$kind" = users ]; then
            curl -s -o /dev/null -w "user$n %{http_code} %{time_total}\n" --max-time 15 \
                "$auth/v1/users" -H 'Content-Type: application/json' \
                -d "{\"username\": \"user$n\", \"password\": \"load-test-passphrase\"}" || echo "user$n 000 15"
        else
            curl -s -o /dev/null -w "item$n %{http_code} %{time_total}\n" --max-time 15 -X PUT \
                "$items/v1/items/item$n" -H "Authorization: Bearer $token" \
                -H 'Content-Type: application/json' -d '{"price": 1}' || echo "item$n 000 15"
        fi
    done >>"$work/$kind.load"
}
load users & pids+=($!)
load items & pids+=($!)
sleep 2

echo "postgres-outage: stopping PostgreSQL for ${outage_seconds}s under load"
stopped=$(now)
pg_ctlcluster "$version" "$cluster" stop -m fast
first_503=""
while [ -z "$first_503" ]; do
    code=$(status_of "$items/v1/items?limit=1" -H "Authorization: Bearer $token")
    [ "$code" = 503 ] && first_503=$(now)
    [ "$(elapsed "$stopped" "$(now)" | cut -d. -f1)" -lt 20 ] || fail "no 503 within 20 s of the outage"
done
body=$(curl -s --max-time 15 "$items/v1/items?limit=1" -H "Authorization: Bearer $token")
python3 - "$body" <<'PY' || fail "the 503 body is not a clean problem: $body"
import json, sys
body = json.loads(sys.argv[1])
assert body["status"] == 503 and body["type"] == "about:blank", body
text = json.dumps(body).lower()
assert not any(word in text for word in ("postgres", "sqlx", "connection", "refused", "pool")), body
PY
for service in "$auth" "$items"; do
    [ "$(status_of "$service/health/ready")" = 503 ] || fail "$service/health/ready is not 503 during the outage"
    [ "$(status_of "$service/health/live")" = 200 ] || fail "$service/health/live is not 200 during the outage"
done
sleep "$outage_seconds"

echo "postgres-outage: starting PostgreSQL again"
started=$(now)
pg_ctlcluster "$version" "$cluster" start
recovered=""
while [ -z "$recovered" ]; do
    if [ "$(status_of "$auth/health/ready")" = 200 ] && [ "$(status_of "$items/v1/items?limit=1" -H "Authorization: Bearer $token")" = 200 ]; then
        recovered=$(now)
    fi
    [ "$(elapsed "$started" "$(now)" | cut -d. -f1)" -lt 30 ] || fail "the services did not recover within 30 s"
    sleep 0.1
done
sleep 1
touch "$work/stop"
sleep 1

python3 - "$work" "$timeout_seconds" <<'PY' || fail "the load saw a hang or an unexpected answer"
import sys
work, timeout = sys.argv[1], float(sys.argv[2])
for kind, ok in (("users", "201"), ("items", "201")):
    rows = [line.split() for line in open(f"{work}/{kind}.load") if line.strip()]
    statuses = {}
    for name, status, seconds in rows:
        statuses[status] = statuses.get(status, 0) + 1
    slowest = max(float(seconds) for _, _, seconds in rows)
    print(f"postgres-outage: {kind}: {len(rows)} requests, statuses {statuses}, slowest {slowest:.2f} s")
    assert set(statuses) <= {ok, "503"}, statuses
    assert statuses.get("503", 0) > 0, "the outage was not seen"
    assert slowest <= timeout * 2 + 3, f"a request took {slowest:.2f} s"
    failed = [name for name, status, _ in rows if status == "503"]
    open(f"{work}/{kind}.failed", "w").write("\n".join(failed))
PY

# Nothing half-written: what answered 503 is absent and can be done again.
while read -r name; do
    code=$(status_of "$auth/v1/users" -H 'Content-Type: application/json' \
        -d "{\"username\": \"$name\", \"password\": \"load-test-passphrase\"}")
    [ "$code" = 201 ] || fail "registration $name answered 503 but left a user behind ($code)"
done <"$work/users.failed"
while read -r name; do
    code=$(status_of "$items/v1/items/$name" -H "Authorization: Bearer $token")
    [ "$code" = 404 ] || fail "item $name answered 503 but was written ($code)"
done <"$work/items.failed"

echo "postgres-outage: first 503 $(elapsed "$stopped" "$first_503") s after the stop (timeout ${timeout_seconds} s)"
echo "postgres-outage: recovered $(elapsed "$started" "$recovered") s after the start, with no restart"
echo "postgres-outage: passed"
