#!/usr/bin/env bash
# The interactive docs in headless Chromium (Debian's chromium package):
# auth-service's and items-service's /docs/ load with no failed request and
# nothing fetched from another host; on items-service, authorising with a
# token in the page and calling GET /v1/items from it works.
# Installs playwright-core with npm into target/playwright when absent.
# Needs chromium, node, npm, curl, python3. Usage: scripts/docs-check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/services.sh

[ -d target/playwright/node_modules/playwright-core ] ||
    npm install --prefix target/playwright --no-audit --no-fund --silent playwright-core@1

start_services "${DOCS_AUTH_PORT:-18111}" "${DOCS_ITEMS_PORT:-18112}"
# Beside its node_modules, the script finds playwright-core.
cp scripts/chromium.mjs scripts/docs-check.mjs target/playwright/
node target/playwright/docs-check.mjs "$auth"
node target/playwright/docs-check.mjs "$items" "$token"
echo "docs-check: passed"
