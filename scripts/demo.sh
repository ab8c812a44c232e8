#!/usr/bin/env bash
# make demo: start ams-mini-server on a free loopback port, publish a test
# pattern with amsclient, play it back with live statistics for a few
# seconds, stop everything cleanly and say what happened.
#
# Everything stays on 127.0.0.1 (ICE candidates filtered to loopback); every
# process started here is stopped by its PID when the script ends.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
AMSCLIENT=$PWD/$BUILD/bin/amsclient
MINISERVER=$PWD/$BUILD/bin/ams-mini-server
PLAY_SECONDS=${DEMO_PLAY_SECONDS:-6}
STREAM=demo

# The demo must not depend on the user's settings.
export AMSCLIENT_NO_CONFIG=1
unset AMSCLIENT_URL AMSCLIENT_TOKEN AMSCLIENT_PROFILE

work=$(mktemp -d)
server_pid= publish_pid=

stop_pid() {
  # stop_pid PID: SIGTERM (a clean stop for amsclient), then wait up to 10 s.
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
}
cleanup() {
  stop_pid "$publish_pid"
  stop_pid "$server_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -t 1 ]; then bold=$'\033[1m' red=$'\033[1;31m' plain=$'\033[0m'; else bold= red= plain=; fi
say() { printf '\n%sdemo:%s %s\n' "$bold" "$plain" "$*"; }
fail() {
  printf '\n%sdemo failed:%s %s\n' "$red" "$plain" "$1" >&2
  shift
  for f in "$@"; do
    [ -s "$f" ] && { printf -- '--- %s (last lines)\n' "$(basename "$f")" >&2; tail -n 8 "$f" >&2; }
  done
  exit 1
}

for bin in "$AMSCLIENT" "$MINISERVER"; do
  [ -x "$bin" ] || fail "$bin is missing: run make first"
done

# ---------------------------------------------------------------- 1. server
say "1/5 starting ams-mini-server on a free port of 127.0.0.1"
"$MINISERVER" --port 0 >"$work/server.log" 2>&1 &
server_pid=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$work/server.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$port" ] || fail "ams-mini-server did not start (no 'listening on' line within 10 s)" "$work/server.log"
url=ws://127.0.0.1:$port/WebRTCAppEE/websocket
echo "      pid $server_pid, $url"

# ---------------------------------------------------------------- 2. ping
say "2/5 checking the server answers: amsclient ping"
"$AMSCLIENT" ping --url "$url" --count 1 2>&1 | sed 's/^/      /'
[ "${PIPESTATUS[0]}" -eq 0 ] || fail "amsclient ping did not get a pong" "$work/server.log"

# ---------------------------------------------------------------- 3. publish
say "3/5 publishing a test pattern as '$STREAM': amsclient publish"
"$AMSCLIENT" publish --url "$url" --stream "$STREAM" --ice-filter loopback --json --quiet \
  >"$work/publish.json" 2>"$work/publish.err" &
publish_pid=$!
started=
for _ in $(seq 150); do
  grep -q '"event":"publish_started"' "$work/publish.json" 2>/dev/null && { started=1; break; }
  kill -0 "$publish_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$started" ]; then
  if ! kill -0 "$publish_pid" 2>/dev/null; then
    wait "$publish_pid"; status=$?; publish_pid=
    fail "amsclient publish ended with exit status $status before publishing:
      $(grep -m1 'error:' "$work/publish.err" | sed 's/^amsclient: error: //')" "$work/publish.err" "$work/server.log"
  fi
  fail "no publish_started within 15 s" "$work/publish.json" "$work/publish.err" "$work/server.log"
fi
echo "      publish_started (pid $publish_pid)"

# ---------------------------------------------------------------- 4. play
say "4/5 playing it back for $PLAY_SECONDS s with live statistics: amsclient play"
# Human status (bitrate, fps, loss) on the terminal, events to a file.
"$AMSCLIENT" play --url "$url" --stream "$STREAM" --ice-filter loopback --duration "$PLAY_SECONDS" \
  --stats-interval 1 --json >"$work/play.json"
play_status=$?
[ "$play_status" -eq 0 ] || fail "amsclient play ended with exit status $play_status" "$work/play.json" "$work/server.log"

# ---------------------------------------------------------------- 5. stop
say "5/5 stopping the publisher (SIGTERM: stop sent, socket closed 1000) and the server"
kill -TERM "$publish_pid"
wait "$publish_pid"; publish_status=$?; publish_pid=
[ "$publish_status" -eq 0 ] || fail "amsclient publish did not stop cleanly (exit status $publish_status)" "$work/publish.err"
stop_pid "$server_pid"; server_pid=

# ---------------------------------------------------------------- summary
# The last statistics event of the player carries the totals.
last_stats=$(grep '"event":"stats"' "$work/play.json" | tail -n 1)
field() { printf '%s' "$last_stats" | grep -oE "\"$1\":[0-9.]+" | head -1 | cut -d: -f2; }
frames=$(field framesDecoded); width=$(field width); height=$(field height)
[ -n "$frames" ] && [ "$frames" -gt 0 ] 2>/dev/null || fail "the player decoded no video frame" "$work/play.json"

say "done: ams-mini-server relayed '$STREAM' from amsclient publish to amsclient play;" \
    "the player decoded $frames video frames at ${width:-?}x${height:-?} in $PLAY_SECONDS s," \
    "then publisher, player and server stopped cleanly."
