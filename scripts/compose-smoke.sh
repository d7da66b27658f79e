#!/usr/bin/env bash
# Builds and starts the compose stack, walks the seed tutorial's flow with
# curl from the host, restarts the stack and checks that the user, the item
# and the token survived; then the operator's own secret; then EdDSA and
# ES256 with no other setting, a key rotation under EdDSA run as
# docs/operations.md says; then removes everything (`down -v`). First, that
# the override files (PostgreSQL, the mail catcher) merge with the stack.
#
# Usage: scripts/compose-smoke.sh   (uses `docker compose`, else `docker-compose`)
# Needs: a running Docker engine, curl, python3; ports 8081 and 8082 free
# (or AUTH_PORT / ITEMS_PORT).
set -euo pipefail
cd "$(dirname "$0")/.."

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
else
    compose=(docker-compose)
fi
project="jwtpair-smoke"
compose+=(-p "$project")
auth=http://127.0.0.1:${AUTH_PORT:-8081}
items=http://127.0.0.1:${ITEMS_PORT:-8082}
started=$(date +%s)

# The override files merge with the stack as their comments say (their
# images are pulled only when used, which these machines cannot).
for override in docker-compose.postgres.yml docker-compose.mail.yml; do
    POSTGRES_PASSWORD=checked "${compose[@]}" -f docker-compose.yml -f "$override" config -q ||
        fail "docker-compose.yml with $override is not a valid file"
done

cleanup() {
    local status=$?
    if [ "$status" -ne 0 ]; then
        echo "compose-smoke: FAILED; service logs follow" >&2
        "${compose[@]}" logs --no-color --tail 50 >&2 || true
    fi
    "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    exit "$status"
}
trap cleanup EXIT

fail() {
    echo "compose-smoke: $*" >&2
    exit 1
}

wait_ready() {
    for _ in $(seq 1 120); do
        if curl -fsS "$auth/health/ready" >/dev/null 2>&1 && curl -fsS "$items/health/ready" >/dev/null 2>&1; then
            return 0
        fi
        sleep 1
    done
    fail "the services were not ready within 120 s"
}

# expect STATUS METHOD URL [curl args...]: runs curl, checks the status, prints the body.
expect() {
    local want=$1 method=$2 url=$3 body status
    shift 3
    body=$(curl -sS -o - -w '\n%{http_code}' -X "$method" "$url" "$@")
    status=${body##*$'\n'}
    body=${body%$'\n'*}
    [ "$status" = "$want" ] || fail "$method $url answered $status, expected $want: $body"
    printf '%s' "$body"
}

json_field() {
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

echo "compose-smoke: building and starting ($("${compose[@]}" version --short 2>/dev/null || true))"
"${compose[@]}" up -d --build
wait_ready
echo "compose-smoke: ready after $(( $(date +%s) - started )) s"

user="smoke$RANDOM"
credentials="{\"username\": \"$user\", \"password\": \"smoke-test-passphrase\"}"
expect 201 POST "$auth/v1/users" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
token=$(expect 200 POST "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" | json_field access_token)
created=$(expect 201 POST "$items/item/item1" -H "Authorization: JWT $token" \
    -H 'Content-Type: application/json' -d '{"price": 15.99}')
[ "$created" = '{"name":"item1","price":15.99}' ] || fail "unexpected POST body: $created"
fetched=$(expect 200 GET "$items/item/item1" -H "Authorization: JWT $token")
[ "$fetched" = '{"item":{"name":"item1","price":15.99}}' ] || fail "unexpected GET body: $fetched"
expect 401 GET "$items/item/item1" >/dev/null
echo "compose-smoke: register, POST /auth, POST and GET /item/item1 passed"

# The first admin, from the command line inside the running container.
"${compose[@]}" exec -T auth-service auth-service users grant "$user" auth:admin
scope=$(expect 200 POST "$auth/v1/token" -d grant_type=password -d "username=$user" \
    -d password=smoke-test-passphrase | json_field scope)
[ "$scope" = "items:read items:write auth:admin" ] || fail "after users grant the scope is: $scope"
echo "compose-smoke: users grant made the first admin in the running container"
console=$(expect 200 GET "$auth/admin/")
grep -q 'src="console.js"' <<<"$console" || fail "GET /admin/ is not the console: $console"
expect 200 GET "$auth/admin/console.js" >/dev/null
echo "compose-smoke: the admin console is served from the image's binary"

echo "compose-smoke: restarting the stack"
"${compose[@]}" stop
"${compose[@]}" up -d
wait_ready
fetched=$(expect 200 GET "$items/item/item1" -H "Authorization: JWT $token")
[ "$fetched" = '{"item":{"name":"item1","price":15.99}}' ] || fail "after restart: $fetched"
expect 200 POST "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
echo "compose-smoke: the user, the item and the token survived the restart"

echo "compose-smoke: starting afresh with the operator's own JWT_SECRET"
"${compose[@]}" down -v >/dev/null 2>&1
own_secret="operator-secret-$(date +%s%N)-0123456789abcdef"
JWT_SECRET=$own_secret "${compose[@]}" up -d
wait_ready
in_use=$("${compose[@]}" exec -T items-service cat /items-keys/jwt_secret)
[ "$in_use" = "$own_secret" ] || fail "JWT_SECRET did not override the generated secret"
expect 201 POST "$auth/v1/users" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
token=$(expect 200 POST "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" | json_field access_token)
expect 404 GET "$items/item/item1" -H "Authorization: JWT $token" >/dev/null
echo "compose-smoke: JWT_SECRET overrides the generated secret"

# login: an access token for $credentials.
login() {
    expect 200 POST "$auth/auth" -H 'Content-Type: application/json' -d "$credentials" | json_field access_token
}

kid_of() {
    python3 -c 'import base64, json, sys; h = sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["kid"])' "$1"
}

# The published keys of an algorithm (default: $JWT_ALGORITHM); beside
# EdDSA's, the set holds the ES256 key of ID tokens.
published_keys() {
    expect 200 GET "$auth/.well-known/jwks.json" |
        python3 -c 'import json, sys; print(sum(k["alg"] == sys.argv[1] for k in json.load(sys.stdin)["keys"]))' \
            "${1:-$JWT_ALGORITHM}"
}

# Key files are re-read every second: after this, every service has them.
reload_wait() { sleep 3; }

for algorithm in EdDSA ES256; do
    echo "compose-smoke: JWT_ALGORITHM=$algorithm with no other setting"
    "${compose[@]}" down -v >/dev/null 2>&1
    export JWT_ALGORITHM=$algorithm
    "${compose[@]}" up -d
    wait_ready
    expect 201 POST "$auth/v1/users" -H 'Content-Type: application/json' -d "$credentials" >/dev/null
    token=$(login)
    header=$(python3 -c 'import base64, json, sys; h = sys.argv[1].split(".")[0]; print(json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["alg"])' "$token")
    [ "$header" = "$algorithm" ] || fail "tokens are signed with $header, not $algorithm"
    expect 201 POST "$items/item/item1" -H "Authorization: JWT $token" \
        -H 'Content-Type: application/json' -d '{"price": 15.99}' >/dev/null
    [ "$(published_keys)" = 1 ] || fail "the JWK Set should hold one key"
    [ "$(published_keys ES256)" = 1 ] || fail "the JWK Set should hold the ID token key"
    given=$("${compose[@]}" exec -T items-service ls /items-keys | sort | tr '\n' ' ')
    [ "$given" = "items.toml jwks.json " ] || fail "items-service was given: $given"
    "${compose[@]}" exec -T items-service sh -c 'grep -l PRIVATE -r /items-keys' &&
        fail "items-service can read a private key"
    echo "compose-smoke: $algorithm tokens verify on items-service, which holds only the JWK Set"
done

echo "compose-smoke: rotating the ES256 key as docs/operations.md says"
first=$(login)
rotate() { "${compose[@]}" run --rm jwt-keys keys "$1" /secrets /items-keys; }
rotate next
reload_wait
[ "$(published_keys)" = 2 ] || fail "the next key is not published"
[ "$(kid_of "$(login)")" = "$(kid_of "$first")" ] || fail "the next key signed before activation"
expect 200 GET "$items/item/item1" -H "Authorization: JWT $first" >/dev/null
rotate activate
reload_wait
second=$(login)
[ "$(kid_of "$second")" != "$(kid_of "$first")" ] || fail "the next key does not sign"
expect 200 GET "$items/item/item1" -H "Authorization: JWT $first" >/dev/null
expect 200 GET "$items/item/item1" -H "Authorization: JWT $second" >/dev/null
rotate retire
reload_wait
[ "$(published_keys)" = 1 ] || fail "the old key was not retired"
expect 200 GET "$items/item/item1" -H "Authorization: JWT $second" >/dev/null
expect 401 GET "$items/item/item1" -H "Authorization: JWT $first" >/dev/null
unset JWT_ALGORITHM
echo "compose-smoke: the rotation refused no token before the old key was retired"
echo "compose-smoke: passed in $(( $(date +%s) - started )) s"
