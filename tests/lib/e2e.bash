# e2e.bash: sourced by the end-to-end suites that run amsclient against a
# private ams-mini-server (tests/e2e/*.sh but server-signalling, which uses
# common.bash; tests/build/gir.sh and samples.sh); not a suite itself: not
# *.sh. Run from the repository ($AMS_TOP).
#
# Sets A (amsclient) and S (ams-mini-server), tmp (a directory removed on
# exit) and pids (processes killed on exit, by PID, then waited for), TAP
# helpers (ok, bad, check; n and fail count them), a configuration-free
# environment, and the waits and JSON-line readers the suites share.
# Timeouts are in seconds, scaled by the suite's $SLOW (1 when unset), read
# when the helper runs: a suite sets SLOW after sourcing this file.
set -u
cd "${AMS_TOP:?}"
BUILD=${BUILD:-build}
A=${AMSCLIENT_BIN:-$PWD/$BUILD/bin/amsclient}
S=${MINISERVER_BIN:-$PWD/$BUILD/bin/ams-mini-server}
tmp=$(mktemp -d)
pids=
# Commands run first on exit (e.g. "exec 3>&-": close a FIFO a process reads).
CLEANUPS=()
cleanup() {
  local c pid
  for c in "${CLEANUPS[@]}"; do eval "$c" 2>/dev/null; done
  for pid in $pids; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

n=0; fail=0
ok() { n=$((n+1)); echo "ok $n - $1"; }
# bad NAME [COMMENT...]: a failed check, its comments as "# " lines.
bad() { n=$((n+1)); echo "not ok $n - $1"; fail=1; shift; for l in "$@"; do echo "# $l"; done; }
# check NAME COMMAND...: ok when COMMAND succeeds.
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name" "failed: $*"; fi; }
skip() { n=$((n+1)); echo "ok $n - $1 # SKIP $2"; }

# Tests never see the user's configuration unless they ask for it.
export AMSCLIENT_NO_CONFIG=1
unset AMSCLIENT_URL AMSCLIENT_TOKEN AMSCLIENT_PROFILE
# Sanitizer builds (SANITIZE=...): leak reports with full stacks, and the
# one-per-process allocation of GLib's constructor suppressed.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp}

# wait_for FILE REGEX SECONDS: until a line of FILE matches.
wait_for() {
  local deadline=$((SECONDS + $3 * ${SLOW:-1}))
  while [ $SECONDS -lt $deadline ]; do
    grep -qE "$2" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# wait_pid PID SECONDS: its exit status, or 124 after SECONDS (then killed).
wait_pid() {
  local deadline=$((SECONDS + $2 * ${SLOW:-1}))
  while kill -0 "$1" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; wait "$1" 2>/dev/null; return 124; fi
  wait "$1"
}

# start_miniserver CONFIG APP: ams-mini-server --port 0 --config CONFIG,
# its output in $tmp/server.log; sets server (its PID, also in pids), port
# and url (ws://127.0.0.1:PORT/APP/websocket). A server that does not say
# where it listens within 10 s is a failed check and ends the suite (with
# its TAP plan).
start_miniserver() {
  "$S" --port 0 --config "$1" >"$tmp/server.log" 2>&1 &
  server=$!; pids="$pids $server"
  wait_for "$tmp/server.log" 'listening on 127\.0\.0\.1:[0-9]+' 10 || { bad "server starts" "$(cat "$tmp/server.log")"; echo "1..$n"; exit 1; }
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$tmp/server.log" | head -1)
  url=ws://127.0.0.1:$port/$2/websocket
}

# json_int FILE EVENT FIELD: the integer FIELD of the last EVENT line.
json_int() {
  grep "\"event\":\"$2\"" "$1" | tail -n 1 | grep -oE "\"$3\":-?[0-9]+" | head -1 | cut -d: -f2
}
# json_num FILE EVENT FIELD: the same for a number that may have decimals.
json_num() {
  grep "\"event\":\"$2\"" "$1" | tail -n 1 | grep -oE "\"$3\":-?[0-9.]+" | head -1 | cut -d: -f2
}
# count FILE REGEX: how many lines match.
count() { grep -cE "$2" "$1" 2>/dev/null || true; }
# own_id FILE: the stream id a conference joined with.
own_id() {
  grep '"event":"conference-state"' "$1" | grep '"state":"joined"' | head -1 |
    sed -n 's/.*"streamId":"\([^"]*\)".*/\1/p'
}
# reached FILE ID: framesDecoded of ID in the frames-reached lines of FILE.
reached() {
  grep '"event":"frames-reached"' "$1" | grep "\"streamId\":\"$2\"" | head -1 |
    grep -oE '"framesDecoded":[0-9]+' | cut -d: -f2
}
now_ms() { date +%s%3N; }
# event_ms FILE REGEX: the "time" of the first matching line, in ms.
event_ms() {
  local t
  t=$(grep -E "$2" "$1" | head -1 | sed -n 's/.*"time":"\([^"]*\)".*/\1/p')
  [ -n "$t" ] && date -d "$t" +%s%3N
}
# event_ms_after FILE REGEX SINCE_MS SECONDS: waits (scaled by SLOW) for a line
# matching REGEX whose "time" is at or after SINCE_MS and prints that time in
# ms; fails when none comes. Earlier matches (e.g. a leave and rejoin before
# the one being timed) do not count, so a delay measured from SINCE_MS is
# never negative.
event_ms_after() {
  local file=$1 re=$2 since=$3 deadline=$((SECONDS + $4 * ${SLOW:-1})) t ms
  while :; do
    while IFS= read -r t; do
      ms=$(date -d "$t" +%s%3N 2>/dev/null) || continue
      [ "$ms" -ge "$since" ] && { echo "$ms"; return 0; }
    done < <(grep -E "$re" "$file" 2>/dev/null | sed -n 's/.*"time":"\([^"]*\)".*/\1/p')
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.2
  done
}
# check_pair FILE NAME OTHER1 OTHER2: a conference participant's log FILE
# reached --frames $FRAMES (the suite's) from both others, and from no one
# else (two frames-reached lines).
check_pair() {
  local f1 f2
  f1=$(reached "$1" "$3"); f2=$(reached "$1" "$4")
  if [ -n "$f1" ] && [ -n "$f2" ] && [ "$f1" -ge "$FRAMES" ] && [ "$f2" -ge "$FRAMES" ] &&
     [ "$(count "$1" '"event":"frames-reached"')" -eq 2 ]; then
    ok "$2 decoded $f1 frames from $3 and $f2 from $4"
  else
    bad "$2 decoded $FRAMES frames from $3 and from $4" "got '$f1' and '$f2'" "$(grep frames-reached "$1")"
  fi
}
