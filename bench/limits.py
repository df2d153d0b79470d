#!/usr/bin/env python3
"""Attack report: sends the requests of the limits suite to a real `duban serve` (release build,
fresh embedded database with the demo data) and prints, for each, the answer's status and code,
how long it took and the server's resident memory (VmRSS) and peak (VmHWM) after it.

Measured here, not asserted in tests: timings and memory depend on the machine.

    cargo build --release --bin duban && python3 bench/limits.py [target/release/duban]
"""

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/duban")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0]) // 1024
    return out


def post(url, body, token=None, content_type="application/json", method="POST"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data if method == "POST" else None, method=method)
    req.add_header("content-type", content_type)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            status, payload = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, payload = e.code, e.read()
    except (ConnectionError, urllib.error.URLError) as e:
        # A server that refuses early may close the connection while a large body is still
        # being sent; that is a refusal too.
        status, payload = f"closed ({type(e).__name__})", b""
    ms = (time.perf_counter() - t0) * 1000
    try:
        answer = json.loads(payload)
        code = (answer.get("errors") or [{}])[0].get("extensions", {}).get("code", "-")
    except (ValueError, AttributeError):
        code = "-"
    return status, code, ms, len(payload)


def declare_only(url, nbytes, token=None):
    """Sends only the headers of a JSON POST declaring `nbytes`, then reads the answer: what a
    client that sends a huge body meets before the first byte of it is read."""
    import http.client
    from urllib.parse import urlparse
    u = urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    t0 = time.perf_counter()
    conn.putrequest("POST", u.path)
    conn.putheader("content-type", "application/json")
    conn.putheader("content-length", str(nbytes))
    if token:
        conn.putheader("authorization", f"Bearer {token}")
    conn.endheaders()
    r = conn.getresponse()
    payload = r.read()
    ms = (time.perf_counter() - t0) * 1000
    conn.close()
    try:
        code = json.loads(payload)["errors"][0]["extensions"]["code"]
    except (ValueError, KeyError, IndexError):
        code = "-"
    return r.status, code, ms, len(payload)


def fan_out(levels):
    q = f"{{ ...F{levels} }} fragment F0 on QueryRoot {{ __typename }}"
    for i in range(1, levels + 1):
        q += f" fragment F{i} on QueryRoot {{ ...F{i-1} ...F{i-1} }}"
    return q


def aliases(n, field):
    return "{" + " ".join(f"a{i}: {field}" for i in range(n)) + "}"


def main():
    data = tempfile.mkdtemp()
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    env = dict(os.environ, DUBAN_DATA_DIR=data, DUBAN_ADDR=f"127.0.0.1:{port}")
    server = subprocess.Popen([BIN, "serve"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        login = lambda u, p: json.loads(urllib.request.urlopen(urllib.request.Request(
            url, data=json.dumps({"query": "mutation($u:String!,$p:String!){ login(username:$u,password:$p){ token } }",
                                  "variables": {"u": u, "p": p}}).encode(),
            headers={"content-type": "application/json"})).read())["data"]["login"]["token"]
        office = login("office", "office-demo")
        leader = login("leader", "leader-demo")
        staff = login("staff5", "agency-demo")
        staff_id = json.loads(urllib.request.urlopen(urllib.request.Request(
            url, data=b'{"query":"{ me { id } }"}',
            headers={"content-type": "application/json", "authorization": f"Bearer {staff}"})).read())["data"]["me"]["id"]
        xlsx = open(os.path.join(ROOT, "tests/fixtures/attack/sparse_grid.xlsx"), "rb").read()
        guesses = "mutation($id:ID!) {" + " ".join(
            f'g{i}: setPassword(userId:$id, currentPassword:"guess{i}", newPassword:"n-{i}-pass")'
            for i in range(40)) + "}"
        attacks = [
            ("fan-out of 2^25 fields, anonymous (1.1 KB)", lambda: post(url, {"query": fan_out(25)})),
            ("fan-out of 2^25 fields, signed in", lambda: post(url, {"query": fan_out(25)}, office)),
            ("5,000 aliases of dashboard, agency staff", lambda: post(url, {"query": aliases(5000, "dashboard { led }")}, staff)),
            ("25 aliases of dashboard (complexity)", lambda: post(url, {"query": aliases(25, "dashboard { led }")}, staff)),
            ("300 aliases of evaluations{results{breakdown}}, leader", lambda: post(url, {"query": aliases(300, "evaluations { results { breakdown } }")}, leader)),
            ("31.5 MB JSON body declared, anonymous", lambda: declare_only(url, 31_500_000)),
            ("63 MB JSON body declared, signed in", lambda: declare_only(url, 63_000_000, office)),
            ("5 MB JSON body sent, signed in", lambda: post(url, b'{"query":"{ __typename }","variables":{"p":"' + b"x" * 5_000_000 + b'"}}', office)),
            ("3.9 MB JSON body of small numbers, signed in", lambda: post(url, b'{"query":"{ __typename }","variables":{"p":[' + b"0," * 1_950_000 + b'0]}}', office)),
            ("a batch of 2 million {}, signed in", lambda: post(url, b"[" + b"{}," * 1_300_000 + b"{}]", office)),
            ("sparse .xlsx (A1 and XFD1048576), dry run", lambda: post(url, {"query": "mutation($b:String!){ importPlan(input:{contentBase64:$b, dryRun:true}){ title } }", "variables": {"b": base64.b64encode(xlsx).decode()}}, office)),
            ("GET mutation", lambda: post(url + "?query=" + urllib.request.quote('mutation{createPlan(input:{title:"x"}){id}}'), b"", office, method="GET")),
            ("text/plain POST", lambda: post(url, {"query": '{ me { id } }'}, office, content_type="text/plain")),
            ("40 aliased setPassword guesses", lambda: post(url, {"query": guesses, "variables": {"id": staff_id}}, staff)),
            ("ordinary task page (50 tasks)", lambda: post(url, {"query": "{ tasks(first: 50) { nodes { code title assignments { role agency { name } } } } }"}, office)),
        ]
        base = memory(server.pid)
        print(f"server after start and sign-ins: VmRSS {base['VmRSS']} MiB, VmHWM {base['VmHWM']} MiB\n")
        print(f"| request | status | code | time | response bytes | VmRSS after | VmHWM after |")
        print(f"|---|---|---|---:|---:|---:|---:|")
        for name, run in attacks:
            status, code, ms, size = run()
            m = memory(server.pid)
            print(f"| {name} | {status} | {code} | {ms:.1f} ms | {size} | {m['VmRSS']} MiB | {m['VmHWM']} MiB |")
        health = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").read().decode()
        print(f"\nhealthz after the attacks: {health}; server still running: {server.poll() is None}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
