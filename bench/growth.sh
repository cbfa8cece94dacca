#!/usr/bin/env bash
# Growth of the functional-update programs of issue #11: each program in
# bench/growth/ runs at n and at 4n; the growth is time(4n) / time(n).
# Linear is 4x, quadratic 16x; the goal is every growth under 5x.
#
#   bash bench/growth.sh [--n N] [--runs R] [--no-build]
#
# N defaults to 10000 (the issue's table). SXC=/path/to/sxc uses that binary;
# SXC_ARGS adds options after `run` (e.g. a tier flag once there is one).
# Times are wall-clock medians of R runs (default 3) of the whole process,
# startup included (~10 ms), so at small N the growth understates the
# per-operation cost; use --n 100000 to see it without startup.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
n=10000
runs=3
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --n) shift; n="$1" ;;
    --runs) shift; runs="$1" ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
sxc="${SXC:-$root/target/release/sxc}"
if [ -z "${SXC:-}" ] && [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p host) || { echo "build failed" >&2; exit 1; }
fi
exec python3 - "$sxc" "${SXC_ARGS:-}" "$n" "$runs" "$here/growth" <<'PY'
import os, statistics, subprocess, sys, tempfile, time
sxc, extra, n, runs, folder = sys.argv[1], sys.argv[2].split(), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
progs = sorted(f for f in os.listdir(folder) if f.endswith(".sx"))
def run(path, size):
    src = open(path).read().replace("@N@", str(size))
    with tempfile.NamedTemporaryFile("w", suffix=".sx", delete=False) as f:
        f.write(src)
    times, out = [], ""
    try:
        for _ in range(runs):
            t0 = time.perf_counter()
            p = subprocess.run([sxc, "run", *extra, f.name], capture_output=True, text=True, timeout=600)
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                sys.exit(f"FAILURE: {path} at n={size}: exit {p.returncode}: {p.stderr[:300]}")
            out = p.stdout.strip()
    finally:
        os.unlink(f.name)
    return statistics.median(times), out
print(f"| program | n = {n:,} | 4n = {4*n:,} | growth |")
print("|---|---:|---:|---:|")
worst = 0.0
for prog in progs:
    path = os.path.join(folder, prog)
    (t1, o1), (t4, o4) = run(path, n), run(path, 4 * n)
    g = t4 / t1
    worst = max(worst, g)
    print(f"| {prog[:-3]} | {t1:.3f} s | {t4:.3f} s | {g:.1f}x |", flush=True)
print(f"\nworst growth {worst:.1f}x (goal: under 5x; linear is 4x)")
PY
