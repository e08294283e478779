#!/usr/bin/env bash
# Install the ssv-keys interop harness (SSV's own npm package ssv-keys@1.1.0 and its old, heavy
# dependency tree) into test/interop/ssv-keys/node_modules, apart from the main package.
# Idempotent: does nothing when the installed tree matches package-lock.json.
# `overrides` in package.json pin prompts@2.4.2 (ssv-keys names a git URL for it) and
# js-base64@3.7.5. Install scripts are not run (none is needed to validate keyshares).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
stamp=node_modules/.rpdvt-install-stamp
want="$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f node_modules/ssv-keys/package.json ]]; then
  echo "ssv-keys harness: already installed"
  exit 0
fi
echo "ssv-keys harness: installing ssv-keys@1.1.0 into $(pwd)/node_modules"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
node -e 'const v=require("ssv-keys/package.json").version; if (v!=="1.1.0") { console.error("ssv-keys harness: got ssv-keys "+v+", expected 1.1.0"); process.exit(1); }'
echo "$want" > "$stamp"
echo "ssv-keys harness: installed"
