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
# result); the script checks the result and runs sxc and Erlang alternately,
# N times each (default 5), so both see the same machine load. It prints the
# fastest run of each (min of N: on a shared machine the slower runs measure
# the other jobs), the spread (min–max) and the ratio of the minimums
# sxc/erlang (below 1: sxc is faster).
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
runs=5
install=0
while [ $# -gt 0 ]; do
  case "$1" in
    --install-peers) install=1 ;;
    --runs) shift; runs="${1:-5}" ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
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
# once NAME CMD...: runs CMD, checks its result, prints its `ms`.
once() {
  local name="$1"; shift
  local out
  out="$("$@" 2>&1)"
  if [ "$(echo "$out" | head -1)" != "${EXPECT[$name]}" ]; then
    echo "FAIL: $* printed: $out" >&2; return 1
  fi
  echo "$out" | awk '$1=="ms" {print $2}'
}
# minmax: reads numbers, prints "MIN MAX".
minmax() { sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {print lo, hi}'; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
printf '| workload | sxc ms (min) | sxc spread | erlang ms (min) | erlang spread | sxc/erlang |\n|---|---:|---:|---:|---:|---:|\n'
for w in pingpong ring spawn; do
  st=(); et=(); ok=1
  for _ in $(seq "$runs"); do
    t="$(once "$w" "$SXC" run --data "$tmp/data" "$here/procs/$w.sx")" && st+=("$t") || ok=0
    t="$(once "$w" escript "$here/procs/procs.erl" "$w")" && et+=("$t") || ok=0
  done
  if [ "$ok" = 0 ]; then fail=1; printf '| %s | FAIL | | | | |\n' "$w"; continue; fi
  read -r smin smax <<<"$(printf '%s\n' "${st[@]}" | minmax)"
  read -r emin emax <<<"$(printf '%s\n' "${et[@]}" | minmax)"
  ratio="$(awk -v s="$smin" -v e="$emin" 'BEGIN { if (s+0 > 0 && e+0 > 0) printf "%.2f", s/e; else print "-" }')"
  printf '| %s | %s | %s–%s | %s | %s–%s | %s |\n' "$w" "$smin" "$smin" "$smax" "$emin" "$emin" "$emax" "$ratio"
done
exit "$fail"
