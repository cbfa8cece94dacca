local N = 200000
local d = {}
for i = 0, N - 1 do
  d["k" .. i] = i
end
local total = 0
for i = 0, N - 1 do
  total = total + d["k" .. i]
end
print(total)
