#!/usr/bin/env bash
# Schema-driven fuzzing: schemathesis (PyPI) against each service's
# /openapi.json, authenticated, with every check (no 5xx, responses that
# match the document, invalid inputs refused, stateful sequences);
# schemathesis.toml lists the answers a schema cannot foresee.
# Installs schemathesis into target/schemathesis (a venv) when absent.
# Needs python3 with venv, curl. Usage: scripts/schemathesis.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

examples=${1:-100}
st=target/schemathesis/bin/schemathesis
if [ ! -x "$st" ]; then
    python3 -m venv target/schemathesis
    target/schemathesis/bin/pip install -q 'schemathesis==4.*'
fi

# Mail on, so that the recovery endpoints answer as deployed (not 404); to a
# port nobody serves: a send fails at once, is counted, and shows nowhere.
export AUTH__MAIL__SMTP_URL=smtp://127.0.0.1:${ST_SMTP_PORT:-18129} AUTH__MAIL__FROM=st@example.com
export AUTH__MAIL__RETRIES=0
start_services "${ST_AUTH_PORT:-18121}" "${ST_ITEMS_PORT:-18122}"
for base in "$items" "$auth"; do
    echo "schemathesis: $base/openapi.json"
    "$st" --config-file schemathesis.toml run "$base/openapi.json" --url "$base" \
        --checks all --header "Authorization: Bearer $token" \
        --max-examples "$examples" --seed 1 --no-color
done
if services_panicked >&2; then
    exit 1
fi
echo "schemathesis: passed"
