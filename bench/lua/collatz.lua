local function steps(n)
  local acc = 0
  while n ~= 1 do
    if n % 2 == 0 then n = math.floor(n / 2) else n = 3 * n + 1 end
    acc = acc + 1
  end
  return acc
end

local total = 0
for i = 1, 300000 do total = total + steps(i) end
print(total)
