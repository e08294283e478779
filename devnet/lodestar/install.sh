#!/usr/bin/env bash
# Install the REAL Lodestar beacon node (@chainsafe/lodestar 1.5.1, Capella) used by the local
# devnet (src/devnet) into devnet/lodestar/node_modules, apart from the main package so its old
# dependency tree never mixes with ours.
#
# - `npm ci` from the committed package-lock.json (every package from the npm registry; no git
#   URLs). package.json `overrides` pin all @lodestar/* to 1.5.1 and mortice 3.0.6,
#   @multiformats/multiaddr 11.6.1, @multiformats/mafmt 11.1.2 (newer ones break 1.5.1).
#   Install scripts DO run: native addons (@chainsafe/blst, bcrypto, c-kzg, classic-level, snappy,
#   gc-stats) are built with node-gyp against the machine's Node headers (~2 min cold).
# - then patch-lodestar.mjs (mock execution engine fixes; see that file).
# Idempotent: does nothing when the stamp matches package.json + package-lock.json + the patch.
# Usage: bash devnet/lodestar/install.sh        (FORCE=1 to reinstall)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
trap 'echo "lodestar devnet: INSTALL FAILED (line $LINENO). Fix the error above and re-run: bash $(pwd)/install.sh" >&2' ERR
stamp=node_modules/.rpdvt-install-stamp
want="$(cat package.json package-lock.json patch-lodestar.mjs | sha256sum | cut -d' ' -f1)"
if [[ -z "${FORCE:-}" && -f "$stamp" && "$(cat "$stamp")" == "$want" && -x node_modules/.bin/lodestar ]]; then
  echo "lodestar devnet: already installed ($(pwd)/node_modules)"
  exit 0
fi
start=$(date +%s)
echo "lodestar devnet: npm ci @chainsafe/lodestar@1.5.1 into $(pwd)/node_modules (native builds, ~2 min cold)"
rm -f "$stamp"
npm ci --no-audit --no-fund --loglevel=error
echo "lodestar devnet: applying the mock execution engine patch"
node patch-lodestar.mjs
echo "lodestar devnet: checking the binary"
version="$(node_modules/.bin/lodestar --version 2>/dev/null | tr -d '\r' | grep -Eo '[0-9]+\.[0-9]+\.[0-9]+' | head -1 || true)"
if [[ "$version" != "1.5.1" ]]; then
  echo "lodestar devnet: expected lodestar 1.5.1, node_modules/.bin/lodestar --version says '${version:-nothing}'" >&2
  exit 1
fi
echo "$want" > "$stamp"
echo "lodestar devnet: installed lodestar $version in $(( $(date +%s) - start )) s"
