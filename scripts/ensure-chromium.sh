#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (/usr/bin/chromium). Installs it with apt when it is
# missing and this runs as root (or with sudo); otherwise says how, and fails.
set -euo pipefail
chromium="${BOXOFFICE_CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
if [ "$(id -u)" = "0" ]; then run=(); elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then run=(sudo); else
  echo "Chromium is missing at $chromium: install it with 'apt-get install -y chromium' (the browser tests need it)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Chromium is missing at $chromium and apt-get is not here: install Chromium and set BOXOFFICE_CHROMIUM to it" >&2
  exit 1
fi
echo "installing Chromium with apt for the browser tests" >&2
export DEBIAN_FRONTEND=noninteractive
"${run[@]}" apt-get install -y -qq chromium >/dev/null 2>&1 || { "${run[@]}" apt-get update -qq && "${run[@]}" apt-get install -y -qq chromium >/dev/null; }
[ -x "$chromium" ]
