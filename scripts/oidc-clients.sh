#!/usr/bin/env bash
# Sign-in with clients nobody here wrote (versions pinned in
# scripts/oidc-clients/ and scripts/foreign-verifiers/requirements.txt):
# - oidc-client-ts in a single-page app on its own origin, in headless
#   Chromium: the code flow with PKCE through the sign-in page, then
#   items-service called with the token across origins (spa.mjs; it also
#   takes docs/screenshots/sign-in*.png);
# - openid-client (Node), a public client, the page driven in Chromium
#   (flow.mjs); authlib (Python), a confidential client, the page driven over
#   HTTP (flow.py), registered for RS256 ID tokens: PKCE, nonce, RFC 9207
#   iss, the ID token checked against the JWK Set, userinfo.
# JWT_ISSUER is the public URL, as relying parties require. Needs chromium,
# node, npm, python3 with venv, curl. Usage: scripts/oidc-clients.sh
set -euo pipefail
cd "$(dirname "$0")/.."

node_work=target/oidc-clients
if ! cmp -s scripts/oidc-clients/package.json "$node_work/package.json"; then
    mkdir -p "$node_work"
    cp scripts/oidc-clients/package.json "$node_work/"
    npm install --prefix "$node_work" --no-audit --no-fund --silent
fi
cp scripts/chromium.mjs scripts/oidc-clients/flow.mjs scripts/oidc-clients/spa.mjs "$node_work/"
source scripts/python-venv.sh

source scripts/services.sh
auth_port=${OIDC_AUTH_PORT:-18141}
items_port=${OIDC_ITEMS_PORT:-18142}
spa_port=${OIDC_SPA_PORT:-18143}
spa=http://127.0.0.1:$spa_port
export JWT_ISSUER=http://127.0.0.1:$auth_port AUTH__SERVER__PUBLIC_URL=http://127.0.0.1:$auth_port
export AUTH__CORS__ALLOWED_ORIGINS=$spa ITEMS__CORS__ALLOWED_ORIGINS=$spa
# Writes need a second factor, signed in within the last 5 seconds.
write_max_age=5
export ITEMS__AUTH__WRITE_ACR=aal2 ITEMS__AUTH__WRITE_MAX_AGE=$write_max_age
# The RS256 ID token pair, as compose's one-shot makes it.
cargo build -q -p auth-service
key_dirs=$(mktemp -d)
mkdir -p "$key_dirs/auth" "$key_dirs/items"
target/debug/auth-service keys init "$key_dirs/auth" "$key_dirs/items" >/dev/null
export AUTH__OIDC__RS256_KEY_FILE=$key_dirs/auth/id-token-rs256.private.pem
export AUTH__OIDC__RS256_PUBLIC_KEY_FILE=$key_dirs/auth/id-token-rs256.public.pem
start_services "$auth_port" "$items_port"

register() {
    curl -fsS "$auth/v1/admin/clients" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d "$1"
}
field() { python3 -c "import json, sys; print(json.load(sys.stdin)['$1'])"; }
user='{"username": "alice", "password": "alice-signs-in-with-apps"}'
curl -fsS "$auth/v1/users" -H 'Content-Type: application/json' -d "$user" >/dev/null
# bob enrols a TOTP authenticator: the codes are oathtool's.
bob='{"username": "bob", "password": "alice-signs-in-with-apps"}'
curl -fsS "$auth/v1/users" -H 'Content-Type: application/json' -d "$bob" >/dev/null
bob_token=$(curl -fsS "$auth/v1/token" -d grant_type=password -d username=bob \
    -d password=alice-signs-in-with-apps | field access_token)
bob_secret=$(curl -fsS -X POST "$auth/v1/me/mfa/totp" -H "Authorization: Bearer $bob_token" |
    field secret)
curl -fsS "$auth/v1/me/mfa/totp/confirm" -H "Authorization: Bearer $bob_token" \
    -H 'Content-Type: application/json' -d "{\"code\": \"$(oathtool --totp -b "$bob_secret")\"}" >/dev/null
spa_client=$(register "{\"name\": \"Notes (single-page app)\", \"scopes\": [\"items:read\", \"items:write\"],
    \"public\": true, \"grant_types\": [\"authorization_code\", \"refresh_token\"],
    \"redirect_uris\": [\"$spa/callback.html\"]}" | field client_id)
node_client=$(register '{"name": "Node app", "scopes": ["items:read"], "public": true,
    "grant_types": ["authorization_code"], "redirect_uris": ["http://127.0.0.1/node-callback"]}' |
    field client_id)
python_answer=$(register '{"name": "Python web app", "scopes": ["items:read"],
    "grant_types": ["authorization_code", "refresh_token"], "id_token_signed_response_alg": "RS256",
    "redirect_uris": ["http://127.0.0.1:8765/python-callback"]}')
python_client=$(echo "$python_answer" | field client_id)
python_secret=$(echo "$python_answer" | field client_secret)

spa_files=$(mktemp -d)
cp scripts/oidc-clients/spa/*.html "$node_work/node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js" "$spa_files/"
cat >"$spa_files/config.js" <<CONFIG
const settings = { authority: "$auth", client_id: "$spa_client",
  redirect_uri: location.origin + "/callback.html", scope: "openid profile items:read items:write",
  response_type: "code" };
const items = "$items";
const writeAfterMs = $(( (write_max_age + 1) * 1000 ));
CONFIG
python3 -m http.server "$spa_port" --bind 127.0.0.1 --directory "$spa_files" >/dev/null 2>&1 &
services_pids+=($!)
for _ in $(seq 1 50); do curl -fs "$spa/index.html" >/dev/null 2>&1 && break; sleep 0.1; done

mkdir -p docs/screenshots
node "$node_work/spa.mjs" "$spa" alice alice-signs-in-with-apps "$PWD/docs/screenshots" \
    bob "$bob_secret"
node "$node_work/flow.mjs" "$auth" "$node_client" http://127.0.0.1/node-callback alice \
    alice-signs-in-with-apps
"$venv/bin/python" scripts/oidc-clients/flow.py "$auth" "$python_client" "$python_secret" \
    http://127.0.0.1:8765/python-callback alice alice-signs-in-with-apps RS256
rm -rf "$spa_files" "$key_dirs"
if services_panicked; then echo "a service panicked" >&2; exit 1; fi
