#!/usr/bin/env bash
# duban vs PostGraphile on the same PostgreSQL and data. See bench/README.md.
#
#   bench/run.sh                 # wait for idle compilers, build, load data, measure, drop the db
#   SKIP_WAIT=1 SKIP_BUILD=1 DURATION=5s CONNS=16 bench/run.sh   # quick smoke run
#
# Env knobs: DUBAN_BIN, NODE_DIR, PGHOST/PGPORT/PGUSER, DB, COPIES, DURATION, WARMUP,
# CONNS, THREADS, KEEP_DB=1 (leave duban_bench), OUT (folder for raw wrk output).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${DB:-duban_bench}
DB_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
DUBAN_BIN=${DUBAN_BIN:-$TARGET_DIR/release/duban}
NODE_DIR=${NODE_DIR:-/work/pgbench-node}
COPIES=${COPIES:-56}          # 1 + 56 copies of the 5 seeded plans ≈ 20k tasks, 69k assignments
DURATION=${DURATION:-25s}
WARMUP=${WARMUP:-5s}
CONNS=${CONNS:-"16 64"}
THREADS=${THREADS:-2}
QUERIES=${QUERIES:-"page task filter"}
DUBAN_PORT=${DUBAN_PORT:-18181}
PG_PORT=${PG_PORT:-5000}
OUT=${OUT:-/tmp/duban-bench-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/duban-bench-work.XXXXXX)   # duban's data dir and cwd (never the repo)

log() { printf '\n== %s %s\n' "$(date -u +%T)" "$*" >&2; }

PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  if [ "${KEEP_DB:-0}" != 1 ]; then dropdb --if-exists "$DB" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# ---------------------------------------------------------------- tools
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
if [ ! -x "$NODE_DIR/node_modules/postgraphile/cli.js" ] && [ ! -f "$NODE_DIR/node_modules/postgraphile/cli.js" ]; then
  log "installing PostGraphile 4 into $NODE_DIR"
  mkdir -p "$NODE_DIR"
  (cd "$NODE_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund postgraphile@4 postgraphile-plugin-connection-filter@2)
fi

# ---------------------------------------------------------------- build
if [ "${SKIP_WAIT:-0}" != 1 ]; then
  log "waiting until no rustc/cargo has run for 60 s"
  "$BENCH_DIR/wait_idle.sh" | tee "$OUT/wait.log" >&2 || echo "NOTE: measured while compilers were still active" | tee -a "$OUT/wait.log" >&2
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "cargo build --release (CARGO_TARGET_DIR=$TARGET_DIR)"
  (cd "$REPO" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --bin duban)
fi

# ---------------------------------------------------------------- data
log "creating $DB and seeding it through duban"
dropdb --if-exists "$DB"
createdb "$DB"
(cd "$WORK" && DATABASE_URL="$DB_URL" DUBAN_DATA_DIR="$WORK/data" RUST_LOG=warn "$DUBAN_BIN" seed)
log "multiplying plans/tasks/assignments x$((COPIES + 1))"
psql -q -d "$DB" -v k="$COPIES" -f "$BENCH_DIR/multiply.sql" | tee "$OUT/data.txt" >&2
MAX_TASK_ID=$(psql -tA -d "$DB" -c "select max(id) from task")
[ "$(psql -tA -d "$DB" -c "select count(*) from task")" = "$MAX_TASK_ID" ] || { echo "task ids are not 1..max" >&2; exit 1; }

# ---------------------------------------------------------------- servers
log "starting duban on 127.0.0.1:$DUBAN_PORT"
(cd "$WORK" && exec env DATABASE_URL="$DB_URL" DUBAN_DATA_DIR="$WORK/data" \
  DUBAN_JWT_SECRET=bench-only-secret-0123456789abcdef0123 \
  "$DUBAN_BIN" serve --addr "127.0.0.1:$DUBAN_PORT" --remind-every 0) >"$OUT/duban.log" 2>&1 &
DUBAN_PID=$!; PIDS+=("$DUBAN_PID")

log "starting PostGraphile on 127.0.0.1:$PG_PORT"
(cd "$WORK" && exec env NODE_ENV=production node "$NODE_DIR/node_modules/postgraphile/cli.js" \
  -c "$DB_URL" --schema public --host 127.0.0.1 --port "$PG_PORT" --disable-query-log \
  --append-plugins postgraphile-plugin-connection-filter) >"$OUT/postgraphile.log" 2>&1 &
PG_PID=$!; PIDS+=("$PG_PID")

for i in $(seq 60); do
  curl -sf "http://127.0.0.1:$DUBAN_PORT/healthz" >/dev/null &&
    curl -sf "http://127.0.0.1:$PG_PORT/graphql" -H 'Content-Type: application/json' \
      -d '{"query":"{__typename}"}' >/dev/null && break
  [ "$i" = 60 ] && { echo "servers did not come up" >&2; tail "$OUT"/*.log >&2; exit 1; }
  sleep 1
done

TOKEN=$(curl -sf "http://127.0.0.1:$DUBAN_PORT/graphql" -H 'Content-Type: application/json' \
  -d '{"query":"mutation{ login(username:\"office\", password:\"office-demo\"){ token } }"}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])')
export TOKEN MAX_TASK_ID

log "verifying answers"
python3 "$BENCH_DIR/verify.py" "http://127.0.0.1:$DUBAN_PORT/graphql" "http://127.0.0.1:$PG_PORT/graphql" \
  "$TOKEN" "$MAX_TASK_ID" | tee "$OUT/verify.txt" >&2

# Statements per request: transactions committed in $DB (pg_stat_database) over N serial requests.
# Every statement outside an explicit transaction counts as one; PG15 flushes backend stats within ~10 s when idle, hence the sleeps.
xacts() { psql -tA -d "$DB" -c "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()"; }
N_PROBE=50
if [ "${PROBE:-1}" = 1 ]; then for engine in duban pg; do
  for q in $QUERIES; do
    if [ $engine = duban ]; then port=$DUBAN_PORT; else port=$PG_PORT; fi
    sleep 11; x0=$(xacts)
    python3 "$BENCH_DIR/verify.py" "http://127.0.0.1:$DUBAN_PORT/graphql" "http://127.0.0.1:$PG_PORT/graphql" \
      "$TOKEN" "$MAX_TASK_ID" --probe "$engine" "$q" "$N_PROBE"
    sleep 11; x1=$(xacts)
    echo "$engine $q: $(awk -v a="$x0" -v b="$x1" -v n="$N_PROBE" 'BEGIN{printf "%.1f", (b-a-1)/n}') transactions/request"
  done
done | tee "$OUT/xacts.txt" >&2; fi

# ---------------------------------------------------------------- load
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime of the server
pg_ticks() {  # PostgreSQL backends connected to $DB (a backend that exits mid-run is missed)
  local t=0; for p in $(pgrep -f "^postgres: (.*: )?$PGUSER $DB "); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t
}
busy_compilers() { pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null; }
HZ=$(getconf CLK_TCK)
RESULTS="$OUT/results.tsv"
printf 'engine\tquery\tconns\treq_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tbad\tsock_err\tserver_cpu\tpg_cpu\tcompiling\n' >"$RESULTS"

for q in $QUERIES; do
  for c in $CONNS; do
    for engine in duban pg; do
      if [ $engine = duban ]; then port=$DUBAN_PORT; pid=$DUBAN_PID; else port=$PG_PORT; pid=$PG_PID; fi
      script="$BENCH_DIR/${engine}_${q}.lua"
      log "$engine $q c=$c (warm-up $WARMUP, then $DURATION)"
      wrk -t"$THREADS" -c"$c" -d"$WARMUP" -s "$script" "http://127.0.0.1:$port" >"$OUT/${engine}_${q}_c${c}_warmup.txt" 2>&1
      s0=$(cpu_ticks "$pid"); p0=$(pg_ticks); t0=$(date +%s.%N)
      wrk -t"$THREADS" -c"$c" -d"$DURATION" --latency -s "$script" "http://127.0.0.1:$port" \
        >"$OUT/${engine}_${q}_c${c}.txt" 2>&1 &
      wrk_pid=$!; compiling=no
      while kill -0 "$wrk_pid" 2>/dev/null; do busy_compilers && compiling=yes; sleep 2; done
      wait "$wrk_pid"
      cat "$OUT/${engine}_${q}_c${c}.txt" >&2
      s1=$(cpu_ticks "$pid"); p1=$(pg_ticks); t1=$(date +%s.%N)
      line=$(grep '^BENCH' "$OUT/${engine}_${q}_c${c}.txt")
      get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
      scpu=$(awk -v a="$s0" -v b="$s1" -v h="$HZ" -v x="$t0" -v y="$t1" 'BEGIN{printf "%.2f", (b-a)/h/(y-x)}')
      pcpu=$(awk -v a="$p0" -v b="$p1" -v h="$HZ" -v x="$t0" -v y="$t1" 'BEGIN{printf "%.2f", (b-a)/h/(y-x)}')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$engine" "$q" "$c" \
        "$(get rps)" "$(get p50_ms)" "$(get p90_ms)" "$(get p99_ms)" "$(get max_ms)" "$(get bad)" "$(get sock_err)" \
        "$scpu" "$pcpu" "$compiling" >>"$RESULTS"
    done
  done
done

for p in $DUBAN_PID $PG_PID; do grep -E '^(Name|VmHWM)' "/proc/$p/status" | tr '\n' ' '; echo; done | tee "$OUT/memory.txt" >&2

# ---------------------------------------------------------------- report
{
  echo "duban $(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD -- . ':!bench' || echo '+uncommitted'), PostGraphile $(node -p "require('$NODE_DIR/node_modules/postgraphile/package.json').version"), $(psql -tA -c 'show server_version'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $(nproc) cores"
  echo "data: $(tail -n +1 "$OUT/data.txt" | grep -E '^ *[0-9]+ *\|' | tr -s ' ')  (plans | tasks | assignments | agencies)"
  echo "wrk -t$THREADS -d$DURATION --latency after a $WARMUP warm-up; server/PG CPU = cores busy in the server process / in the PostgreSQL backends of $DB; compiler seen = a rustc/cargo ran during the measured run"
  echo
  echo "| engine | query | conns | req/s | p50 ms | p99 ms | bad | server CPU | PG CPU | compiler seen |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
  tail -n +2 "$RESULTS" | awk -F'\t' '{ e = ($1 == "pg") ? "PostGraphile" : "duban";
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", e, $2, $3, $4, $5, $7, $9 + $10, $11, $12, $13 }'
} | tee "$OUT/summary.md"
echo "raw output: $OUT"
