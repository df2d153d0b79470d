-- (c) PostGraphile 5: same filter, through postgraphile-plugin-connection-filter 4 (v5's).
static_body = '{"query":"{ allTasks(first: 50, orderBy: [PLAN_ID_ASC, POSITION_ASC, ROW_ID_ASC], filter: { planId: { equalTo: \\"3\\" }, deadline: { lessThanOrEqualTo: \\"2025-12-31\\" } }) { nodes { code title deadline } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
