-- Semi-naive transitive closure; see bench/README.md for the generator.
-- Lua tables cannot key by pair value, so the path set is keyed by "a,b"
-- (as in the SX version). Runs under Lua 5.4 and LuaJIT (the generator's
-- products stay below 2^53, so LuaJIT's doubles are exact).
local N_NODES, N_EDGES = 2000, 6000

local state = 42
local function next_rand()
  state = state * 48271 % 2147483647
  return state
end

local succ = {}
for i = 0, N_NODES - 1 do succ[i] = {} end
local path, count = {}, 0

local function add_path(a, b)
  local k = a .. "," .. b
  if path[k] then return false end
  path[k] = true
  count = count + 1
  return true
end

local edges = {}
for _ = 1, N_EDGES do
  local a = next_rand() % N_NODES
  local b = next_rand() % N_NODES
  if add_path(a, b) then
    local s = succ[a]
    s[#s + 1] = b
    edges[#edges + 1] = {a, b}
  end
end

local delta = edges
while #delta > 0 do
  local new = {}
  for i = 1, #delta do
    local a = delta[i][1]
    local s = succ[delta[i][2]]
    for j = 1, #s do
      local c = s[j]
      if add_path(a, c) then new[#new + 1] = {a, c} end
    end
  end
  delta = new
end

print(count)
