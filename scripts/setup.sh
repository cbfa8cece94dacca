#!/usr/bin/env bash
# Installs what building and testing sxc needs on a Debian machine (run as root,
# or with sudo available). Idempotent: installs only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need=()
[ -x /usr/lib/llvm-19/bin/llvm-config ] || need+=(llvm-19-dev libpolly-19-dev libzstd-dev)
# Headless Chromium for the real-browser test (host/tests/browser.rs).
[ -x /usr/bin/chromium ] || need+=(chromium)
for extra in "$@"; do
  command -v "$extra" >/dev/null 2>&1 || need+=("$extra")
done

if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi
