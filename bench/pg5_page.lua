-- (a) PostGraphile 5: the same page, same order (plan_id, position, id).
static_body = '{"query":"{ allTasks(first: 50, orderBy: [PLAN_ID_ASC, POSITION_ASC, ROW_ID_ASC]) { nodes { code title assignmentsByTaskId { nodes { role agencyByAgencyId { name } } } } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
