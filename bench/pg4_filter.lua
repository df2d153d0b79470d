-- (c) PostGraphile 4: same filter. Core PostGraphile's `condition` only does equality, so the
-- deadline bound uses postgraphile-plugin-connection-filter (`filter`), the usual add-on.
static_body = '{"query":"{ allTasks(first: 50, orderBy: [PLAN_ID_ASC, POSITION_ASC, ID_ASC], filter: { planId: { equalTo: \\"3\\" }, deadline: { lessThanOrEqualTo: \\"2025-12-31\\" } }) { nodes { code title deadline } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
