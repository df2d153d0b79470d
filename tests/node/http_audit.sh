#!/usr/bin/env bash
# graphql-http's server audit (the GraphQL over HTTP spec's conformance suite) against
# `duban serve` on a fresh embedded database. Fails when any MUST audit fails; prints the
# SHOULD and MAY counts. Needs Node.js ≥ 18 and, on the first run, the npm registry.
# From the repository root: bash tests/node/http_audit.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here" && { [ -d node_modules/graphql-http ] || npm install --no-audit --no-fund --silent; })
. "$here/serve.sh"
node "$here/http_audit.mjs" "http://127.0.0.1:$port/graphql" leader leader-demo
