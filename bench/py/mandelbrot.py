# mandelbrot: float loop; counts the grid points whose orbit stays within
# radius 2 for MAX_ITER steps.
SIZE = 300
MAX_ITER = 400


def inside(cr, ci):
    zr = 0.0
    zi = 0.0
    i = 0
    while i < MAX_ITER:
        zr2 = zr * zr
        zi2 = zi * zi
        if zr2 + zi2 > 4.0:
            return False
        zi = 2.0 * (zr * zi) + ci
        zr = (zr2 - zi2) + cr
        i += 1
    return True


def count(size):
    n = 0
    for y in range(size):
        ci = (2.0 * y) / size - 1.0
        for x in range(size):
            cr = (3.0 * x) / size - 2.0
            if inside(cr, ci):
                n += 1
    return n


print(count(SIZE))
