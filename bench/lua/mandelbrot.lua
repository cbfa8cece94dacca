-- mandelbrot: float loop; counts the grid points whose orbit stays within
-- radius 2 for MAX_ITER steps.
local SIZE = 300
local MAX_ITER = 400

local function inside(cr, ci)
  local zr, zi = 0.0, 0.0
  for _ = 1, MAX_ITER do
    local zr2, zi2 = zr * zr, zi * zi
    if zr2 + zi2 > 4.0 then return false end
    zi = 2.0 * (zr * zi) + ci
    zr = (zr2 - zi2) + cr
  end
  return true
end

local function count(size)
  local n = 0
  for y = 0, size - 1 do
    local ci = (2.0 * y) / size - 1.0
    for x = 0, size - 1 do
      if inside((3.0 * x) / size - 2.0, ci) then n = n + 1 end
    end
  end
  return n
end

print(count(SIZE))
