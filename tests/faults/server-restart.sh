#!/usr/bin/env bash
# server-restart: ams-mini-server is killed with SIGKILL in the middle of a
# publish that a player is decoding, then restarted on the same port.
# `amsclient publish` must reconnect with backoff and publish again, and
# `amsclient play` (reconnect and --retry-interval on: it may come back
# before the publisher and get no_stream_exist) must play again, both within 5 s of the
# restart, each session re-issued exactly once.
. "$(dirname "$0")/common.bash"

# $SLOW_CONF: the publish start timeout scaled for slow (sanitised) builds.
if ! start_server --config "$SLOW_CONF"; then not_ok "ams-mini-server starts"; show "$SRV_LOG.err"; finish; exit; fi
FIXED_PORT=$PORT
# Backoff: first retry after 0.25 s, doubling up to 1 s, so that a client
# that lost the server keeps trying while it is down.
CLI=(--url "$URL" --json --ice-filter loopback --stats-interval 0.5 --ping-interval 1
     --reconnect --reconnect-delay 0.25 --reconnect-max-delay 1)
"$AMSCLIENT_BIN" publish "${CLI[@]}" --stream restart1 >"$TMP/pub.json" 2>"$TMP/pub.err" &
PUB=$!; PIDS+=("$PUB")
if ! wait_msg "$TMP/pub.json" $((20 * SLOW)) event=publish_started streamId=restart1; then
  not_ok "publish_started before the fault (media)"; show "$TMP/pub.json" 8; show "$TMP/pub.err" 5
  finish; exit
fi
ok "publish_started before the fault"
"$AMSCLIENT_BIN" play "${CLI[@]}" --retry-interval 0.25 --retry-timeout 30 --stream restart1 >"$TMP/play.json" 2>"$TMP/play.err" &
PLAY=$!; PIDS+=("$PLAY")
if wait_msg "$TMP/play.json" $((20 * SLOW)) event=play_started streamId=restart1; then
  ok "play_started before the fault"
else
  not_ok "play_started before the fault"; show "$TMP/play.json" 8
fi
sleep 1

# The fault: SIGKILL, no close frames, a second of downtime.
kill -KILL "$SRV_PID"; wait "$SRV_PID" 2>/dev/null
sleep 1
check "the publisher noticed and is reconnecting" wait_msg "$TMP/pub.json" $((3 * SLOW)) event=reconnecting
check "the player noticed and is reconnecting" wait_msg "$TMP/play.json" $((3 * SLOW)) event=reconnecting
check "both processes are still running" bash -c 'kill -0 "$0" && kill -0 "$1"' "$PUB" "$PLAY"

# The restart on the same port.
start_server --port "$FIXED_PORT" --config "$SLOW_CONF"
check "ams-mini-server restarts on the same port ($PORT)" test "$PORT" = "$FIXED_PORT"
t0=$(now)
# Waits are generous (a loaded machine polls slowly); the 5 s bound is
# checked on the times the clients stamped on their events. Slow builds
# (sanitizers, valgrind) get 5 s x SLOW: they test memory, not latency.
BOUND=$((5 * SLOW)); [ "$SLOW" = 1 ] && BOUND_NOTE= || BOUND_NOTE=" (5 s x SLOW $SLOW)"
wait_count "$TMP/pub.json" 2 $((10 * SLOW)) event=publish_started streamId=restart1
d=$(delta "$t0" "$(nth_time "$TMP/pub.json" 2 event=publish_started streamId=restart1)")
if awk -v d="$d" -v b="$BOUND" 'BEGIN { exit !(d != "nan" && d <= b) }'; then
  ok "the publisher publishes again within $BOUND s of the restart$BOUND_NOTE ($d s)"
else
  not_ok "the publisher publishes again within $BOUND s of the restart$BOUND_NOTE ($d s)"; show "$TMP/pub.json" 8
fi
wait_count "$TMP/play.json" 2 $((10 * SLOW)) event=play_started streamId=restart1
d=$(delta "$t0" "$(nth_time "$TMP/play.json" 2 event=play_started streamId=restart1)")
if awk -v d="$d" -v b="$BOUND" 'BEGIN { exit !(d != "nan" && d <= b) }'; then
  ok "the player plays again within $BOUND s of the restart$BOUND_NOTE ($d s)"
else
  not_ok "the player plays again within $BOUND s of the restart$BOUND_NOTE ($d s)"; show "$TMP/play.json" 8
fi
n_pub=$(count_msg "$TMP/pub.json" event=reconnected)
n_play=$(count_msg "$TMP/play.json" event=reconnected)
check "each client reconnected exactly once (publisher $n_pub, player $n_play)" \
  bash -c '[ "$0" = 1 ] && [ "$1" = 1 ]' "$n_pub" "$n_play"

# Backoff: the delays announced by the retries grow (0.25 s doubling).
delays=$(python3 - "$TMP/pub.json" <<'EOF'
import json, sys
d = []
for line in open(sys.argv[1], errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") == "reconnecting":
        d.append(o.get("delayMs", o.get("delay_ms", -1)))
print(" ".join(str(x) for x in d))
EOF
)
echo "# publisher retry delays (ms): $delays"
check "the retries back off (more than one attempt while down, delays not shrinking)" \
  python3 -c 'import sys; d=[float(x) for x in sys.argv[1:]]; sys.exit(not (len(d) >= 2 and all(b >= a * 0.7 for a, b in zip(d, d[1:])) and d[-1] > d[0]))' $delays

# Media flows again to the player: frames decoded after the restart, by
# the new session (its counter starts again from 0: a slow player whose
# first report of it came late was read as 41 -> 8 across the two).
frames_after_restart() {
  python3 - "$1" <<'EOF'
import json, sys
last, started = 0, 0
for line in open(sys.argv[1], errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") == "play_started":
        started += 1
        continue
    for k in ("framesDecoded", "videoFramesDecoded"):
        if started >= 2 and isinstance(o.get(k), int):
            last = o[k]
print(last)
EOF
}
f1=$(frames_after_restart "$TMP/play.json"); sleep $((2 * SLOW)); f2=$(frames_after_restart "$TMP/play.json")
check "the player decodes frames after the restart ($f1 -> $f2)" test "$f2" -gt "$f1"

# A clean end: SIGINT stops both with exit 0.
kill -INT "$PUB" "$PLAY"
wait "$PUB"; rc1=$?; wait "$PLAY"; rc2=$?
check "both end cleanly on SIGINT (exit $rc1, $rc2)" bash -c '[ "$0" = 0 ] && [ "$1" = 0 ]' "$rc1" "$rc2"
finish
