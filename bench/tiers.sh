#!/usr/bin/env bash
# The LLVM tier against the interpreter, robust to a noisy machine:
# `--jit off` and `--jit tiered` runs of each workload alternate, N times
# each (default 5), and the minimum wall-clock and CPU (user + sys) time of
# each mode is reported with the ratio tiered / off. The minimum is the
# figure to compare when other load on the machine only ever adds time
# (bench/run.sh's medians against the peers stay the headline table).
#
#   bash bench/tiers.sh [-n N] [WORKLOAD...]     (default: every bench/sx/*.sx)
#
# SXC=/path/to/sxc picks the binary (default target/release/sxc). Every run's
# output is checked against the first run's; a difference is a FAILURE.
set -u
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
sxc="${SXC:-$root/target/release/sxc}"
n=5
if [ "${1:-}" = "-n" ]; then n="$2"; shift 2; fi
works=("$@")
if [ ${#works[@]} -eq 0 ]; then
  for f in "$here"/sx/*.sx; do works+=("$(basename "$f" .sx)"); done
fi
[ -x "$sxc" ] || { echo "no sxc at $sxc (build it: cargo build --release -p host)" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
printf '%-12s %9s %9s %6s   %9s %9s %6s\n' workload "off wall" "jit wall" ratio "off cpu" "jit cpu" ratio
for w in "${works[@]}"; do
  src="$here/sx/$w.sx"
  [ -f "$src" ] || { echo "no workload $src" >&2; status=1; continue; }
  declare -A best=([off.w]=1e9 [off.c]=1e9 [tiered.w]=1e9 [tiered.c]=1e9)
  "$sxc" run --jit off "$src" >"$tmp/expected" 2>/dev/null
  for _ in $(seq "$n"); do
    for m in off tiered; do
      /usr/bin/time -o "$tmp/t" -f "%e %U %S" "$sxc" run --jit "$m" "$src" >"$tmp/out" 2>/dev/null
      if ! cmp -s "$tmp/out" "$tmp/expected"; then
        echo "FAILURE: $w under --jit $m printed something else" >&2
        status=1
      fi
      read -r wall user sys <"$tmp/t"
      cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
      best[$m.w]=$(awk -v a="$wall" -v b="${best[$m.w]}" 'BEGIN { print (a < b) ? a : b }')
      best[$m.c]=$(awk -v a="$cpu" -v b="${best[$m.c]}" 'BEGIN { print (a < b) ? a : b }')
    done
  done
  awk -v w="$w" -v ow="${best[off.w]}" -v tw="${best[tiered.w]}" -v oc="${best[off.c]}" -v tc="${best[tiered.c]}" \
    'BEGIN { printf "%-12s %8.3fs %8.3fs %6.2f   %8.2fs %8.2fs %6.2f\n", w, ow, tw, tw / ow, oc, tc, tc / oc }'
  unset best
done
exit $status
