#!/usr/bin/env bash
# GraphiQL in headless Chromium with the network unreachable (see graphiql.mjs). Needs Debian's
# chromium (/usr/bin/chromium, or $CHROMIUM) and, on the first run, the npm registry.
# From the repository root: bash tests/node/graphiql.sh [SCREENSHOT.png]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
(cd "$here" && { [ -d node_modules/playwright-core ] || npm install --no-audit --no-fund --silent; })
. "$here/serve.sh"
node "$here/graphiql.mjs" "http://127.0.0.1:$port" "${1:-$(mktemp -d)/graphiql.png}"
