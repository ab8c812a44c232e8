#!/usr/bin/env bash
# TAP suite: interop scenario "conference-browsers" (scenarios/conference-browsers.mjs) with the official
# JavaScript SDK in Chromium against ams-mini-server and amsclient.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if ! "$here/bin/ensure-deps"; then
  echo "not ok 1 - interop dependencies (chromium, npm packages) could not be installed"
  exit 1
fi
exec node "$here/scenarios/conference-browsers.mjs"
