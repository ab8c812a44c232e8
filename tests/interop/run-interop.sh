#!/usr/bin/env bash
# `make interop`: every interop scenario with the official JavaScript SDK in
# Chromium, including the pending ones (pending-*.sh.txt: scenarios whose
# server or CLI piece does not exist yet; they fail until it does, and are kept
# out of `make check` until then). Prints TAP per suite and ends with
# "N passed, N failed". INTEROP_TESTS="pattern ..." runs only matching suites.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}
export BUILD AMS_TOP=$top
export AMSCLIENT_BIN=$top/$BUILD/bin/amsclient MINISERVER_BIN=$top/$BUILD/bin/ams-mini-server
export AMSCLIENT_NO_CONFIG=1 GST_REGISTRY=$top/$BUILD/gst-registry.bin
unset AMSCLIENT_URL AMSCLIENT_TOKEN

"$here/bin/ensure-deps" || { echo "0 passed, 1 failed"; exit 1; }

logdir=$top/$BUILD/test-logs
mkdir -p "$logdir"
passed=0 failed=0
for s in "$here"/*.sh "$here"/pending-*.sh.txt; do
  [ -f "$s" ] || continue
  name=$(basename "$s")
  [ "$name" = run-interop.sh ] && continue
  if [ -n "${INTEROP_TESTS:-}" ]; then
    keep=0; for p in $INTEROP_TESTS; do [[ $name == *"$p"* ]] && keep=1; done
    [ $keep = 1 ] || continue
  fi
  log=$logdir/interop-$name.log
  echo "# $name$([[ $name == pending-* ]] && echo ' (pending: not in make check yet)')"
  timeout -k 10 900 bash "$s" 2>"$log.stderr" | tee "$log"
  rc=${PIPESTATUS[0]}
  ok=$(grep -cE '^ok [0-9]+' "$log")
  bad=$(grep -cE '^not ok' "$log")
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; echo "not ok - $name exited with status $rc"; fi
  passed=$((passed + ok)); failed=$((failed + bad))
done
echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
