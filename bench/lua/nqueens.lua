-- Backtracking with a Lua array used as a stack of placed columns.
local function safe(col, placed, n)
  local dist = 1
  for i = n, 1, -1 do
    local p = placed[i]
    if p == col or math.abs(p - col) == dist then return false end
    dist = dist + 1
  end
  return true
end

local function queens(n, placed, row)
  if row == n then return 1 end
  local total = 0
  for col = 0, n - 1 do
    if safe(col, placed, row) then
      placed[row + 1] = col
      total = total + queens(n, placed, row + 1)
      placed[row + 1] = nil
    end
  end
  return total
end

print(queens(10, {}, 0))
