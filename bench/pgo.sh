#!/usr/bin/env bash
# Requests/s of the blog (examples/blog) served from source, from a plain
# bundle and from a profile-guided bundle (`sxc build --profile`), in one
# run: `wrk -t2 -c${CONNECTIONS:-32} -d${DURATION:-5}s` on `/` and
# `/posts/effects` per server (fresh data directory each, --workers 2),
# each after a ${WARMUP:-2} s warm-up run of wrk on the same path.
#
#   bash bench/pgo.sh [--no-build]
#
# The profile is recorded by serving the plain bundle with --record-profile
# under the same wrk load, then SIGTERM. SXC=path uses that binary instead
# of building release. Prints a markdown table and the LLVM tier's compile
# times (median, p99, total) from /__sxc/tiers of the --jit tiered server,
# also written to bench/out/pgo.md. Needs wrk (apt-get install wrk).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"
mkdir -p "$out"
cd "$root"
DURATION="${DURATION:-5}"
CONNECTIONS="${CONNECTIONS:-32}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [ -n "${SXC:-}" ]; then
  sxc="$SXC"
else
  [ "${1:-}" = "--no-build" ] || cargo build --release -p host --bin sxc >&2
  sxc="$target_dir/release/sxc"
fi
command -v wrk >/dev/null || { echo "pgo.sh: needs wrk (apt-get install wrk)" >&2; exit 1; }
work="$(mktemp -d /tmp/sxc-pgo.XXXXXX)"
pid=""
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start() { # APP EXTRA...: starts a server, sets $pid and $port, waits for 200 on /
  port=$(free_port)
  local data; data=$(mktemp -d "$work/data.XXXX")
  "$sxc" serve "$@" --addr "127.0.0.1:$port" --data "$data" --workers 2 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 1 400); do
    curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" 2>/dev/null | grep -q 200 && return 0
    sleep 0.05
  done
  cat "$work/server.log" >&2; exit 1
}
stop() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }
rps() { # PATH: requests/s, after a ${WARMUP:-2} s warm-up on the same path
  # (a server that has run for a while: under --jit tiered the compile
  # thread has finished with the hot handlers, as in production)
  wrk -t2 -c"$CONNECTIONS" -d"${WARMUP:-2}s" "http://127.0.0.1:$port$1" >/dev/null
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" "http://127.0.0.1:$port$1" | awk '/Requests\/sec/ {print $2}'
}

"$sxc" build examples/blog -o "$work/plain.sxb" 2>/dev/null
start "$work/plain.sxb" --record-profile "$work/blog.prof"
rps / >/dev/null; rps /posts/effects >/dev/null
stop
"$sxc" build examples/blog -o "$work/pgo.sxb" --profile "$work/blog.prof" 2>"$work/pgo.build"
grep -o 'feedback for .*' "$work/pgo.build" >&2 || true

table="| blog served from | GET / (req/s) | GET /posts/effects (req/s) |
|---|---:|---:|"
for v in "source (--jit off)|examples/blog --jit off" "source (--jit tiered)|examples/blog --jit tiered" "plain bundle|$work/plain.sxb" "profile-guided bundle|$work/pgo.sxb"; do
  name="${v%%|*}"; args="${v#*|}"
  # shellcheck disable=SC2086
  start $args
  a=$(rps /); b=$(rps /posts/effects)
  case "$name" in *tiered*) curl -s "http://127.0.0.1:$port/__sxc/tiers" >"$work/tiers.json" ;; esac
  stop
  table+="
| $name | $a | $b |"
done
echo "$table" | tee "$out/pgo.md"

# Compile times of the LLVM tier while serving from source (--jit tiered):
# per compiled function (summed over the workers' copies, as /__sxc/tiers
# reports them), median, p99 and total — the total is CPU time of the
# background compile thread.
python3 - "$work/tiers.json" <<'PY' | tee -a "$out/pgo.md"
import json, sys
t = json.load(open(sys.argv[1]))
us = sorted(f["compile_us"] for f in t["functions"] if f["tier"] == "compiled")
if not us:
    print("\nno function was compiled under --jit tiered"); sys.exit()
pick = lambda q: us[min(len(us) - 1, int(q * len(us)))]
print(f"\ncompile time under --jit tiered: {len(us)} functions compiled, "
      f"median {pick(0.5) / 1000:.1f} ms, p99 {pick(0.99) / 1000:.1f} ms, "
      f"max {us[-1] / 1000:.1f} ms, total {sum(us) / 1000:.0f} ms")
PY
