#!/usr/bin/env bash
# What a duban request costs before and as it grows: server and PostgreSQL CPU per request
# for a ladder of queries, from one that touches nothing (`{ __typename }`) to the page of
# bench/run.sh's (a) (50 tasks with their assignments and agency names). The fixed cost of a
# request (HTTP, parsing, validation, the answer) and the cost per resolved field follow from
# the ladder; bench/README.md ("The floor") reads the ⅓-of-PostGraphile target against them.
#
#   SKIP_BUILD=1 DUBAN_BIN=/work/target-bench/release/duban bench/floor.sh
#
# Env: DUBAN_BIN, PGURL (default postgres://postgres@127.0.0.1:5432), CONNS (16),
# DURATION (15s), WARMUP (3s), PORT (18191). Needs wrk and psql; uses the seeded demo plans
# (`duban seed --without-activity`) in a database of its own, dropped at the end.
set -euo pipefail
BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
DB=duban_floor
CONNS=${CONNS:-16}; DURATION=${DURATION:-15s}; WARMUP=${WARMUP:-3s}; PORT=${PORT:-18191}
DUBAN_BIN=${DUBAN_BIN:-/work/target-bench/release/duban}
if [ -z "${SKIP_BUILD:-}" ]; then
  (cd "$REPO" && CARGO_TARGET_DIR=/work/target-bench cargo build --release --bin duban)
fi
command -v wrk >/dev/null || apt-get install -y -qq wrk >/dev/null
HZ=$(getconf CLK_TCK)

psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
export DATABASE_URL="$PGURL/$DB" DUBAN_JWT_SECRET=floor-bench-secret-0123456789abcdef
DATA=$(mktemp -d); export DUBAN_DATA_DIR=$DATA RUST_LOG=warn
"$DUBAN_BIN" migrate >/dev/null
"$DUBAN_BIN" seed --without-activity >/dev/null
"$DUBAN_BIN" serve --addr "127.0.0.1:$PORT" --remind-every 0 >"$DATA/serve.log" 2>&1 &
PID=$!
cleanup() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; rm -rf "$DATA";
  psql -q "$PGURL/postgres" -c "DROP DATABASE IF EXISTS $DB" || true; }
trap cleanup EXIT
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s "http://127.0.0.1:$PORT/graphql" -H 'Content-Type: application/json' \
  -d '{"query":"mutation{ login(username:\"office\", password:\"office-demo\"){ token } }"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
export TOKEN

pg_snap() { local p; for p in $(pgrep -f "^postgres: (.*: )?[a-z]+ $DB "); do
  echo "$p $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)"; done; }
pg_delta() { awk 'NR == FNR { a[$1] = $2; next } { t += $2 - ($1 in a ? a[$1] : 0) } END { print t + 0 }' "$1" "$2"; }
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }

declare -a NAMES=(typename one_field two_fields assignments page)
declare -A BODY=(
  [typename]='{"query":"{ __typename }"}'
  [one_field]='{"query":"{ tasks(first: 50) { nodes { code } } }"}'
  [two_fields]='{"query":"{ tasks(first: 50) { nodes { code title } } }"}'
  [assignments]='{"query":"{ tasks(first: 50) { nodes { code title assignments { role } } } }"}'
  [page]='{"query":"{ tasks(first: 50) { nodes { code title assignments { role agency { name } } } } }"}'
)
printf 'query\tfields\treq_s\tp50_ms\tserver_ms_req\tpg_ms_req\n'
for q in "${NAMES[@]}"; do
  body=${BODY[$q]}
  fields=$(curl -s "http://127.0.0.1:$PORT/graphql" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" -d "$body" | python3 -c '
import json, sys
def count(v):  # resolved fields: every key of every object in the answer
    if isinstance(v, dict): return len(v) + sum(count(x) for x in v.values())
    if isinstance(v, list): return sum(count(x) for x in v)
    return 0
a = json.load(sys.stdin); assert "errors" not in a, a; print(count(a["data"]))')
  BODY=$body wrk -t2 -c"$CONNS" -d"$WARMUP" -s "$BENCH_DIR/body.lua" "http://127.0.0.1:$PORT" >/dev/null
  s0=$(ticks); pg_snap >"$DATA/pg0"
  out=$(BODY=$body wrk -t2 -c"$CONNS" -d"$DURATION" -s "$BENCH_DIR/body.lua" "http://127.0.0.1:$PORT" | grep '^BENCH')
  s1=$(ticks); pg_snap >"$DATA/pg1"
  get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $out"; }
  n=$(get requests); [ "$(get bad)" = 0 ] || { echo "$q: bad answers: $out"; exit 1; }
  p=$(pg_delta "$DATA/pg0" "$DATA/pg1")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$q" "$fields" "$(get rps)" "$(get p50_ms)" \
    "$(awk -v a="$s0" -v b="$s1" -v h="$HZ" -v n="$n" 'BEGIN{printf "%.3f", (b-a)/h/n*1000}')" \
    "$(awk -v p="$p" -v h="$HZ" -v n="$n" 'BEGIN{printf "%.3f", p/h/n*1000}')"
done
echo "duban $(cd "$REPO" && git rev-parse --short HEAD), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
