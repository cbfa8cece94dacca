from functools import reduce

xs = list(range(1, 100001))

def round_sum(xs):
    ys = list(map(lambda x: x * 2 + 1, xs))
    zs = list(filter(lambda x: x % 2 == 1, ys))
    return reduce(lambda acc, x: acc + x, zs, 0)

total = 0
for _ in range(50):
    total += round_sum(xs)
print(total)
