#!/usr/bin/env bash
# graphql-http's server audit (the GraphQL over HTTP spec's conformance suite) against
# `duban serve` on a fresh embedded database. Fails when any MUST audit fails; prints the
# SHOULD and MAY counts. Needs Node.js ≥ 18 and the npm registry (first run) — run from the
# repository root: bash tests/http_audit/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
[ -d node_modules/graphql-http ] || npm install --no-audit --no-fund --silent
cd "$root"
cargo build --quiet --bin duban
data="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
DUBAN_DATA_DIR="$data" ./target/debug/duban serve --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
# The first start on an empty embedded database loads the demo data and accounts.
node "$here/audit.mjs" "http://127.0.0.1:$port/graphql" leader leader-demo
