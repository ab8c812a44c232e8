#!/usr/bin/env bash
# publisher-killed: a publisher that dies with SIGKILL (no stop, no close
# frame) ends its stream at once: every player gets play_finished, and the
# stream id can be published again straight away.
#  1. signalling: raw WebSocket publisher and players (ws-probe).
#  2. media: `amsclient publish` killed while two `amsclient play` decode it;
#     then a new `amsclient publish` of the same id gets publish_started.
. "$(dirname "$0")/common.bash"

build_probe || { not_ok "build ws-probe"; finish; exit; }
# $SLOW_CONF: the publish start timeout scaled for slow (sanitised) builds.
if ! start_server --config "$SLOW_CONF"; then not_ok "ams-mini-server starts"; show "$SRV_LOG.err"; finish; exit; fi

# ------------------------------------------------------------ 1. signalling
# The publisher's script keeps it alive well past the kill.
printf '{"command":"publish","streamId":"killed1"}\n!sleep 20000\n' \
  | "$PROBE" "$URL" 25 >"$TMP/pub.out" &
PUB=$!; PIDS+=("$PUB")
wait_msg "$TMP/pub.out" $((3 * SLOW)) command=start streamId=killed1 || { not_ok "publish accepted"; show "$TMP/pub.out"; }
for i in 1 2; do
  printf '{"command":"play","streamId":"killed1"}\n!sleep 20000\n' \
    | "$PROBE" "$URL" 25 >"$TMP/play.$i.out" &
  PIDS+=($!)
done
sleep 0.5
check "the players are waiting (nothing ended yet)" \
  bash -c '! grep -q play_finished "$0" "$1"' "$TMP/play.1.out" "$TMP/play.2.out"

# $PUB is ws-probe itself (the last element of its pipeline), the process
# holding the socket.
kill -KILL "$PUB"
t0=$(now)
for i in 1 2; do
  if wait_msg "$TMP/play.$i.out" $((3 * SLOW)) command=notification definition=play_finished streamId=killed1; then
    ok "player $i gets play_finished after the publisher's SIGKILL ($(since "$t0") s)"
  else
    not_ok "player $i gets play_finished after the publisher's SIGKILL"; show "$TMP/play.$i.out"
  fi
done
t1=$(now)
printf '{"command":"publish","streamId":"killed1"}\n!sleep 300\n!close\n' \
  | "$PROBE" "$URL" 5 >"$TMP/again.out"
check "the same id is published again at once: start ($(since "$t1") s)" \
  has_msg "$TMP/again.out" command=start streamId=killed1
check "... with no error (no streamIdInUse, no already_publishing)" \
  bash -c '! grep -q "\"error\"" "$0"' "$TMP/again.out"

# ------------------------------------------------------------ 2. media
CLI=(--url "$URL" --json --ice-filter loopback --stats-interval 0.5)
"$AMSCLIENT_BIN" publish "${CLI[@]}" --stream killed2 >"$TMP/cli-pub.json" 2>"$TMP/cli-pub.err" &
CPUB=$!; PIDS+=("$CPUB")
if wait_msg "$TMP/cli-pub.json" $((15 * SLOW)) event=publish_started streamId=killed2; then
  ok "amsclient publish: publish_started"
else
  not_ok "amsclient publish: publish_started (media)"; show "$TMP/cli-pub.json" 8; show "$TMP/cli-pub.err" 5
fi
PLAYERS=()
for i in 1 2; do
  "$AMSCLIENT_BIN" play "${CLI[@]}" --stream killed2 >"$TMP/cli-play.$i.json" 2>"$TMP/cli-play.$i.err" &
  PLAYERS+=($!); PIDS+=($!)
done
playing=0
for i in 1 2; do
  wait_msg "$TMP/cli-play.$i.json" $((15 * SLOW)) event=play_started streamId=killed2 && playing=$((playing + 1))
done
check "two amsclient play processes get play_started ($playing of 2)" test "$playing" = 2
kill -KILL "$CPUB"
t0=$(now)
for i in 1 2; do
  if wait_msg "$TMP/cli-play.$i.json" $((5 * SLOW)) event=play_finished streamId=killed2; then
    ok "amsclient play $i reports play_finished after the publisher's SIGKILL ($(since "$t0") s)"
  else
    not_ok "amsclient play $i reports play_finished after the publisher's SIGKILL"
    show "$TMP/cli-play.$i.json" 5
  fi
done
for i in 0 1; do
  p=${PLAYERS[$i]}
  for _ in $(seq 1 $((50 * SLOW))); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$p" 2>/dev/null; then not_ok "amsclient play $((i + 1)) ends after play_finished"
  else wait "$p"; ok "amsclient play $((i + 1)) ends after play_finished (exit $?)"; fi
done
t1=$(now)
timeout $((40 * SLOW)) "$AMSCLIENT_BIN" publish "${CLI[@]}" --stream killed2 --frames 30 \
  >"$TMP/cli-again.json" 2>"$TMP/cli-again.err"; rc=$?
if [ "$rc" = 0 ] && has_msg "$TMP/cli-again.json" event=publish_started streamId=killed2; then
  ok "amsclient publish of the same id at once: publish_started, exit 0 ($(since "$t1") s)"
else
  not_ok "amsclient publish of the same id at once: publish_started, exit 0 (exit $rc)"
  show "$TMP/cli-again.json" 5
fi
check "the server is still alive" kill -0 "$SRV_PID"
finish
