#!/usr/bin/env bash
# Process benchmarks: sxc against Erlang/OTP (Debian's erlang-base) in the
# same run. Workloads (bench/procs/*.sx and bench/procs/procs.erl, same shapes):
#   pingpong  200,000 round trips between two processes
#   ring      1,000 processes, a token passed around the ring 1,000 times
#   spawn     100,000 spawns, each sending one message back
#
#   bash bench/procs.sh [--install-peers] [--runs N]
#
# SXC=/path/to/sxc uses that binary instead of building target/release/sxc.
# Each program times itself (start-up excluded: it prints `ms N` after its
# result); the script checks the result, takes the median of N runs
# (default 3) and prints the times and the ratio sxc/erlang (below 1: sxc is
# faster).
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs=3
install=0
while [ $# -gt 0 ]; do
  case "$1" in
    --install-peers) install=1 ;;
    --runs) shift; runs="${1:-3}" ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done
if ! command -v escript >/dev/null; then
  if [ "$install" = 1 ]; then apt-get install -y erlang-base >/dev/null; else
    echo "escript not found (apt-get install erlang-base, or --install-peers)" >&2; exit 2; fi
fi
if [ -z "${SXC:-}" ]; then
  (cd "$root" && cargo build --release -p host -q) || exit 1
  SXC="$root/target/release/sxc"
fi
declare -A EXPECT=([pingpong]=200000 [ring]=1000 [spawn]=100000)
fail=0
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# run NAME CMD...: prints the median ms, or FAIL.
run() {
  local name="$1"; shift
  local times=()
  for _ in $(seq "$runs"); do
    local out
    out="$("$@" 2>&1)"
    if [ "$(echo "$out" | head -1)" != "${EXPECT[$name]}" ]; then
      echo "FAIL: $* printed: $out" >&2; echo FAIL; return 1
    fi
    times+=("$(echo "$out" | awk '$1=="ms" {print $2}')")
  done
  printf '%s\n' "${times[@]}" | median
}
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
printf '| workload | sxc ms | erlang ms | sxc/erlang |\n|---|---:|---:|---:|\n'
for w in pingpong ring spawn; do
  s="$(run "$w" "$SXC" run --data "$tmp/data" "$here/procs/$w.sx")" || fail=1
  e="$(run "$w" escript "$here/procs/procs.erl" "$w")" || fail=1
  ratio="$(awk -v s="$s" -v e="$e" 'BEGIN { if (s+0 > 0 && e+0 > 0) printf "%.2f", s/e; else print "-" }')"
  printf '| %s | %s | %s | %s |\n' "$w" "$s" "$e" "$ratio"
done
exit "$fail"
