#!/usr/bin/env bash
# docs/running.md's deployment test puts HAProxy in front of two instances. Installs it with apt when
# it is missing and this runs as root (or with sudo); otherwise says how, and fails.
set -euo pipefail
command -v haproxy >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = "0" ]; then run=(); elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then run=(sudo); else
  echo "HAProxy is missing: install it with 'apt-get install -y haproxy' (docs/running.md's deployment test needs it)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "HAProxy is missing and apt-get is not here: install HAProxy (docs/running.md's deployment test needs it)" >&2
  exit 1
fi
echo "installing HAProxy with apt for docs/running.md's deployment test" >&2
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get install -y -qq haproxy >/dev/null 2>&1 || { "${run[@]}" apt-get update -qq && "${run[@]}" apt-get install -y -qq haproxy >/dev/null; }
# The package's service is not wanted: the test runs its own HAProxy in the foreground.
"${run[@]}" service haproxy stop >/dev/null 2>&1 || true
command -v haproxy >/dev/null 2>&1
