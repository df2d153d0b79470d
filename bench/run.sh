#!/usr/bin/env bash
# duban vs PostGraphile 5 and 4 on the same PostgreSQL and data. See bench/README.md.
#
#   bench/run.sh                 # wait for idle compilers, build, load data, measure, drop the db
#   COPIES=56 bench/run.sh       # the quick 20k-task variant (default: COPIES=280, 100k tasks)
#   SKIP_WAIT=1 SKIP_BUILD=1 DURATION=5s COPIES=5 bench/run.sh   # smoke run
#
# Env knobs: DUBAN_BIN, NODE_DIR, PGHOST/PGPORT/PGUSER, DB, COPIES, DURATION, WARMUP,
# CONNS, EXTRA_CELLS, QUERIES, ENGINES, WORKERS, WRITE_EVERY, THREADS, KEEP_DB=1 (leave
# duban_bench), OUT (folder for raw wrk output), WAIT_MAX (seconds wait_idle.sh may wait).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$BENCH_DIR/.." && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${DB:-duban_bench}
DB_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
DUBAN_BIN=${DUBAN_BIN:-$TARGET_DIR/release/duban}
NODE_DIR=${NODE_DIR:-/work/pgbench-node}
COPIES=${COPIES:-280}         # 1 + 280 copies of the 5 seeded plans ≈ 100k tasks; 56 ≈ 20k
DURATION=${DURATION:-25s}
WARMUP=${WARMUP:-5s}
CONNS=${CONNS:-16}            # every query at these connection counts …
EXTRA_CELLS=${EXTRA_CELLS:-"page:1"}   # … plus these query:connections cells
THREADS=${THREADS:-2}
QUERIES=${QUERIES:-"page task filter overdue mixed"}
# duban; PostGraphile 5 and 4, each as one process and as WORKERS processes (one per core).
ENGINES=${ENGINES:-"duban pg5 pg5x pg4 pg4x"}
WORKERS=${WORKERS:-$(nproc)}
WRITE_EVERY=${WRITE_EVERY:-10}  # mixed workload: one write in every WRITE_EVERY requests
DUBAN_PORT=${DUBAN_PORT:-18181}
declare -A PORT=([duban]=$DUBAN_PORT [pg4]=5000 [pg4x]=5001 [pg5]=5005 [pg5x]=5006)
declare -A PID
declare -A LABEL=([duban]=duban [pg5]="PostGraphile 5" [pg5x]="PostGraphile 5 ×$WORKERS" [pg4]="PostGraphile 4" [pg4x]="PostGraphile 4 ×$WORKERS")
script_of() { echo "$BENCH_DIR/${1%x}_$2.lua"; }   # pg5x runs pg5's scripts
export WRITE_EVERY
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
# Node 22 (PostGraphile 5 needs ≥ 22) from the npm registry's `node` package, and both
# PostGraphile versions, each in a folder of its own outside the repo (nothing of npm is
# committed). Both PostGraphiles run on this Node 22.
npm_into() {  # folder, packages…
  local dir=$1; shift
  mkdir -p "$dir"
  (cd "$dir" && { [ -f package.json ] || npm init -y >/dev/null; } &&
    npm install --no-audit --no-fund --loglevel=error "$@" >&2)
}
NODE="$NODE_DIR/node22/node_modules/.bin/node"
[ -x "$NODE" ] && "$NODE" -v | grep -q '^v22\.' || { log "installing Node 22 into $NODE_DIR/node22"; npm_into "$NODE_DIR/node22" node@22; }
[ -f "$NODE_DIR/v4/node_modules/postgraphile/cli.js" ] || { log "installing PostGraphile 4"; npm_into "$NODE_DIR/v4" postgraphile@4 postgraphile-plugin-connection-filter@2; }
[ -f "$NODE_DIR/v5/node_modules/postgraphile/package.json" ] || { log "installing PostGraphile 5"; npm_into "$NODE_DIR/v5" postgraphile@5 postgraphile-plugin-connection-filter@4; }
"$NODE" -v | grep -q '^v22\.' || { echo "no Node 22 at $NODE" >&2; exit 1; }

# ---------------------------------------------------------------- build
if [ "${SKIP_WAIT:-0}" != 1 ]; then
  log "waiting until no rustc/cargo has run for 60 s"
  MAX=${WAIT_MAX:-900} "$BENCH_DIR/wait_idle.sh" | tee "$OUT/wait.log" >&2 || echo "NOTE: measured while compilers were still active" | tee -a "$OUT/wait.log" >&2
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "cargo build --release (CARGO_TARGET_DIR=$TARGET_DIR)"
  (cd "$REPO" && CARGO_TARGET_DIR="$TARGET_DIR" cargo build --release --bin duban)
fi

# ---------------------------------------------------------------- data
log "creating $DB and seeding it through duban"
dropdb --if-exists "$DB"
createdb "$DB"
# Without the demo year of activity: multiply.sql copies plans, tasks and assignments only,
# so copies of tasks completed or extended in the simulation would carry a status without
# its reports and records; and every engine reads the same rows either way.
(cd "$WORK" && DATABASE_URL="$DB_URL" DUBAN_DATA_DIR="$WORK/data" RUST_LOG=warn "$DUBAN_BIN" seed --without-activity)
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

start_pg() {  # engine: one PostGraphile process (pg4, pg5) or WORKERS of them (pg4x, pg5x)
  local e=$1 port=${PORT[$1]} n=1
  case $e in *x) n=$WORKERS ;; esac
  log "starting ${LABEL[$e]} on 127.0.0.1:$port"
  case $e in
    pg4*) local cluster=(); [ "$n" -ge 2 ] && cluster=(--cluster-workers "$n")
      (cd "$WORK" && exec env NODE_ENV=production "$NODE" "$NODE_DIR/v4/node_modules/postgraphile/cli.js" \
        -c "$DB_URL" --schema public --host 127.0.0.1 --port "$port" --disable-query-log \
        --append-plugins postgraphile-plugin-connection-filter "${cluster[@]}") >"$OUT/$e.log" 2>&1 & ;;
    pg5*) (cd "$WORK" && exec env NODE_ENV=production PG5_DIR="$NODE_DIR/v5" DATABASE_URL="$DB_URL" \
        HOST=127.0.0.1 PORT="$port" WORKERS="$n" "$NODE" "$BENCH_DIR/postgraphile5.js") >"$OUT/$e.log" 2>&1 & ;;
  esac
  PID[$e]=$!; PIDS+=("$!")
}
PID[duban]=$DUBAN_PID
for e in $ENGINES; do [ "$e" = duban ] || start_pg "$e"; done

up() { if [ "$1" = duban ]; then curl -sf "http://127.0.0.1:$DUBAN_PORT/healthz" >/dev/null; else
  curl -sf "http://127.0.0.1:${PORT[$1]}/graphql" -H 'Content-Type: application/json' -d '{"query":"{__typename}"}' >/dev/null; fi; }
for e in $ENGINES; do
  for i in $(seq 90); do
    up "$e" && break
    [ "$i" = 90 ] && { echo "$e did not come up" >&2; tail "$OUT"/*.log >&2; exit 1; }
    sleep 1
  done
done
# A cluster's workers come up one by one: give them all time to listen.
sleep 3

login() {
  curl -sf "http://127.0.0.1:$DUBAN_PORT/graphql" -H 'Content-Type: application/json' \
    -d "{\"query\":\"mutation{ login(username:\\\"$1\\\", password:\\\"$2\\\"){ token } }\"}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["login"]["token"])'
}
TOKEN=$(login office office-demo)
# The mixed workload's writes: progress reports on tasks led by the agency leading most tasks,
# sent by its staff account (duban) or inserted in its name (PostGraphile).
WRITE_AGENCY=$(psql -tA -d "$DB" -c "select a.agency_id from assignment a join \"user\" u on u.agency_id = a.agency_id where a.role = 'lead' group by 1 order by count(*) desc, 1 limit 1")
WRITE_USER=$(psql -tA -d "$DB" -c "select id from \"user\" where agency_id = $WRITE_AGENCY and role = 'agency' order by id limit 1")
WRITE_TASKS=$(psql -tA -d "$DB" -c "select string_agg(task_id::text, ',') from (select distinct a.task_id from assignment a join task t on t.id = a.task_id where a.agency_id = $WRITE_AGENCY and a.role = 'lead' and t.status not in ('completed', 'cancelled') order by 1 limit 200) x")
STAFF_TOKEN=$(login "$(psql -tA -d "$DB" -c "select username from \"user\" where id = $WRITE_USER")" agency-demo)
TODAY=$(TZ=Asia/Shanghai date +%F)   # duban's business day; PostGraphile's overdue filter is sent it
export TOKEN STAFF_TOKEN MAX_TASK_ID WRITE_AGENCY WRITE_USER WRITE_TASKS TODAY
url_of() { echo "http://127.0.0.1:${PORT[$1]}/graphql"; }

log "verifying answers"
python3 "$BENCH_DIR/verify.py" --check $(for e in $ENGINES; do echo "$e=$(url_of "$e")"; done) | tee "$OUT/verify.txt" >&2

# Statements per request: transactions committed in $DB (pg_stat_database) over N serial
# requests. Every statement outside an explicit transaction counts as one; PG15 flushes
# backend stats within ~10 s when idle, hence the sleeps (one between consecutive probes).
# The ×WORKERS configurations run the same SQL as their single process: not probed.
xacts() { psql -tA -d "$DB" -c "select xact_commit + xact_rollback from pg_stat_database where datname = current_database()"; }
N_PROBE=50
if [ "${PROBE:-1}" = 1 ]; then
  sleep 11; x0=$(xacts)
  for engine in $ENGINES; do
    case $engine in *x) continue ;; esac
    for q in $QUERIES; do
      [ "$q" = mixed ] && continue   # the reads above plus writes: nothing of its own
      python3 "$BENCH_DIR/verify.py" --probe "$engine=$(url_of "$engine")" "$q" "$N_PROBE"
      sleep 11; x1=$(xacts)
      echo "$engine $q: $(awk -v a="$x0" -v b="$x1" -v n="$N_PROBE" 'BEGIN{printf "%.1f", (b-a-1)/n}') transactions/request"
      x0=$((x1 + 1))   # this reading's own transaction
    done
  done | tee "$OUT/xacts.txt" >&2
fi

# ---------------------------------------------------------------- load
tree() { local p; echo "$1"; for p in $(pgrep -P "$1"); do tree "$p"; done; }   # a process and its descendants
cpu_ticks() {  # utime + stime of a server and its workers (a cluster's primary forks them)
  local t=0 p; for p in $(tree "$1"); do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t
}
pg_snap() {  # "pid ticks" of each PostgreSQL backend connected to $DB
  local p; for p in $(pgrep -f "^postgres: (.*: )?$PGUSER $DB "); do
    echo "$p $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)"; done
}
pg_delta() {  # ticks spent between two snapshots by the backends alive at the second (a pool's
  # backend that exits mid-run is missed; one started mid-run counts from zero)
  awk 'NR == FNR { a[$1] = $2; next } { t += $2 - ($1 in a ? a[$1] : 0) } END { print t + 0 }' "$1" "$2"
}
busy_compilers() { pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null; }
HZ=$(getconf CLK_TCK)
RESULTS="$OUT/results.tsv"
printf 'engine\tquery\tconns\treq_s\tp50_ms\tp90_ms\tp99_ms\tmax_ms\tbad\tsock_err\tserver_cpu\tpg_cpu\tcompiling\trequests\tserver_ms_req\tpg_ms_req\tload1\n' >"$RESULTS"

CELLS=""
for q in $QUERIES; do for c in $CONNS; do CELLS="$CELLS $q:$c"; done; done
for cell in $EXTRA_CELLS; do case " $QUERIES " in *" ${cell%%:*} "*) CELLS="$CELLS $cell" ;; esac; done
for cell in $CELLS; do
  q=${cell%%:*}; c=${cell##*:}; t=$THREADS; [ "$c" -lt "$t" ] && t=$c
  for engine in $ENGINES; do
    port=${PORT[$engine]}; pid=${PID[$engine]}
    script=$(script_of "$engine" "$q")
    log "$engine $q c=$c (warm-up $WARMUP, then $DURATION)"
    wrk -t"$t" -c"$c" -d"$WARMUP" -s "$script" "http://127.0.0.1:$port" >"$OUT/${engine}_${q}_c${c}_warmup.txt" 2>&1 || true
    s0=$(cpu_ticks "$pid"); pg_snap >"$OUT/pg0"; t0=$(date +%s.%N)
    wrk -t"$t" -c"$c" -d"$DURATION" --latency -s "$script" "http://127.0.0.1:$port" \
      >"$OUT/${engine}_${q}_c${c}.txt" 2>&1 &
    wrk_pid=$!; compiling=no
    while kill -0 "$wrk_pid" 2>/dev/null; do busy_compilers && compiling=yes; sleep 2; done
    wait "$wrk_pid" || true
    cat "$OUT/${engine}_${q}_c${c}.txt" >&2
    s1=$(cpu_ticks "$pid"); pg_snap >"$OUT/pg1"; t1=$(date +%s.%N); p0=0; p1=$(pg_delta "$OUT/pg0" "$OUT/pg1"); load1=$(cut -d' ' -f1 /proc/loadavg)
    line=$(grep '^BENCH' "$OUT/${engine}_${q}_c${c}.txt" || echo "BENCH requests=0 rps=0")
    get() { local v; v=$(sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"); echo "${v:-0}"; }
    scpu=$(awk -v a="$s0" -v b="$s1" -v h="$HZ" -v x="$t0" -v y="$t1" 'BEGIN{printf "%.2f", (b-a)/h/(y-x)}')
    pcpu=$(awk -v a="$p0" -v b="$p1" -v h="$HZ" -v x="$t0" -v y="$t1" 'BEGIN{printf "%.2f", (b-a)/h/(y-x)}')
    n=$(get requests)
    sms=$(awk -v a="$s0" -v b="$s1" -v h="$HZ" -v n="$n" 'BEGIN{printf "%.3f", n ? (b-a)/h/n*1000 : 0}')
    pms=$(awk -v a="$p0" -v b="$p1" -v h="$HZ" -v n="$n" 'BEGIN{printf "%.3f", n ? (b-a)/h/n*1000 : 0}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$engine" "$q" "$c" \
      "$(get rps)" "$(get p50_ms)" "$(get p90_ms)" "$(get p99_ms)" "$(get max_ms)" "$(get bad)" "$(get sock_err)" \
      "$scpu" "$pcpu" "$compiling" "$n" "$sms" "$pms" "$load1" >>"$RESULTS"
  done
done

for e in $ENGINES; do  # peak resident memory: of the process, or the sum over a cluster's workers
  kb=0; for p in $(tree "${PID[$e]}"); do kb=$((kb + $(awk '/^VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0))); done
  echo "${LABEL[$e]}: VmHWM $((kb / 1024)) MiB over $(tree "${PID[$e]}" | wc -l) process(es)"
done | tee "$OUT/memory.txt" >&2

# ---------------------------------------------------------------- report
{
  echo "duban $(cd "$REPO" && git rev-parse --short HEAD)$(cd "$REPO" && git diff --quiet HEAD -- . ':!bench' || echo '+uncommitted'), PostGraphile $("$NODE" -p "require('$NODE_DIR/v5/node_modules/postgraphile/package.json').version") and $("$NODE" -p "require('$NODE_DIR/v4/node_modules/postgraphile/package.json').version") on Node $("$NODE" -v), $(psql -tA -c 'show server_version'), wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), $(nproc) cores, load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "data: $(grep -E '^ *[0-9]+ *\|' "$OUT/data.txt" | tr -s ' ')  (plans | tasks | assignments | agencies); today (China) $TODAY; mixed: a write every $WRITE_EVERY requests"
  echo "wrk -t$THREADS -d$DURATION --latency after a $WARMUP warm-up; CPU ms/req = CPU time of the server (all its processes) / of the PostgreSQL backends of $DB, per request; compiler seen = a rustc/cargo ran during the measured run"
  echo
  echo "| engine | query | conns | req/s | p50 ms | p99 ms | bad | server ms/req | PG ms/req | total ms/req | load1 | compiler seen |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  tail -n +2 "$RESULTS" | while IFS=$'\t' read -r e q c rps p50 p90 p99 mx bad se sc pc comp n sms pms l1; do
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.3f | %s | %s |\n' "${LABEL[$e]}" "$q" "$c" "$rps" "$p50" "$p99" \
      "$((bad + se))" "$sms" "$pms" "$(awk -v a="$sms" -v b="$pms" 'BEGIN{print a + b}')" "$l1" "$comp"
  done
  echo
  python3 "$BENCH_DIR/ratios.py" "$RESULTS" "$WORKERS"
} | tee "$OUT/summary.md"
echo "raw output: $OUT"
