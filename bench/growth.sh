#!/usr/bin/env bash
# Growth of the functional-update programs of issue #11: each program in
# bench/growth/ runs at n and at 4n; the growth is time(4n) / time(n).
# Linear is 4x, quadratic 16x; the goal is every growth under 5x.
#
#   bash bench/growth.sh [--n N] [--runs R] [--jit MODES] [--instructions] [--no-build]
#
# N defaults to 10000 (the issue's table). MODES is a comma list of `--jit`
# tiers, one pair of columns each (default off,tiered,eager: the interpreter
# and the LLVM tier, tiered and eager). Times are CPU seconds (user + sys)
# of the whole process, the minimum of R runs (default 3): on a shared
# machine that is far steadier than wall time, which also counts waiting for
# a core. Start-up (~10 ms, more with the LLVM tier) is included, so at
# small N the growth understates the per-operation cost; use --n 100000.
# --instructions counts instructions with callgrind instead (deterministic;
# the start-up program's count is subtracted): growth in instructions is
# the algorithm's, free of cache and machine-load effects.
# SXC=/path/to/sxc uses that binary.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
n=10000
runs=3
build=1
modes="off,tiered,eager"
instr=0
while [ $# -gt 0 ]; do
  case "$1" in
    --n) shift; n="$1" ;;
    --runs) shift; runs="$1" ;;
    --jit) shift; modes="$1" ;;
    --instructions) instr=1 ;;
    --no-build) build=0 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
sxc="${SXC:-${CARGO_TARGET_DIR:-$root/target}/release/sxc}"
if [ -z "${SXC:-}" ] && [ "$build" = 1 ]; then
  (cd "$root" && cargo build --release -p host) || { echo "build failed" >&2; exit 1; }
fi
exec python3 - "$sxc" "$modes" "$n" "$runs" "$instr" "$here/growth" <<'PY'
import os, re, subprocess, sys, tempfile, time
sxc, modes, n, runs, instr, folder = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1", sys.argv[6]
progs = sorted(f for f in os.listdir(folder) if f.endswith(".sx"))
tmp = tempfile.mkdtemp(prefix="sxc-growth-")

def source(path, size):
    out = os.path.join(tmp, f"{os.path.basename(path)[:-3]}-{size}.sx")
    with open(out, "w") as f:
        f.write(open(path).read().replace("@N@", str(size)))
    return out

def fail(what, code, err):
    sys.exit(f"FAILURE: {what}: exit {code}: {err[:300]}")

def cpu_time(file, mode):
    # CPU seconds (user + sys) of one child, min over `runs`.
    best, out = float("inf"), ""
    for _ in range(runs):
        p = subprocess.Popen([sxc, "run", "--jit", mode, file], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        o = p.stdout.read()
        e = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        if status != 0:
            fail(f"{file} --jit {mode}", status, e.decode(errors="replace"))
        best = min(best, ru.ru_utime + ru.ru_stime)
        out = o.decode().strip()
    return best, out

def instructions(file, mode):
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sxc, "run", "--jit", mode, file],
                       capture_output=True, text=True)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if p.returncode != 0 or not m:
        fail(f"{file} --jit {mode} under callgrind", p.returncode, p.stderr[-300:])
    return int(m.group(1)), p.stdout.strip()

measure = instructions if instr else cpu_time
base = {}
if instr:
    start = os.path.join(tmp, "startup.sx")
    open(start, "w").write('(println "ok")\n')
    base = {m: instructions(start, m)[0] for m in modes}
unit = "instructions (start-up subtracted)" if instr else f"CPU s, min of {runs}"
head = " | ".join(f"{m}: n | {m}: 4n | {m}: growth" for m in modes)
print(f"n = {n:,}, 4n = {4*n:,}; {unit}\n")
print(f"| program | {head} |")
print("|---|" + "---:|" * (3 * len(modes)))
worst = {m: 0.0 for m in modes}
for prog in progs:
    path = os.path.join(folder, prog)
    small, big = source(path, n), source(path, 4 * n)
    cells = []
    for m in modes:
        (t1, o1), (t4, o4) = measure(small, m), measure(big, m)
        if instr:
            t1, t4 = t1 - base[m], t4 - base[m]
            c1, c4 = f"{t1 / 1e6:,.1f} M", f"{t4 / 1e6:,.1f} M"
        else:
            c1, c4 = f"{t1:.3f} s", f"{t4:.3f} s"
        g = t4 / max(t1, 1e-9)
        worst[m] = max(worst[m], g)
        cells += [c1, c4, f"{g:.1f}x"]
    print(f"| {prog[:-3]} | " + " | ".join(cells) + " |", flush=True)
print("\nworst growth: " + ", ".join(f"{m} {worst[m]:.1f}x" for m in modes) + " (goal: under 5x; linear is 4x)")
PY
