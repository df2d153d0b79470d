-- (c) duban: tasks of plan 3 with deadline on or before 2025-12-31 (88 match; first 50).
static_body = '{"query":"{ tasks(first: 50, filter: { planId: \\"3\\", deadlineTo: \\"2025-12-31\\" }) { nodes { code title deadline } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
