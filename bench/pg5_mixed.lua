-- (e) PostGraphile 5, mixed: the same reads and, as the write, the same report inserted and
-- the task's progress set, as two mutation fields of one request (PostGraphile runs each in
-- its own transaction; no authorisation, no audit trail).
engine = "pg5"
local agency, author = os.getenv("WRITE_AGENCY") or "0", os.getenv("WRITE_USER") or "0"
function make_write()
  local t, p = write_task(), math.random(0, 100)
  return '{"query":"mutation($t: BigInt!, $a: BigInt!, $u: BigInt!, $p: Int!, $at: Datetime!) { createProgressReport(input: { progressReport: { taskId: $t, agencyId: $a, authorId: $u, period: \\"2025-Q4\\", text: \\"已完成年度目标的六成，正在推进项目审批和资金拨付。\\", percent: $p, submittedAt: $at } }) { progressReport { period percent } } updateTaskByRowId(input: { rowId: $t, taskPatch: { progress: $p, status: \\"in_progress\\" } }) { task { progress } } }","variables":{"t":"' .. t .. '","a":"' .. agency .. '","u":"' .. author .. '","p":' .. p .. ',"at":"' .. os.date("!%Y-%m-%dT%H:%M:%SZ") .. '"}}'
end
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "mixed.lua")
