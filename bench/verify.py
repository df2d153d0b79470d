#!/usr/bin/env python3
"""Send each benchmark body (taken from the wrk scripts) once to both engines and check
that every answer is a GraphQL result without errors and that both engines return the
same data. Usage: verify.py DUBAN_URL PG_URL TOKEN MAX_TASK_ID [--probe ENGINE QUERY N]"""
import json, os, random, re, sys, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
duban_url, pg_url, token, max_id = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def lua_body(name, task_id=None):
    src = open(os.path.join(here, name + ".lua"), encoding="utf-8").read()
    m = re.search(r"static_body = '(.*)'\n", src) or re.search(r"return '(.*)'\nend", src)
    body = m.group(1).replace("' .. math.random(1, max_id) .. '", str(task_id))
    return body.replace("\\\\", "\\")


def post(url, body, auth=None):
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if auth:
        req.add_header("Authorization", "Bearer " + auth)
    with urllib.request.urlopen(req, timeout=30) as r:
        out = json.loads(r.read())
    if out.get("errors") or not out.get("data"):
        sys.exit(f"FAIL {url}: {json.dumps(out, ensure_ascii=False)[:500]}")
    return out["data"]


def norm_duban_task(t):
    t = dict(t)
    if "assignments" in t:
        t["assignments"] = [(a["role"].lower(), a["agency"]["name"]) for a in t["assignments"]]
    if "plan" in t:
        t["plan"] = t["plan"]["title"]
    return t


def norm_pg_task(t):
    t = dict(t)
    if "assignmentsByTaskId" in t:
        t["assignments"] = [(a["role"].lower(), a["agencyByAgencyId"]["name"])
                            for a in t.pop("assignmentsByTaskId")["nodes"]]
    if "planByPlanId" in t:
        t["plan"] = t.pop("planByPlanId")["title"]
    return t


if len(sys.argv) > 5 and sys.argv[5] == "--probe":
    # Send N requests of one query to one engine, serially (for counting statements).
    engine, q, n = sys.argv[6], sys.argv[7], int(sys.argv[8])
    rnd = random.Random(2)
    for _ in range(n):
        body = lua_body(f"{engine}_{q}", rnd.randint(1, max_id))
        post(duban_url if engine == "duban" else pg_url, body, token if engine == "duban" else None)
    sys.exit(0)

ok = True
for q in ("page", "filter"):
    d = [norm_duban_task(t) for t in post(duban_url, lua_body("duban_" + q), token)["tasks"]["nodes"]]
    p = [norm_pg_task(t) for t in post(pg_url, lua_body("pg_" + q))["allTasks"]["nodes"]]
    n_asg = sum(len(t.get("assignments", [])) for t in d)
    if d == p:
        print(f"{q}: {len(d)} tasks, {n_asg} assignments, identical on both engines")
    else:
        # Same rows, assignments possibly listed in another order?
        same_sets = [dict(x, assignments=sorted(x.get("assignments", []))) for x in d] == \
                    [dict(x, assignments=sorted(x.get("assignments", []))) for x in p]
        print(f"{q}: DIFFERENT ({'only assignment order differs' if same_sets else 'data differs'})")
        ok = ok and same_sets
rnd = random.Random(1)
ids = [1, max_id] + [rnd.randint(1, max_id) for _ in range(20)]
for i in ids:
    d = norm_duban_task(post(duban_url, lua_body("duban_task", i), token)["task"])
    p = norm_pg_task(post(pg_url, lua_body("pg_task", i))["taskById"])
    if d != p:
        print(f"task {i}: DIFFERENT {d} vs {p}")
        ok = False
print(f"task: {len(ids)} ids checked, {'identical' if ok else 'differences above'}")
sys.exit(0 if ok else 1)
