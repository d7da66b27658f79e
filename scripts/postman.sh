#!/usr/bin/env bash
# Runs the Postman collection (postman/) with newman against both services,
# started from this checkout on fresh SQLite files; fails on any failed
# assertion. Installs newman with npm into target/newman when absent.
# Needs node, npm, curl, python3. Usage: scripts/postman.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

newman=target/newman/node_modules/.bin/newman
[ -x "$newman" ] || npm install --prefix target/newman --no-audit --no-fund --silent newman@6

start_services "${POSTMAN_AUTH_PORT:-18101}" "${POSTMAN_ITEMS_PORT:-18102}"
"$newman" run postman/jwt-auth-pair.postman_collection.json \
    --env-var "auth_url=$auth" --env-var "items_url=$items" \
    --env-var "admin_username=scripted" --env-var "admin_password=scripted-run-passphrase" \
    --color off --bail failure
