#!/usr/bin/env bash
# Installs Debian's chromium for test/e2e/dashboard-browser.test.ts (idempotent; Debian packages
# only — playwright-core drives it via executablePath, never `npx playwright install`).
set -euo pipefail
command -v chromium >/dev/null 2>&1 || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium)
chromium --version
