def steps(n):
    acc = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        acc += 1
    return acc

total = 0
for i in range(1, 300001):
    total += steps(i)
print(total)
