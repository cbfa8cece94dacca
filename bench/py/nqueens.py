# Backtracking with a Python list used as a stack of placed columns.
def safe(col, placed):
    dist = 1
    for p in reversed(placed):
        if p == col or abs(p - col) == dist:
            return False
        dist += 1
    return True

def queens(n, placed):
    if len(placed) == n:
        return 1
    total = 0
    for col in range(n):
        if safe(col, placed):
            placed.append(col)
            total += queens(n, placed)
            placed.pop()
    return total

print(queens(10, []))
