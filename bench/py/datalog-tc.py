# Semi-naive transitive closure; see bench/README.md for the generator.
N_NODES = 2000
N_EDGES = 6000

state = 42
def next_rand():
    global state
    state = state * 48271 % 2147483647
    return state

succ = [[] for _ in range(N_NODES)]
path = set()
edges = []
for _ in range(N_EDGES):
    a = next_rand() % N_NODES
    b = next_rand() % N_NODES
    if (a, b) not in path:
        path.add((a, b))
        succ[a].append(b)
        edges.append((a, b))

delta = edges
while delta:
    new = []
    for a, b in delta:
        for c in succ[b]:
            if (a, c) not in path:
                path.add((a, c))
                new.append((a, c))
    delta = new

print(len(path))
