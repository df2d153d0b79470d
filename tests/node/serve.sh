# Sourced by the check scripts: builds duban, starts `duban serve` on a fresh embedded database
# (the first start loads the demo data) on a free port, and sets $port; stopped on exit.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
(cd "$root" && cargo build --quiet --bin duban)
data="$(mktemp -d)"
port=$((20000 + RANDOM % 20000))
DUBAN_DATA_DIR="$data" "$root/target/debug/duban" serve --addr "127.0.0.1:$port" >"$data/serve.log" 2>&1 &
pid=$!
# Wait for the server to exit before removing its folder: while it shuts down it still writes
# there (its log, the database's WAL), and `rm -rf` of a folder being written to fails.
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 600); do
  curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fs "http://127.0.0.1:$port/healthz" >/dev/null || { cat "$data/serve.log"; exit 1; }
