#!/usr/bin/env bash
# HTTP and storage benchmark of `sxc serve` (see bench/HTTP.md).
#
#   bash bench/http.sh [--no-build]
#
# Builds release (`cargo build --release -p host --bin sxc --examples`), starts
# the blog (examples/blog, fresh temp data dir) and the hyper hello-world peer
# (host/examples/hello_hyper.rs) on free loopback ports, checks that every
# measured URL answers 200 with the right content, then measures each with
#   wrk -t2 -c64 -d${DURATION:-10}s --latency
# (blog: /, /posts/effects, /api/posts; hello-world: /) and prints a markdown
# table of requests/s and p99 latency with the blog/hello-world ratios. Then a
# soak run of the home page (${SOAK_DURATION:-30} s, 64 connections) must see
# zero non-2xx/3xx responses and zero socket errors, and a post published after
# it must show on the next home and post pages. Last, the store benchmark
# (host/examples/store_bench.rs): persist/append commits/s with 1 and 64
# writers, their ratio, and the raw redb single-commit rate.
#
# Exits non-zero when a response is wrong, a run reports errors, a server dies
# or a tool fails. The targets (blog home >= 25% of hello-world req/s; 64
# writers >= 5x one writer) are reported as met / NOT met; with STRICT=1 a
# missed target also fails the script. Tables: printed, and written to
# bench/out/http.md.
#
# Environment: DURATION (s per endpoint, default 10), SOAK_DURATION (default
# 30), CONNECTIONS (default 64), WORKERS (blog workers, default: sxc's default,
# one per core), CARGO_TARGET_DIR (where the release build lives), STRICT.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="$here/out"
cd "$root"

build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
  shift
done

DURATION="${DURATION:-10}"
SOAK_DURATION="${SOAK_DURATION:-30}"
CONNECTIONS="${CONNECTIONS:-64}"
STRICT="${STRICT:-0}"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
bin="$target_dir/release"

failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
die() { echo "http.sh: $*" >&2; exit 1; }

# ------------------------------------------------------------------ tools

need_pkgs=()
command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
command -v curl >/dev/null 2>&1 || need_pkgs+=(curl)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" != 0 ] && SUDO="sudo"
  echo "http.sh: installing ${need_pkgs[*]}"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null \
    || die "cannot install ${need_pkgs[*]}"
fi

if [ "$build" = 1 ]; then
  echo "http.sh: cargo build --release -p host --bin sxc --examples"
  cargo build --release -p host --bin sxc --examples || die "build failed"
fi
for b in sxc examples/hello_hyper examples/store_bench; do
  [ -x "$bin/$b" ] || die "$bin/$b is missing (build first, or unset --no-build)"
done

# ------------------------------------------------------------------ servers

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sxc-http-bench.XXXXXX")"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME LOGFILE CMD... : runs CMD in the background; sets $addr from the
# "listening on http://ADDR" line it prints to stderr.
start() {
  local name="$1" log="$2"; shift 2
  "$@" >"$log.out" 2>"$log" &
  local pid=$!
  pids+=("$pid")
  local i
  for i in $(seq 1 600); do
    addr="$(sed -n 's/.*listening on http:\/\/\([^ ]*\).*/\1/p' "$log" | head -n1)"
    [ -n "$addr" ] && { echo "http.sh: $name on http://$addr (pid $pid)"; return 0; }
    kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "$name exited before listening"; }
    sleep 0.1
  done
  cat "$log" >&2
  die "$name did not start within 60 s"
}

blog_args=(serve examples/blog --addr 127.0.0.1:0 --data "$tmp/data")
[ -n "${WORKERS:-}" ] && blog_args+=(--workers "$WORKERS")
start blog "$tmp/blog.log" "$bin/sxc" "${blog_args[@]}"
blog="$addr"
start hello-world "$tmp/hello.log" "$bin/examples/hello_hyper" --addr 127.0.0.1:0
hello="$addr"

# ------------------------------------------------------------------ correct answers first

# check URL NEEDLE CONTENT-TYPE-PREFIX: 200, the content type, the needle in the body.
check() {
  local url="$1" needle="$2" ctype="$3" body code type
  body="$(curl -sS -o "$tmp/body" -w '%{http_code} %{content_type}' --max-time 60 "$url")" \
    || { fail "GET $url: curl failed"; return; }
  code="${body%% *}"; type="${body#* }"
  [ "$code" = 200 ] || { fail "GET $url: status $code"; return; }
  case "$type" in "$ctype"*) ;; *) fail "GET $url: content-type $type, expected $ctype"; return ;; esac
  grep -qF -- "$needle" "$tmp/body" || fail "GET $url: body lacks '$needle'"
}
check "http://$blog/" "Effects without colours" "text/html"
check "http://$blog/posts/effects" "<h1>Effects without colours</h1>" "text/html"
check "http://$blog/api/posts" '"slug":"hello-sx"' "application/json"
check "http://$hello/" "Hello, world!" "text/plain"
[ "$failures" = 0 ] || die "wrong responses before the benchmark"

# ------------------------------------------------------------------ wrk

# to_ms VALUE: wrk's "1.23ms" / "456.00us" / "1.02s" / "2.00m" in milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

# bench NAME URL SECONDS: runs wrk; sets rps, p99 (ms), errors (text, empty when none).
bench() {
  local name="$1" url="$2" secs="$3" log="$tmp/wrk-$1.txt"
  echo "http.sh: wrk -t2 -c$CONNECTIONS -d${secs}s --latency $url"
  if ! wrk -t2 -c"$CONNECTIONS" -d"${secs}s" --latency "$url" >"$log" 2>&1; then
    cat "$log" >&2; fail "$name: wrk failed"
  fi
  cp "$log" "$out/wrk-$name.txt"
  rps="$(awk '/^Requests\/sec:/ {print $2}' "$log")"
  p99="$(awk '$1 == "99%" {print $2}' "$log")"
  [ -n "$rps" ] && [ -n "$p99" ] || { cat "$log" >&2; fail "$name: cannot read wrk's output"; rps=0; p99=0; }
  p99="$(to_ms "$p99")"
  errors=""
  local non2xx sock
  non2xx="$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$log")"
  sock="$(sed -n 's/^ *Socket errors: *//p' "$log")"
  [ -n "$non2xx" ] && [ "$non2xx" != 0 ] && errors="$non2xx non-2xx/3xx responses"
  [ -n "$sock" ] && errors="${errors:+$errors; }socket errors: $sock"
  if [ -n "$errors" ]; then fail "$name: $errors"; fi
  local total; total="$(awk '/requests in/ {print $1}' "$log")"
  echo "http.sh:   $rps req/s, p99 $p99 ms, $total requests${errors:+, $errors}"
}

mkdir -p "$out"
declare -A RPS P99 ERR
for spec in "home|http://$blog/" "post|http://$blog/posts/effects" "api|http://$blog/api/posts" "hello|http://$hello/"; do
  name="${spec%%|*}"; url="${spec#*|}"
  bench "$name" "$url" "$DURATION"
  RPS[$name]="$rps"; P99[$name]="$p99"; ERR[$name]="${errors:-0}"
done

bench soak "http://$blog/" "$SOAK_DURATION"
soak_rps="$rps"; soak_p99="$p99"; soak_err="${errors:-0}"
soak_total="$(awk '/requests in/ {print $1}' "$tmp/wrk-soak.txt")"

# The servers must still be up after all that.
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a server (pid $p) died during the benchmark"; done
check "http://$blog/" "Effects without colours" "text/html"

# The blog memoizes its pages per worker (docs/serve.md, "The example blog"):
# after all those requests every worker's memo is warm. A publish must show on
# the very next requests, whichever worker answers them.
code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 60 -X POST \
  --data 'title=Benchmarked+post&tags=bench&links=effects&body=Published+after+the+soak.' "http://$blog/posts")" \
  || fail "POST /posts: curl failed"
[ "$code" = 303 ] || fail "POST /posts: status $code, expected 303"
for _ in 1 2 3 4; do
  check "http://$blog/" "Benchmarked post" "text/html"
  check "http://$blog/posts/effects" "/posts/benchmarked-post" "text/html"
done

# ------------------------------------------------------------------ store

echo "http.sh: store_bench"
store_out="$("$bin/examples/store_bench")" || fail "store_bench failed"
echo "$store_out"
line="$(grep '^store_bench: ' <<<"$store_out")"
raw="$(sed -n 's/.* raw=\([0-9.]*\).*/\1/p' <<<"$line")"
one="$(sed -n 's/.* one=\([0-9.]*\).*/\1/p' <<<"$line")"
many="$(sed -n 's/.* many=\([0-9.]*\).*/\1/p' <<<"$line")"
if [ -z "$raw" ] || [ -z "$one" ] || [ -z "$many" ]; then fail "cannot read store_bench's output"; raw=0; one=1; many=0; fi

# ------------------------------------------------------------------ report

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.1f%%", 100 * a / b }'; }
meets() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

report="$out/http.md"
{
  echo "### HTTP: wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency ($(nproc) cores)"
  echo
  echo "| server | path | req/s | p99 latency | req/s vs hello-world | p99 vs hello-world | errors |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  for spec in "home|blog|/" "post|blog|/posts/effects" "api|blog|/api/posts" "hello|hello-world|/"; do
    IFS='|' read -r name server path <<<"$spec"
    printf '| %s | `%s` | %.0f | %s ms | %s | %sx | %s |\n' "$server" "$path" "${RPS[$name]}" "${P99[$name]}" \
      "$(pct "${RPS[$name]}" "${RPS[hello]}")" "$(ratio "${P99[$name]}" "${P99[hello]}")" "${ERR[$name]}"
  done
  echo
  printf 'Soak: blog `/` for %ss at %s connections: %s requests, %.0f req/s, p99 %s ms, errors: %s.\n' \
    "$SOAK_DURATION" "$CONNECTIONS" "$soak_total" "$soak_rps" "$soak_p99" "$soak_err"
  echo
  echo "### Store: persist/append group commit"
  echo
  echo "| writers | appends/s | vs 1 writer | vs raw redb commits/s |"
  echo "| ---: | ---: | ---: | ---: |"
  printf '| 1 | %.0f | 1.00x | %sx |\n' "$one" "$(ratio "$one" "$raw")"
  printf '| 64 | %.0f | %sx | %sx |\n' "$many" "$(ratio "$many" "$one")" "$(ratio "$many" "$raw")"
  printf '| raw redb, 1 txn per row | %.0f commits/s | | 1.00x |\n' "$raw"
  echo
  echo "### Targets"
  echo
  home_share="$(pct "${RPS[home]}" "${RPS[hello]}")"
  if meets "${RPS[home]}" "$(awk -v h="${RPS[hello]}" 'BEGIN { print h / 4 }')"; then t1=met; else t1="NOT met"; fi
  if meets "$many" "$(awk -v o="$one" 'BEGIN { print o * 5 }')"; then t2=met; else t2="NOT met"; fi
  if [ "$soak_err" = 0 ]; then t3=met; else t3="NOT met"; fi
  echo "- blog home >= 25% of hello-world req/s: $home_share — $t1"
  echo "- 64 writers >= 5x the 1-writer commit rate: $(ratio "$many" "$one")x — $t2"
  echo "- zero errors at $CONNECTIONS connections for ${SOAK_DURATION}s: $soak_err — $t3"
} >"$report"

echo
cat "$report"
echo
echo "http.sh: tables written to bench/out/http.md, wrk outputs to bench/out/wrk-*.txt"

if [ "$STRICT" = 1 ]; then
  [ "$t1" = met ] || fail "target: blog home below 25% of hello-world"
  [ "$t2" = met ] || fail "target: 64 writers below 5x one writer"
fi
if [ "$failures" != 0 ]; then
  echo "http.sh: $failures failure(s)" >&2
  exit 1
fi
echo "http.sh: ok"
