#!/usr/bin/env bash
# Benchmark sxc (interpreter: `--jit off`; LLVM tier: `--jit tiered`, column
# sxc-jit) against Python, Lua 5.4, LuaJIT, Guile and Chez Scheme.
#
#   bash bench/run.sh [--install-peers] [--quick] [--only NAME[,NAME...]]
#                     [--tools TOOL[,TOOL...]] [--no-build]
#
# SXC=/path/to/sxc uses that binary instead of building target/release/sxc.
#
# Every program is run once first and its stdout compared with the expected
# value (a wrong output or a non-zero exit is a FAILURE: reported loudly, the
# script exits non-zero at the end, and that cell shows FAIL). That run also
# serves as the warm-up (it fills Guile's compile cache, the page cache, ...).
# Then hyperfine times it: 3 runs, or 1 run when the first run took 5 s or
# more (`--quick`: always 1 run); a first run of 20 s or more is not repeated
# and its own time is reported (BENCH_LONG / BENCH_REUSE change the limits,
# BENCH_TIMEOUT the 300 s limit per program). Results: bench/out/*.json (hyperfine) and
# bench/out/results.tsv; the tables are printed at the end and written to
# bench/out/results.md.
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"

install_peers=0
quick=0
build=1
only=""
tools_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --install-peers) install_peers=1 ;;
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --only) shift; only="${1:-}" ;;
    --tools) shift; tools_only="${1:-}" ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

# Per-program limit for the checking run (seconds).
LIMIT="${BENCH_TIMEOUT:-300}"
# A first run at least this long (seconds) is timed with a single run.
LONG="${BENCH_LONG:-5}"
# A first run at least this long (seconds) is not repeated: its own time is
# the measurement (keeps the whole suite well under 15 minutes).
REUSE="${BENCH_REUSE:-20}"

WORKLOADS=(startup fib tak nqueens closure-map dict-churn datalog-tc collatz mandelbrot)
declare -A EXPECT=(
  [startup]="ok"
  [fib]="9227465"
  [tak]="1800"
  [nqueens]="724"
  [closure-map]="500010000000"
  [dict-churn]="19999900000"
  [datalog-tc]="3554908"
  [collatz]="35669725"
  [mandelbrot]="22777"
)
TOOLS=(sxc sxc-jit python3 lua5.4 luajit guile chez)
if [ -n "$tools_only" ]; then IFS=',' read -r -a TOOLS <<< "$tools_only"; fi

if [ -n "$only" ]; then
  IFS=',' read -r -a WORKLOADS <<< "$only"
  for w in "${WORKLOADS[@]}"; do
    [ -n "${EXPECT[$w]:-}" ] || { echo "unknown workload: $w" >&2; exit 2; }
  done
fi

if [ "$install_peers" = 1 ]; then
  echo "== installing peers (apt)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  # Wait for another apt/dpkg to finish rather than fail on its lock.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
    python3 lua5.4 luajit guile-3.0 chezscheme hyperfine jq >/dev/null
fi

for t in python3 hyperfine; do
  command -v "$t" >/dev/null || { echo "error: $t is required" >&2; exit 2; }
done

# Command prefix for each tool ("" = not available).
declare -A CMD
# The interpreter itself, not a wrapper such as a pyenv shim (which adds ~0.3 s).
CMD[python3]="$(python3 -c 'import sys; print(sys.executable)')"
CMD[lua5.4]="$(command -v lua5.4 >/dev/null && echo lua5.4)"
CMD[luajit]="$(command -v luajit >/dev/null && echo luajit)"
CMD[guile]="$(command -v guile >/dev/null && echo guile)"
if command -v chezscheme >/dev/null; then CMD[chez]="chezscheme --script"
elif command -v scheme >/dev/null && scheme --version 2>&1 | grep -q '^[0-9]'; then CMD[chez]="scheme --script"
else CMD[chez]=""; fi

sxc="${SXC:-$root/target/release/sxc}"
CMD[sxc]=""
CMD[sxc-jit]=""
if [ -n "${SXC:-}" ]; then
  echo "== using SXC=$SXC (no build)"
elif [ "$build" = 1 ] && [[ " ${TOOLS[*]} " == *" sxc "* ]]; then
  echo "== cargo build --release -p host"
  if (cd "$root" && cargo build --release -p host); then :; else
    echo "!! FAILURE: cargo build --release -p host failed; the sxc column is skipped" >&2
  fi
fi
if [ -x "$sxc" ]; then CMD[sxc]="$sxc run --jit off"; CMD[sxc-jit]="$sxc run --jit tiered"; fi

file_for() { # tool workload -> program path
  case "$1" in
    sxc|sxc-jit) echo "$here/sx/$2.sx" ;;
    python3) echo "$here/py/$2.py" ;;
    lua5.4|luajit) echo "$here/lua/$2.lua" ;;
    guile) echo "$here/guile/$2.scm" ;;
    chez) echo "$here/chez/$2.scm" ;;
  esac
}

version_of() {
  case "$1" in
    sxc|sxc-jit) if [ -n "${SXC:-}" ]; then echo "$SXC"; else echo "sxc built at $(git -C "$root" rev-parse --short HEAD 2>/dev/null)"; fi ;;
    python3) python3 --version 2>&1 ;;
    lua5.4) lua5.4 -v 2>&1 | cut -d' ' -f1-2 ;;
    luajit) luajit -v 2>&1 | cut -d' ' -f1-2 ;;
    guile) guile --version 2>&1 | head -1 ;;
    chez) echo "Chez Scheme $(${CMD[chez]%% *} --version 2>&1)" ;;
  esac
}

mkdir -p "$out"
tsv="$out/results.tsv"
printf 'workload\ttool\tstatus\tmedian_s\truns\n' > "$tsv"
failures=0
start_all=$(date +%s)

echo "== tools"
for t in "${TOOLS[@]}"; do
  if [ -n "${CMD[$t]}" ]; then echo "  $t: ${CMD[$t]}  ($(version_of "$t"))"; else echo "  $t: not available"; fi
done

for w in "${WORKLOADS[@]}"; do
  for t in "${TOOLS[@]}"; do
    [ -n "${CMD[$t]}" ] || continue
    f="$(file_for "$t" "$w")"
    if [ ! -f "$f" ]; then
      echo "!! FAILURE: $t $w: missing $f" >&2
      printf '%s\t%s\tFAIL\t\t0\n' "$w" "$t" >> "$tsv"; failures=$((failures+1)); continue
    fi
    cmd="${CMD[$t]} $f"
    # Checking run (also the warm-up).
    t0=$(date +%s.%N)
    got="$(cd "$out" && timeout "$LIMIT" ${CMD[$t]} "$f" 2>"$out/$w.$t.stderr")"
    rc=$?
    t1=$(date +%s.%N)
    first=$(python3 -c "print(f'{$t1-$t0:.2f}')")
    got_trim="$(printf '%s' "$got" | sed -e 's/[[:space:]]*$//')"
    if [ $rc -ne 0 ] || [ "$got_trim" != "${EXPECT[$w]}" ]; then
      failures=$((failures+1))
      status="FAIL"; [ $rc -eq 124 ] && status="TIMEOUT"
      {
        echo
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo "!! FAILURE ($status): $t $w (exit $rc)"
        echo "!!   expected: ${EXPECT[$w]}"
        echo "!!   got:      $(printf '%s' "$got" | head -c 300)"
        echo "!!   stderr:   $(head -c 600 "$out/$w.$t.stderr")"
        echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"
        echo
      } >&2
      printf '%s\t%s\t%s\t\t0\n' "$w" "$t" "$status" >> "$tsv"
      continue
    fi
    if python3 -c "import sys; sys.exit(0 if $first >= $REUSE else 1)"; then
      printf '  %-12s %-8s ok   first %6ss  (taken as the measurement)\n' "$w" "$t" "$first"
      printf '%s\t%s\tok\t%s\t1\n' "$w" "$t" "$first" >> "$tsv"
      continue
    fi
    runs=3
    if [ "$quick" = 1 ] || python3 -c "import sys; sys.exit(0 if $first >= $LONG else 1)"; then runs=1; fi
    json="$out/$w.$t.json"
    if (cd "$out" && hyperfine -N --style none --warmup 0 --runs "$runs" \
          --command-name "$t $w" --export-json "$json" "$cmd" >/dev/null 2>&1); then
      med=$(python3 -c "import json,sys; print('%.4f' % json.load(open(sys.argv[1]))['results'][0]['median'])" "$json")
      printf '  %-12s %-8s ok   first %6ss  median %8ss  (%d run%s)\n' "$w" "$t" "$first" "$med" "$runs" "$([ $runs = 1 ] || echo s)"
      printf '%s\t%s\tok\t%s\t%s\n' "$w" "$t" "$med" "$runs" >> "$tsv"
    else
      failures=$((failures+1))
      echo "!! FAILURE: hyperfine failed for: $cmd" >&2
      printf '%s\t%s\tFAIL\t\t0\n' "$w" "$t" >> "$tsv"
    fi
  done
done

end_all=$(date +%s)
echo
echo "== done in $((end_all - start_all)) s; $failures failure(s)"
echo

python3 - "$tsv" "$out/results.md" "$(uptime | sed 's/.*load average: //')" "$(nproc)" <<'EOF'
import csv, sys
tsv, md_path, load, ncpu = sys.argv[1:5]
tools = ["sxc", "sxc-jit", "python3", "lua5.4", "luajit", "guile", "chez"]
rows = list(csv.DictReader(open(tsv), delimiter="\t"))
workloads = []
cell = {}
for r in rows:
    if r["workload"] not in workloads:
        workloads.append(r["workload"])
    cell[(r["workload"], r["tool"])] = r
def med(w, t):
    r = cell.get((w, t))
    if r is None:
        return None, "—"
    if r["status"] != "ok":
        return None, r["status"]
    v = float(r["median_s"])
    return v, ("%.3f" % v) + ("" if r["runs"] != "1" else "¹")
lines = []
lines.append("Median wall-clock seconds (¹ = single timed run)")
lines.append("")
lines.append("| workload | " + " | ".join(tools) + " |")
lines.append("|---|" + "---:|" * len(tools))
for w in workloads:
    lines.append("| %s | %s |" % (w, " | ".join(med(w, t)[1] for t in tools)))
lines.append("")
for mine in ["sxc", "sxc-jit"]:
    lines.append("Ratio %s / peer (above 1: %s is slower; below 1: faster)" % (mine, mine))
    lines.append("")
    peers = [t for t in tools if t != mine]
    lines.append("| workload | " + " | ".join(peers) + " |")
    lines.append("|---|" + "---:|" * len(peers))
    for w in workloads:
        s, _ = med(w, mine)
        cells = []
        for p in peers:
            v, txt = med(w, p)
            if s is None or v is None or v == 0:
                cells.append("—")
            else:
                cells.append("%.2f" % (s / v))
        lines.append("| %s | %s |" % (w, " | ".join(cells)))
    lines.append("")
lines.append("")
lines.append("(%s CPUs, load average at the end: %s)" % (ncpu, load))
text = "\n".join(lines)
print(text)
open(md_path, "w").write(text + "\n")
EOF

if [ "$failures" -gt 0 ]; then
  echo
  echo "!! $failures FAILURE(S) — see the messages above" >&2
  exit 1
fi
