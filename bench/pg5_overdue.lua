-- (d) PostGraphile 5 (amber preset: the row id is `rowId`): the same overdue list, the day
-- sent by the client as for PostGraphile 4.
local today = os.getenv("TODAY") or os.date("!%Y-%m-%d", os.time() + 8 * 3600)
static_body = '{"query":"{ allTasks(first: 50, orderBy: [DEADLINE_ASC, ROW_ID_ASC], filter: { deadline: { lessThan: \\"' .. today .. '\\" }, status: { notIn: [\\"completed\\", \\"cancelled\\"] } }) { nodes { code title deadline assignmentsByTaskId { nodes { role agencyByAgencyId { name } } } } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
