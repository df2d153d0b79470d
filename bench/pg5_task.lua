-- (b) PostGraphile 5: one task by a random row id (1..MAX_TASK_ID) with its plan's title.
local max_id = tonumber(os.getenv("MAX_TASK_ID") or "353")
function make_body()
  return '{"query":"query($id: BigInt!) { taskByRowId(rowId: $id) { code title deadline planByPlanId { title } } }","variables":{"id":"' .. math.random(1, max_id) .. '"}}'
end
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
