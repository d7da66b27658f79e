#!/usr/bin/env bash
# Account recovery end to end: auth-service sends its mail to aiosmtpd (an
# SMTP server from PyPI, storing each message in a Maildir), and headless
# Chromium follows the links a user would (recovery-check.mjs). The
# screenshots of the recovery pages go to docs/screenshots/ (commit them
# when the pages change). Needs chromium, node, npm, curl, python3 with
# venv. Usage: scripts/recovery-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/python-venv.sh
source scripts/services.sh
[ -d target/playwright/node_modules/playwright-core ] ||
    npm install --prefix target/playwright --no-audit --no-fund --silent playwright-core@1

auth_port=${RECOVERY_AUTH_PORT:-18151}
items_port=${RECOVERY_ITEMS_PORT:-18152}
smtp_port=${RECOVERY_SMTP_PORT:-18153}
maildir=$services_work/maildir
"$venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$smtp_port" \
    -c aiosmtpd.handlers.Mailbox "$maildir" >"$services_work/smtp.log" 2>&1 &
services_pids+=($!)
for _ in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$smtp_port") 2>/dev/null && break
    sleep 0.1
done

export AUTH__MAIL__SMTP_URL=smtp://127.0.0.1:$smtp_port
export AUTH__MAIL__FROM="Accounts <accounts@example.com>"
export AUTH__SERVER__PUBLIC_URL=http://127.0.0.1:$auth_port
start_services "$auth_port" "$items_port"

mkdir -p docs/screenshots
cp scripts/chromium.mjs scripts/recovery-check.mjs target/playwright/
node target/playwright/recovery-check.mjs "$auth" "$maildir" "$PWD/docs/screenshots"
if services_panicked; then
    echo "a service panicked" >&2
    exit 1
fi
