#!/usr/bin/env python3
"""The comparison table of a bench run: per query and connection count, duban's req/s against
PostGraphile 5 and 4 (each at its best configuration: one process or one worker per core),
p99, and the CPU per request of server + PostgreSQL. Usage: ratios.py results.tsv WORKERS"""
import csv, sys

rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
workers = sys.argv[2] if len(sys.argv) > 2 else "n"
cells = {}
for r in rows:
    cells.setdefault((r["query"], r["conns"]), {})[r["engine"]] = r


def f(r, k):
    return float(r[k]) if r and r.get(k) not in (None, "") else 0.0


def cpu(r):
    return f(r, "server_ms_req") + f(r, "pg_ms_req")


def best(c, v):
    """The faster of PostGraphile v's single process and its cluster, with its label."""
    opts = [(e, c[e]) for e in (v, v + "x") if e in c]
    if not opts:
        return None, None
    e, r = max(opts, key=lambda x: f(x[1], "req_s"))
    return ("×" + workers if e.endswith("x") else "×1"), r


def ratio(a, b):
    return f"{a / b:.2f}×" if b else "-"


print(f"| query | conns | duban req/s | PG5 ×1 | PG5 ×{workers} | PG4 ×1 | PG4 ×{workers} "
      "| duban ÷ best v5 | duban ÷ best v4 | duban p99 | best v5 p99 | best v4 p99 "
      "| CPU ms/req duban (server+PG) | v5 ×1 | v4 ×1 | v5 CPU ÷ duban CPU |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for (q, conns), c in cells.items():
    d = c.get("duban")
    b5l, b5 = best(c, "pg5")
    b4l, b4 = best(c, "pg4")
    rps = lambda e: f"{f(c[e], 'req_s'):,.0f}" if e in c else "-"

    def cpus(e):
        r = c.get(e)
        return f"{cpu(r):.3f} ({f(r, 'server_ms_req'):.3f}+{f(r, 'pg_ms_req'):.3f})" if r else "-"

    print(f"| {q} | {conns} | {rps('duban')} | {rps('pg5')} | {rps('pg5x')} | {rps('pg4')} | {rps('pg4x')} "
          f"| {ratio(f(d, 'req_s'), f(b5, 'req_s'))} ({b5l}) | {ratio(f(d, 'req_s'), f(b4, 'req_s'))} ({b4l}) "
          f"| {f(d, 'p99_ms'):.1f} | {f(b5, 'p99_ms'):.1f} | {f(b4, 'p99_ms'):.1f} "
          f"| {cpus('duban')} | {cpus('pg5')} | {cpus('pg4')} "
          f"| {ratio(cpu(c.get('pg5')), cpu(d)) if d and 'pg5' in c else '-'} |")
