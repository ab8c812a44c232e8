#!/usr/bin/env bash
# server-signalling: the ams-mini-server program end to end on 127.0.0.1:
# options, config errors, port 0, the WebSocket path check, clients served
# through the amsclient CLI, robustness against raw garbage and half-open
# sockets, and a clean exit on SIGTERM/SIGINT.

# Servers (start_server: SRV_PID, PORT, SRV_LOG), TAP and cleanup helpers.
. "$(dirname "$0")/../lib/common.bash"

# AMS_VALGRIND=1: tests/run-tests.sh points MINISERVER_BIN at a script that
# runs the server under valgrind (tests/helpers/valgrind-wrap.sh); an error
# makes its exit status 99, which the SIGTERM/SIGINT checks catch, and
# run-tests.sh fails the suite on any error in the logs.  Run on its own,
# the suite wraps the long-running servers itself.
if [ -n "${AMS_VALGRIND:-}" ] && [ -z "${AMS_VALGRIND_LOGDIR:-}" ]; then
  SERVER_CMD=("$AMS_TOP/tests/helpers/valgrind-wrap.sh" "$MINISERVER_BIN")
fi

# Slow builds (AMS_SLOW, 8 under valgrind) scale the waits: there the
# server's DTLS-key prewarm thread holds its main loop off for ~20 s.
SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8

# HTTP status of a WebSocket upgrade request on a path.
upgrade_status() {
  curl -s -o /dev/null -w '%{http_code}' --max-time $((5 * SLOW)) \
    -H 'Connection: Upgrade' -H 'Upgrade: websocket' -H 'Sec-WebSocket-Version: 13' \
    -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "http://127.0.0.1:$PORT$1"
}

# ---------------------------------------------------------------- options
check "--version prints the version" \
  bash -c '"$0" --version | grep -Eq "^ams-mini-server [0-9]+\.[0-9]+\.[0-9]+"' "$MINISERVER_BIN"
check "--help exits 0 and lists --port" bash -c '"$0" --help | grep -q -- "--port"' "$MINISERVER_BIN"
"$MINISERVER_BIN" --no-such-option >/dev/null 2>&1; rc=$?
check "an unknown option exits 2 (got $rc)" test "$rc" = 2
"$MINISERVER_BIN" --port 70000 >/dev/null 2>&1; rc=$?
check "--port out of range exits 2 (got $rc)" test "$rc" = 2
printf '[server]\nmax-connections=lots\n' >"$TMP/bad.conf"
"$MINISERVER_BIN" --config "$TMP/bad.conf" >/dev/null 2>"$TMP/bad.err"; rc=$?
check "a bad config value exits 2 (got $rc)" test "$rc" = 2
check "the error names the key" grep -q "max-connections" "$TMP/bad.err"
"$MINISERVER_BIN" --config "$TMP/missing.conf" >/dev/null 2>&1; rc=$?
check "a missing config file exits 2 (got $rc)" test "$rc" = 2
"$MINISERVER_BIN" --fault "explode:now" >/dev/null 2>&1; rc=$?
check "a bad fault directive exits 2 (got $rc)" test "$rc" = 2

# ---------------------------------------------------------------- serving
printf '[server]\nstart-timeout-ms=5000\n[ice]\nstun-server=stun:127.0.0.1:3478\n' >"$TMP/good.conf"
if start_server --config "$TMP/good.conf" && grep -qx "listening on 127\.0\.0\.1:$PORT" "$SRV_LOG"; then
  ok "--port 0 prints 'listening on 127.0.0.1:PORT' ($PORT)"
else not_ok "--port 0 prints the port"; fi

check "upgrade on /LiveApp/websocket?target=origin is accepted (101)" \
  test "$(upgrade_status '/LiveApp/websocket?target=origin')" = 101
check "upgrade on another path is refused (404)" test "$(upgrade_status /LiveApp/other)" = 404
check "upgrade on /websocket with no app is refused (404)" test "$(upgrade_status /websocket)" = 404
check "plain HTTP gets 404" \
  test "$(curl -s -o /dev/null -w '%{http_code}' --max-time $((5 * SLOW)) "http://127.0.0.1:$PORT/")" = 404

URL="ws://127.0.0.1:$PORT/LiveApp/websocket"
"$AMSCLIENT_BIN" ping --url "$URL" --json --quiet --connect-timeout $((10 * SLOW)) \
  --timeout $((10 * SLOW)) >"$TMP/ping.json" 2>"$TMP/ping.err"; rc=$?
check "amsclient ping gets a pong (exit $rc)" bash -c '[ "$0" = 0 ] && grep -q "\"pong\"" "$1"' "$rc" "$TMP/ping.json"

# Raw garbage and a half-open socket on the side never stop the service.
exec 5<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET / HTTP/1.1\r\nHost: x\r\n' >&5          # never finished
exec 6<>"/dev/tcp/127.0.0.1/$PORT"
head -c 4096 /dev/urandom >&6 2>/dev/null
"$AMSCLIENT_BIN" ping --url "$URL" --count 2 --json --quiet >"$TMP/ping2.json" 2>&1; rc=$?
check "still served while a half-open and a garbage socket are open (exit $rc)" \
  bash -c '[ "$0" = 0 ] && [ "$(grep -c "\"pong\"" "$1")" = 2 ]' "$rc" "$TMP/ping2.json"
exec 5>&- 6>&-

# Ten CLI clients at once.
cpids=()
for i in $(seq 1 10); do
  "$AMSCLIENT_BIN" ping --url "$URL" --json --quiet >"$TMP/many.$i" 2>&1 &
  cpids+=($!)
done
all=0
for i in "${!cpids[@]}"; do wait "${cpids[$i]}" || all=1; done
check "ten amsclient processes served at once" \
  bash -c '[ "$0" = 0 ] && [ "$(cat "$1"/many.* | grep -c "\"pong\"")" = 10 ]' "$all" "$TMP"

# A second server on the same port fails with exit 1.
"$MINISERVER_BIN" --port "$PORT" >/dev/null 2>"$TMP/inuse.err"; rc=$?
check "a port in use exits 1 with a message (got $rc)" \
  bash -c '[ "$0" = 1 ] && grep -q "cannot listen" "$1"' "$rc" "$TMP/inuse.err"

# A WebSocket peer that stops answering (half-open) is pinged, then hung up.
printf '[server]\nidle-ping-seconds=1\n' >"$TMP/idle.conf"
pid_main=$SRV_PID port_main=$PORT
if start_server --config "$TMP/idle.conf"; then
  exec 5<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /LiveApp/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n' >&5
  t0=$EPOCHREALTIME
  timeout 10 cat <&5 >"$TMP/idle.out"; rc=$?
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  exec 5>&-
  check "a silent WebSocket peer is hung up after the idle ping (${secs}s, rc $rc)" \
    bash -c '[ "$0" = 0 ] && head -c 12 "$1" | grep -q "101" && awk -v s="$2" "BEGIN { exit !(s >= 1 && s < 9) }"' \
    "$rc" "$TMP/idle.out" "$secs"
  kill -TERM "$SRV_PID"; wait "$SRV_PID"
else
  not_ok "server with idle-ping-seconds=1 starts"
fi
SRV_PID=$pid_main PORT=$port_main

# Connections beyond max-connections get 503 at the upgrade.
printf '[server]\nmax-connections=1\n' >"$TMP/one.conf"
pid_main=$SRV_PID port_main=$PORT
if start_server --config "$TMP/one.conf"; then
  exec 5<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /LiveApp/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n' >&5
  read -r -t 5 status_line <&5
  check "the first connection is accepted (${status_line%$'\r'})" \
    bash -c '[[ "$0" == "HTTP/1.1 101"* ]]' "$status_line"
  check "a second connection over max-connections=1 gets 503" \
    test "$(upgrade_status /LiveApp/websocket)" = 503
  exec 5>&-
  sleep 0.3
  check "after the first one closes, a new one is accepted (101)" \
    test "$(upgrade_status /LiveApp/websocket)" = 101
  kill -TERM "$SRV_PID"; wait "$SRV_PID"
else
  not_ok "server with max-connections=1 starts"
fi
SRV_PID=$pid_main PORT=$port_main

# ---------------------------------------------------------------- faults
pid1=$SRV_PID
if start_server --fault no-pong; then
  "$AMSCLIENT_BIN" ping --url "ws://127.0.0.1:$PORT/LiveApp/websocket" --timeout 1 --quiet \
    >/dev/null 2>&1; rc=$?
  check "--fault no-pong: amsclient ping times out (exit $rc, expected 8)" test "$rc" = 8
  kill -INT "$SRV_PID"; wait "$SRV_PID"; rc=$?
  check "SIGINT exits 0 (got $rc)" test "$rc" = 0
else
  not_ok "server with --fault no-pong starts"
fi

# ---------------------------------------------------------------- shutdown
kill -TERM "$pid1"
wait "$pid1"; rc=$?
check "SIGTERM exits 0 (got $rc)" test "$rc" = 0
check "the port is free after exit" \
  bash -c '! (exec 7<>"/dev/tcp/127.0.0.1/$0") 2>/dev/null' "$PORT"

echo "1..$n"
[ "$failed" = 0 ]
