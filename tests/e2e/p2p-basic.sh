#!/usr/bin/env bash
# Peer-to-peer calls through ams-mini-server with the real CLI: two
# `amsclient p2p` peers each decode the other's video (--frames), exchange
# data-channel messages both ways, a third peer is refused with
# NoSpaceForNewPeer (exit 4), and the leave of one is seen by the other.
# Then --wait-peer: a peer stays after the other leaves and calls the next
# one, and its first SIGINT ends it cleanly (exit 0).
#
# Loopback only: every candidate is filtered to 127.0.0.1; the server picks
# a free port; everything started here is stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"

# Slower under valgrind or sanitizers.
SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
# A sanitizer build encodes and decodes several times slower.
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4

# A loaded machine (or a slow build) may need more than AMS's 10 s for a
# publish to start; the tests check media, not that timeout.
printf '[server]\nstart-timeout-ms=%d\n' $((60000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE
common=(--url "$url" --ice-filter loopback --json --stats-interval 1 --width 320 --height 240)

# ------------------------------------------------------------ a call
printf 'hello from a\n' >"$tmp/a.txt"
"$A" p2p "${common[@]}" --stream call1 --frames 60 --duration $((60 * SLOW)) --send-data "$tmp/a.txt" \
  >"$tmp/a.json" 2>"$tmp/a.err" </dev/null &
pa=$!; pids="$pids $pa"
wait_for "$tmp/a.json" '"state":"waiting-peer"' 15 && ok "first peer joins and waits" \
  || bad "first peer joins and waits" "$(tail -3 "$tmp/a.err")"

# The second reads its message from standard input (--send-data -).
"$A" p2p "${common[@]}" --stream call1 --frames 60 --duration $((60 * SLOW)) --send-data - \
  >"$tmp/b.json" 2>"$tmp/b.err" <<<"hello from b" &
pb=$!; pids="$pids $pb"
wait_for "$tmp/b.json" '"definition":"joined"' 15 && ok "second peer joins" \
  || bad "second peer joins" "$(tail -3 "$tmp/b.err")"

# Both seats are taken: a third peer is refused.
"$A" p2p "${common[@]}" --stream call1 --duration $((20 * SLOW)) >"$tmp/c.json" 2>"$tmp/c.err" </dev/null
status=$?
[ "$status" -eq 4 ] && ok "third peer: exit 4 (refused)" || bad "third peer: exit 4 (refused)" "status $status" "$(tail -3 "$tmp/c.err")"
grep -q '"definition":"NoSpaceForNewPeer"' "$tmp/c.json" && ok "third peer: NoSpaceForNewPeer reported" \
  || bad "third peer: NoSpaceForNewPeer reported" "$(tail -3 "$tmp/c.json")"

wait_pid $pa 90; sa=$?
wait_pid $pb 90; sb=$?
[ "$sa" -eq 0 ] && ok "peer a decoded 60 frames: exit 0" || bad "peer a decoded 60 frames: exit 0" "status $sa" "$(tail -5 "$tmp/a.err")"
[ "$sb" -eq 0 ] && ok "peer b decoded 60 frames: exit 0" || bad "peer b decoded 60 frames: exit 0" "status $sb" "$(tail -5 "$tmp/b.err")"
for p in a b; do
  frames=$(json_int "$tmp/$p.json" summary framesDecoded)
  w=$(json_int "$tmp/$p.json" summary width); h=$(json_int "$tmp/$p.json" summary height)
  [ "${frames:-0}" -ge 60 ] && [ "$w" = 320 ] && [ "$h" = 240 ] \
    && ok "peer $p: ${frames} frames of the other at ${w}x${h}" \
    || bad "peer $p: 60 frames of the other at 320x240" "frames=$frames ${w}x${h}"
  audio=$(json_int "$tmp/$p.json" summary audioBuffers)
  [ "${audio:-0}" -gt 0 ] && ok "peer $p: received audio ($audio buffers)" || bad "peer $p: received audio" "audioBuffers=$audio"
  ms=$(grep '"event":"first-frame"' "$tmp/$p.json" | head -1 | grep -oE '"delayMs":[0-9.]+' | cut -d: -f2)
  echo "# peer $p: first decoded frame ${ms:-?} ms after join"
done
grep -q '"event":"data".*"text":"hello from b"' "$tmp/a.json" && ok "data channel b -> a" \
  || bad "data channel b -> a" "$(grep '"event":"data' "$tmp/a.json")"
grep -q '"event":"data".*"text":"hello from a"' "$tmp/b.json" && ok "data channel a -> b" \
  || bad "data channel a -> b" "$(grep '"event":"data' "$tmp/b.json")"
# Both told each other they had their frames, so both left with `leave`
# (confirmed by `leaved`); a leave seen by the other peer is checked with
# --wait-peer below, where only one side leaves.
for p in a b; do
  grep -q '"definition":"leaved"' "$tmp/$p.json" && ok "peer $p left with leave" \
    || bad "peer $p left with leave" "$(tail -3 "$tmp/$p.json")"
done

# ------------------------------------------------------------ --wait-peer
"$A" p2p "${common[@]}" --stream call2 --wait-peer --duration $((120 * SLOW)) \
  >"$tmp/w.json" 2>"$tmp/w.err" </dev/null &
pw=$!; pids="$pids $pw"
wait_for "$tmp/w.json" '"state":"waiting-peer"' 15 || bad "waiting peer joins" "$(tail -3 "$tmp/w.err")"
for i in 1 2; do
  "$A" p2p "${common[@]}" --stream call2 --frames 30 --duration $((60 * SLOW)) >"$tmp/g$i.json" 2>"$tmp/g$i.err" </dev/null
  status=$?
  [ "$status" -eq 0 ] && ok "guest $i decodes 30 frames of the waiting peer" \
    || bad "guest $i decodes 30 frames of the waiting peer" "status $status" "$(tail -5 "$tmp/g$i.err")"
  deadline=$((SECONDS + 10 * SLOW))
  while [ "$(grep -c '"event":"peer-left"' "$tmp/w.json")" -lt "$i" ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.1
  done
  left=$(grep -c '"event":"peer-left"' "$tmp/w.json")
  [ "$left" -eq "$i" ] && ok "waiting peer saw guest $i leave and kept waiting" \
    || bad "waiting peer saw guest $i leave and kept waiting" "peer-left events: $left"
done
kill -0 $pw 2>/dev/null && ok "waiting peer still running" || bad "waiting peer still running"
kill -INT $pw
wait_pid $pw 20; status=$?
[ "$status" -eq 0 ] && ok "first SIGINT: clean stop, exit 0" || bad "first SIGINT: clean stop, exit 0" "status $status"
grep -q '"definition":"leaved"' "$tmp/w.json" && ok "SIGINT sent leave" || bad "SIGINT sent leave" "$(tail -3 "$tmp/w.json")"
frames=$(json_int "$tmp/w.json" summary framesDecoded)
[ "${frames:-0}" -ge 60 ] && ok "waiting peer decoded both guests ($frames frames)" \
  || bad "waiting peer decoded both guests" "framesDecoded=$frames"

echo "1..$n"
exit $fail
