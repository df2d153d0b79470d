-- (e) duban, mixed: reads (a)–(d) with, every WRITE_EVERY-th request, a progress report on
-- one of WRITE_AGENCY's tasks, sent by that agency's staff account (STAFF_TOKEN): duban
-- checks the assignment, inserts the report, moves the task's progress (optimistic version)
-- and writes two audit events and a live-update event, in one transaction.
engine = "duban"
local staff = os.getenv("STAFF_TOKEN") or ""
function make_write()
  local body = '{"query":"mutation($t: ID!, $p: Int!) { submitProgressReport(input: { taskId: $t, period: \\"2025-Q4\\", text: \\"已完成年度目标的六成，正在推进项目审批和资金拨付。\\", percent: $p }) { period percent } }","variables":{"t":"' .. write_task() .. '","p":' .. math.random(0, 100) .. '}}'
  return body, { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. staff }
end
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "mixed.lua")
