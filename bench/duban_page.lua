-- (a) duban: first page of 50 tasks (document order) with assignments and agency names.
static_body = '{"query":"{ tasks(first: 50) { nodes { code title assignments { role agency { name } } } } }"}'
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
