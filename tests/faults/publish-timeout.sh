#!/usr/bin/env bash
# publish-timeout: a client that sends publish and never an offer gets
# publishTimeoutError after start-timeout-ms (AMS webRTCClientStartTimeoutMs),
# its players are told, and the stream id is free again at once.
. "$(dirname "$0")/common.bash"

build_probe || { not_ok "build ws-probe"; finish; exit; }

printf '[server]\nstart-timeout-ms=1500\n' >"$TMP/timeout.conf"
if ! start_server --config "$TMP/timeout.conf"; then
  not_ok "ams-mini-server starts"; show "$SRV_LOG.err"; finish; exit
fi

# A publisher that never sends takeConfiguration, and a player waiting on it.
t0=$(now)
printf '{"command":"publish","streamId":"silent1"}\n!sleep 4000\n' \
  | "$PROBE" "$URL" 6 >"$TMP/pub.out" &
PIDS+=($!)
PUB=$!
sleep 0.3
printf '{"command":"play","streamId":"silent1"}\n!sleep 4000\n' \
  | "$PROBE" "$URL" 6 >"$TMP/play.out" &
PIDS+=($!)

check "publish is accepted first (start)" \
  wait_for "$TMP/pub.out" '"command":"start"' 2
if wait_for "$TMP/pub.out" publishTimeoutError 5; then
  secs=$(since "$t0")
  check "publishTimeoutError after start-timeout-ms=1500 (${secs}s)" \
    awk -v s="$secs" 'BEGIN { exit !(s >= 1.4 && s < 3.5) }'
else
  not_ok "publishTimeoutError arrives"; show "$TMP/pub.out"
fi
check "the error is exactly {command:error, definition:publishTimeoutError, streamId}" \
  has_json "$TMP/pub.out" '{"command":"error","definition":"publishTimeoutError","streamId":"silent1"}'
check "the waiting player gets play_finished" \
  wait_for "$TMP/play.out" '"definition":"play_finished".*"silent1"' 2
check "the publisher's socket stays open (no close after the error)" \
  bash -c '! grep -Eq "^#(close|eof)" "$0"' "$TMP/pub.out"

# The id is free again at once: a new publisher gets start, not streamIdInUse.
printf '{"command":"publish","streamId":"silent1"}\n!sleep 500\n!close\n' \
  | "$PROBE" "$URL" 3 >"$TMP/again.out"
check "the same stream id can be published again after the timeout" \
  has_json "$TMP/again.out" '{"command":"start","streamId":"silent1","subscriberId":null}'
check "... with no error" bash -c '! grep -q "\"error\"" "$0"' "$TMP/again.out"
wait "$PUB" 2>/dev/null

# start-timeout-ms=0 never times out.
printf '[server]\nstart-timeout-ms=0\n' >"$TMP/never.conf"
if start_server --config "$TMP/never.conf"; then
  printf '{"command":"publish","streamId":"silent2"}\n!sleep 2500\n!close\n' \
    | "$PROBE" "$URL" 4 >"$TMP/never.out"
  check "start-timeout-ms=0: no publishTimeoutError within 2.5 s" \
    bash -c 'grep -q "\"start\"" "$0" && ! grep -q publishTimeoutError "$0"' "$TMP/never.out"
else
  not_ok "server with start-timeout-ms=0 starts"
fi

check "the server is still alive" kill -0 "$SRV_PID"
finish
