#!/usr/bin/env bash
# Wait until no rustc/cargo process has been seen for QUIET seconds (default 60),
# polling every POLL seconds (default 20); give up after MAX seconds (default 1800).
QUIET=${QUIET:-60}; POLL=${POLL:-20}; MAX=${MAX:-1800}
start=$(date +%s); last_busy=$start; first=1
while :; do
  now=$(date +%s)
  if pgrep -x rustc >/dev/null || pgrep -x cargo >/dev/null; then
    last_busy=$now; echo "$(date -u +%T) compiler running"
  elif [ $first = 1 ]; then
    last_busy=$now  # need QUIET seconds of observed idleness
  fi
  first=0
  if [ $((now - last_busy)) -ge "$QUIET" ]; then echo "$(date -u +%T) idle for ${QUIET}s"; exit 0; fi
  if [ $((now - start)) -ge "$MAX" ]; then echo "$(date -u +%T) gave up waiting after ${MAX}s (compilers still active)"; exit 1; fi
  sleep "$POLL"
done
