def tak(x, y, z):
    if not (y < x):
        return z
    return tak(tak(x - 1, y, z), tak(y - 1, z, x), tak(z - 1, x, y))

total = 0
for _ in range(200):
    total += tak(24, 16, 8)
print(total)
