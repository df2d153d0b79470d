-- (d) duban: the office's overdue list, earliest deadline first: 50 overdue tasks (deadline
-- before today in China, not completed or cancelled) with assignments and agency names.
static_body = '{"query":"{ tasks(first: 50, filter: { overdue: true }, orderBy: [{ field: DEADLINE, direction: ASC }]) { nodes { code title deadline assignments { role agency { name } } } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
