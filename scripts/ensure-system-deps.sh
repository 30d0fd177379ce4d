#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real: Chromium (browser tests of the demo page) and
# redis-server (the Redis adapter's tests start their own servers on free loopback ports).
# Runs before `npm test`; a no-op when everything is already there. Needs root (or sudo) only when installing.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "wsgate tests need Debian packages: ${missing[*]} — installing them" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "cannot install ${missing[*]}: run as root, or install them yourself (apt-get install ${missing[*]})" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
