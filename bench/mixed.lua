-- The mixed workload, shared by <engine>_mixed.lua (which sets `engine` and `make_write`):
-- the four reads (a)–(d) in turn, and every WRITE_EVERY-th request (default 10) a write.
-- The read bodies are taken from the engine's own per-query scripts, so they are exactly
-- what the single-query runs send.
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local every = tonumber(os.getenv("WRITE_EVERY") or "10")
local reads = {}
for _, q in ipairs({ "page", "task", "filter", "overdue" }) do
  local env = setmetatable({ dofile = function() end }, { __index = _G })
  local chunk = assert(loadfile(dir .. engine .. "_" .. q .. ".lua"))
  setfenv(chunk, env)
  chunk()
  if env.make_body then
    table.insert(reads, env.make_body)
  else
    local b = env.static_body
    table.insert(reads, function() return b end)
  end
end

-- The tasks written to (WRITE_TASKS, comma-separated ids, all assigned to WRITE_AGENCY).
write_tasks = {}
for id in (os.getenv("WRITE_TASKS") or ""):gmatch("%d+") do table.insert(write_tasks, id) end
assert(#write_tasks > 0, "WRITE_TASKS is empty")
function write_task() return write_tasks[math.random(1, #write_tasks)] end

local n, r = 0, 0
function make_body()
  n = n + 1
  if n % every == 0 then return make_write() end
  r = r + 1
  return reads[(r % #reads) + 1]()
end

dofile(dir .. "common.lua")
