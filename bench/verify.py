#!/usr/bin/env python3
"""Send each benchmark body (taken from the wrk scripts) once to every engine and check that
every answer is a GraphQL result without errors and that all engines return the same data:
the page, the filter and the overdue list (the same rows in the same order: compared by
content and by integer row id), and 22 tasks by id.

    verify.py --check ENGINE=URL ...        # engines: duban, pg5, pg5x, pg4, pg4x
    verify.py --probe ENGINE=URL QUERY N    # N serial requests of one query (counting statements)

Env: TOKEN (duban's bearer token), MAX_TASK_ID, TODAY (YYYY-MM-DD, China)."""
import base64, json, os, random, re, sys, urllib.request

here = os.path.dirname(os.path.abspath(__file__))
token = os.environ.get("TOKEN", "")
max_id = int(os.environ.get("MAX_TASK_ID", "353"))
today = os.environ.get("TODAY", "")


def kind(engine):
    return engine.rstrip("x")  # pg5x runs pg5's scripts


def lua_body(engine, q, task_id=None):
    src = open(os.path.join(here, f"{kind(engine)}_{q}.lua"), encoding="utf-8").read()
    m = re.search(r"static_body = '(.*)'\n", src) or re.search(r"return '(.*)'\nend", src)
    body = m.group(1)
    body = body.replace("' .. math.random(1, max_id) .. '", str(task_id))
    body = body.replace("' .. today .. '", today)
    if "' .. " in body:
        sys.exit(f"verify.py cannot read the body of {engine}_{q}.lua")
    return body.replace("\\\\", "\\")


def post(url, body, engine):
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    if engine == "duban":
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        out = json.loads(r.read())
    if out.get("errors") or not out.get("data"):
        sys.exit(f"FAIL {engine} {url}: {json.dumps(out, ensure_ascii=False)[:500]}")
    return out["data"]


def row_id(engine, t):
    """The integer row id: duban's `id` (a bare integer, or a Relay global id
    base64url("Task:<n>") once ids are opaque), PostGraphile 5's `rowId`, 4's `id`."""
    if kind(engine) == "pg5":
        return int(t.pop("rowId"))
    v = str(t.pop("id"))
    if v.isdigit():
        return int(v)
    raw = base64.urlsafe_b64decode(v + "=" * (-len(v) % 4)).decode()
    return int(raw.split(":", 1)[1])


def norm(engine, t):
    t = dict(t)
    if "rowId" in t or "id" in t:
        t["row"] = row_id(engine, t)
    if "assignments" in t:
        t["assignments"] = [(a["role"].lower(), a["agency"]["name"]) for a in t["assignments"]]
    if "assignmentsByTaskId" in t:
        t["assignments"] = [(a["role"].lower(), a["agencyByAgencyId"]["name"])
                            for a in t.pop("assignmentsByTaskId")["nodes"]]
    if "plan" in t:
        t["plan"] = t["plan"]["title"]
    if "planByPlanId" in t:
        t["plan"] = t.pop("planByPlanId")["title"]
    return t


def with_ids(engine, body):
    """The same list query, also asking for each task's row id."""
    field = "rowId" if kind(engine) == "pg5" else "id"
    return body.replace("nodes { code", f"nodes {{ {field} code", 1)


def tasks_of(engine, data):
    return (data["tasks"] if engine == "duban" else data["allTasks"])["nodes"]


def task_of(engine, data):
    return data["task"] if engine == "duban" else data[
        "taskByRowId" if kind(engine) == "pg5" else "taskById"]


args = sys.argv[1:]
if args and args[0] == "--probe":
    engine, url = args[1].split("=", 1)
    q, n = args[2], int(args[3])
    if q == "mixed":
        sys.exit(0)  # a mix of the others: nothing of its own to count
    rnd = random.Random(2)
    for _ in range(n):
        post(url, lua_body(engine, q, rnd.randint(1, max_id)), engine)
    sys.exit(0)

engines = dict(a.split("=", 1) for a in args[1:])
ok = True
ref = "duban" if "duban" in engines else next(iter(engines))
for q in ("page", "filter", "overdue"):
    got = {}
    for e, url in engines.items():
        plain = [norm(e, t) for t in tasks_of(e, post(url, lua_body(e, q), e))]
        ids = [norm(e, t) for t in tasks_of(e, post(url, with_ids(e, lua_body(e, q)), e))]
        if [dict(t, row=None) for t in ids] != [dict(t, row=None) for t in plain]:
            print(f"{q}: {e} answers differently when also asked for ids")
            ok = False
        got[e] = ids
    d = got[ref]
    n_asg = sum(len(t.get("assignments", [])) for t in d)
    for e, p in got.items():
        if e == ref:
            continue
        if p != d:
            same_sets = [dict(x, assignments=sorted(x.get("assignments", []))) for x in d] == \
                        [dict(x, assignments=sorted(x.get("assignments", []))) for x in p]
            print(f"{q}: {e} DIFFERENT from {ref} "
                  f"({'only assignment order differs' if same_sets else 'data differs'})")
            ok = ok and same_sets
    if not d:
        print(f"{q}: no rows: nothing compared")
        ok = False
    print(f"{q}: {len(d)} tasks (rows {d[0]['row'] if d else '-'}…{d[-1]['row'] if d else '-'}), "
          f"{n_asg} assignments, compared across {', '.join(engines)}")
rnd = random.Random(1)
ids = [1, max_id] + [rnd.randint(1, max_id) for _ in range(20)]
for i in ids:
    answers = {e: norm(e, task_of(e, post(url, lua_body(e, "task", i), e)))
               for e, url in engines.items()}
    for e, a in answers.items():
        if a != answers[ref]:
            print(f"task {i}: {e} DIFFERENT {a} vs {ref} {answers[ref]}")
            ok = False
print(f"task: {len(ids)} ids checked on {len(engines)} engines, "
      f"{'identical' if ok else 'differences above'}")
sys.exit(0 if ok else 1)
