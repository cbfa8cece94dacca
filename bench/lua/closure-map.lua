-- Runs under Lua 5.4 and LuaJIT: integer-only arithmetic, no `//`.
local function map(f, xs)
  local out = {}
  for i = 1, #xs do out[i] = f(xs[i]) end
  return out
end

local function filter(p, xs)
  local out, n = {}, 0
  for i = 1, #xs do
    local x = xs[i]
    if p(x) then n = n + 1; out[n] = x end
  end
  return out
end

local function reduce(f, acc, xs)
  for i = 1, #xs do acc = f(acc, xs[i]) end
  return acc
end

local xs = {}
for i = 1, 100000 do xs[i] = i end

local function round_sum(xs)
  return reduce(function(acc, x) return acc + x end, 0,
    filter(function(x) return x % 2 == 1 end,
      map(function(x) return x * 2 + 1 end, xs)))
end

local total = 0
for _ = 1, 50 do total = total + round_sum(xs) end
print(total)
