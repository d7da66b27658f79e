#!/usr/bin/env bash
# Verifiers nobody here wrote, each given only the issuer's discovery URL:
# PyJWT's PyJWKClient (and authlib, which finds the token and revocation
# endpoints in the RFC 8414 metadata, logs in, revokes a refresh token with
# its standard call, gets a service client's token by client credentials and
# introspects with it, and raises on a throttled login) and Node's jose
# (createRemoteJWKSet). For
# EdDSA and ES256: our tokens verify; tokens signed by a key not in the set
# are refused; the same through a rotation run with `auth-service keys`
# (next, activate, retire), after which the old key's tokens are refused.
# Installs the libraries (versions pinned in scripts/foreign-verifiers/)
# into target/foreign-verifiers when absent. Needs python3 with venv, node,
# npm, curl. Usage: scripts/foreign-verifiers.sh
set -euo pipefail
cd "$(dirname "$0")/.."

work=target/foreign-verifiers
source scripts/python-venv.sh
python=$venv/bin/python
if ! cmp -s scripts/foreign-verifiers/package.json "$work/node/package.json"; then
    mkdir -p "$work/node"
    cp scripts/foreign-verifiers/package.json "$work/node/"
    npm install --prefix "$work/node" --no-audit --no-fund --silent
fi
# Beside its node_modules, where Node resolves `jose`.
cp scripts/foreign-verifiers/verify.mjs "$work/node/"

cargo build -q -p auth-service
port=${FOREIGN_AUTH_PORT:-18131}
base=http://127.0.0.1:$port
run=$(mktemp -d)
pid=
finish() {
    local status=$?
    [ -z "$pid" ] || kill "$pid" 2>/dev/null || true
    [ "$status" -eq 0 ] || tail -n 20 "$run"/*/auth.log >&2 2>/dev/null || true
    rm -rf "$run"
    exit "$status"
}
trap finish EXIT

for algorithm in EdDSA ES256; do
    dir=$run/$algorithm
    mkdir -p "$dir/auth" "$dir/items"
    keys() { JWT_ALGORITHM=$algorithm target/debug/auth-service keys "$1" "$dir/auth" "$dir/items" >/dev/null; }
    keys init
    # The issuer is the public URL, as RFC 8414 verifiers expect.
    export AUTH__DATABASE__URL="sqlite://$dir/auth.db" AUTH__SERVER__ADMIN_SOCKET=$dir/admin.sock
    AUTH_CONFIG_FILE=$dir/auth/auth.toml AUTH__SERVER__PORT=$port AUTH__SERVER__PUBLIC_URL=$base \
        JWT_ISSUER=$base RUST_LOG=warn \
        target/debug/auth-service >"$dir/auth.log" 2>&1 &
    pid=$!
    for _ in $(seq 1 100); do
        curl -fs "$base/health/ready" >/dev/null 2>&1 && break
        sleep 0.1
    done
    # The admin that registers the service client (verify.py's ADMIN).
    curl -fsS "$base/v1/users" -H 'Content-Type: application/json' \
        -d '{"username": "foreign-admin", "password": "foreign-admin-passphrase"}' >/dev/null
    AUTH_CONFIG_FILE=$dir/auth/auth.toml target/debug/auth-service users grant foreign-admin auth:admin >/dev/null
    oauth=$base/.well-known/oauth-authorization-server
    openid=$base/.well-known/openid-configuration
    node=(node "$work/node/verify.mjs" "$openid" "$algorithm")

    first=$("$python" scripts/foreign-verifiers/verify.py "$oauth" "$algorithm" first)
    "${node[@]}" "$first"

    # Key files are re-read every second.
    keys next
    sleep 2
    keys activate
    sleep 2
    second=$("$python" scripts/foreign-verifiers/verify.py "$oauth" "$algorithm" rotated "$first")
    "${node[@]}" "$second"
    "${node[@]}" "$first"

    keys retire
    sleep 2
    "$python" scripts/foreign-verifiers/verify.py "$oauth" "$algorithm" retired "$first" "$second"
    "${node[@]}" "$second" "$first"

    kill "$pid"
    wait "$pid" 2>/dev/null || true
    pid=
done
echo "foreign-verifiers: passed"
