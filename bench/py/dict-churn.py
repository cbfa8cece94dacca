N = 200000
d = {}
for i in range(N):
    d["k" + str(i)] = i
total = 0
for i in range(N):
    total += d["k" + str(i)]
print(total)
