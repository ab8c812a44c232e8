#!/usr/bin/env bash
# TAP suite: the interop harness itself (Debian's Chromium, the official SDK as
# an ES module, the launch flags, loopback-only ICE) against a scripted stub
# signalling server, with no amsclient code involved.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if ! "$here/bin/ensure-deps"; then
  echo "not ok 1 - interop dependencies (chromium, npm packages) could not be installed"
  exit 1
fi
exec node "$here/scenarios/harness-selfcheck.mjs"
