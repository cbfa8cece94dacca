#!/usr/bin/env bash
# What the interpreter's safety checks cost (issue #10): the interrupt polls
# at loop back-edges and calls (vm::interrupt) and the allocation accounting
# behind --request-memory-mb / --memory-mb (host::memory). Two release
# binaries are built from the same tree, one normal and one with the
# measurement-only feature `bench-no-checks` (polls compiled out, no
# accounting); every bench/sx workload runs under both:
#
#   1. callgrind instruction counts (deterministic, unaffected by the
#      machine's load) on reduced inputs, start-up (the `startup` program's
#      count) subtracted; the goal is under +3% everywhere;
#   2. wall and user time, min of R runs, the two binaries interleaved, on
#      the wall-time inputs (the bench inputs, tak and datalog-tc smaller).
#
#   bash bench/checks.sh [--runs R] [--no-build] [--no-wall] [--no-instructions] [--only a,b]
#
# Binaries go to target/checks/sxc-{checks,nochecks} (CARGO_TARGET_DIR is
# honoured). Each callgrind run takes well under a minute.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs=5
build=1
wall=1
instr=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) shift; runs="$1" ;;
    --no-build) build=0 ;;
    --no-wall) wall=0 ;;
    --no-instructions) instr=0 ;;
    --only) shift; only="$1" ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
target="${CARGO_TARGET_DIR:-$root/target}"
bins="$target/checks"
if [ "$build" = 1 ]; then
  mkdir -p "$bins"
  (cd "$root" && cargo build --release -p host) || { echo "build failed" >&2; exit 1; }
  cp "$target/release/sxc" "$bins/sxc-checks"
  (cd "$root" && cargo build --release -p host --features bench-no-checks) || { echo "build failed" >&2; exit 1; }
  cp "$target/release/sxc" "$bins/sxc-nochecks"
  # Leave the normal binary in target/release for the other scripts.
  cp "$bins/sxc-checks" "$target/release/sxc"
fi
[ "$instr" = 0 ] || command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }
exec python3 - "$bins" "$here/sx" "$runs" "$wall" "$only" "$instr" <<'PY'
import os, re, subprocess, sys, tempfile, time
bins, folder, runs, wall, only = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1", sys.argv[5]
instr = sys.argv[6] == "1"
builds = {"checks": os.path.join(bins, "sxc-checks"), "nochecks": os.path.join(bins, "sxc-nochecks")}
# workload -> (callgrind input edits, wall-time input edits); each edit is
# (text in the bench program, replacement) and must match.
SIZES = {
    "startup": ([], []),
    "fib": ([("(fib 35)", "(fib 25)")], []),
    "tak": ([("(= i 200)", "(= i 3)")], [("(= i 200)", "(= i 20)")]),
    "nqueens": ([], []),
    "closure-map": ([("(= i 50)", "(= i 3)")], []),
    "dict-churn": ([], []),
    "datalog-tc": ([("(define n-nodes 2000)", "(define n-nodes 300)"), ("(define n-edges 6000)", "(define n-edges 900)")],
                   [("(define n-nodes 2000)", "(define n-nodes 1000)"), ("(define n-edges 6000)", "(define n-edges 3000)")]),
    "collatz": ([("300000", "20000")], []),
    "mandelbrot": ([("(define size 300)", "(define size 60)")], []),
}
names = [n for n in SIZES if not only or n in only.split(",")]
if "startup" not in names:
    names.insert(0, "startup")
tmp = tempfile.mkdtemp(prefix="sxc-checks-")

def program(name, edits, tag):
    src = open(os.path.join(folder, name + ".sx")).read()
    for a, b in edits:
        if a not in src:
            sys.exit(f"bench/checks.sh: {name}.sx no longer contains {a!r}; update SIZES")
        src = src.replace(a, b)
    path = os.path.join(tmp, f"{name}.{tag}.sx")
    open(path, "w").write(src)
    return path

def callgrind(binary, path):
    p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", binary, "run", "--jit", "off", path],
                       capture_output=True, text=True)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr) or re.search(r"I\s+refs:\s+([\d,]+)", p.stderr)
    if p.returncode != 0 or not m:
        sys.exit(f"FAILURE: {binary} {path}: exit {p.returncode}\n{p.stderr[-800:]}")
    return int(m.group(1).replace(",", "")), p.stdout

counts = {}
if instr:
    print("## Instruction counts (callgrind, reduced inputs, start-up subtracted)\n")
    print("| workload | no checks | checks | cost |")
    print("|---|---:|---:|---:|")
for name in names if instr else []:
    path = program(name, SIZES[name][0], "small")
    (a, oa), (b, ob) = callgrind(builds["nochecks"], path), callgrind(builds["checks"], path)
    if oa != ob:
        sys.exit(f"FAILURE: {name}: the two builds printed {oa!r} and {ob!r}")
    counts[name] = (a, b)
    if name == "startup":
        print(f"| startup (subtracted) | {a:,} | {b:,} | {100 * (b - a) / a:+.2f}% |", flush=True)
        continue
    s0, s1 = counts["startup"]
    na, nb = a - s0, b - s1
    print(f"| {name} | {na:,} | {nb:,} | {100 * (nb - na) / na:+.2f}% |", flush=True)

if wall:
    def timed(binary, path):
        t0 = time.perf_counter()
        p = subprocess.Popen([binary, "run", "--jit", "off", path], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, status, ru = os.wait4(p.pid, 0)
        t = time.perf_counter() - t0
        if status != 0:
            sys.exit(f"FAILURE: {binary} {path}: status {status}: {p.stderr.read()[:300]!r}")
        p.stderr.close()
        return t, ru.ru_utime
    print(f"\n## Wall and user time (min of {runs}, builds interleaved)\n")
    print("| workload | wall, no checks | wall, checks | ratio | user, no checks | user, checks | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        path = program(name, SIZES[name][1], "wall")
        best = {k: (float("inf"), float("inf")) for k in builds}
        for _ in range(runs):
            for k, binary in builds.items():
                t, u = timed(binary, path)
                best[k] = (min(best[k][0], t), min(best[k][1], u))
        (wa, ua), (wb, ub) = best["nochecks"], best["checks"]
        print(f"| {name} | {wa:.3f} s | {wb:.3f} s | {wb / wa:.3f} | {ua:.3f} s | {ub:.3f} s | {(f"{ub / ua:.3f}" if ua > 0 else "—")} |", flush=True)
PY
