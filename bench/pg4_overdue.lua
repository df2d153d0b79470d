-- (d) PostGraphile 4: the same overdue list. PostGraphile has no notion of "overdue" or of
-- today's date in China: the client sends the day (TODAY, YYYY-MM-DD, set by run.sh) and
-- the rule (deadline before it, status neither completed nor cancelled) as a filter.
local today = os.getenv("TODAY") or os.date("!%Y-%m-%d", os.time() + 8 * 3600)
static_body = '{"query":"{ allTasks(first: 50, orderBy: [DEADLINE_ASC, ID_ASC], filter: { deadline: { lessThan: \\"' .. today .. '\\" }, status: { notIn: [\\"completed\\", \\"cancelled\\"] } }) { nodes { code title deadline assignmentsByTaskId { nodes { role agencyByAgencyId { name } } } } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
