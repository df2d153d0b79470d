-- A request of the floor ladder (bench/floor.sh): the GraphQL body comes from $BODY.
static_body = os.getenv("BODY")
local dir = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(dir .. "common.lua")
