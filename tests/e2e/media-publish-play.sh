#!/usr/bin/env bash
# Publish then play through ams-mini-server's relay with the real CLI, for
# VP8 and for H.264: one player decodes at least 60 frames at the
# publisher's exact resolution and receives audio, while a second player at
# the same time records to a file (checked with gst-discoverer-1.0) and gets
# a data-channel message from the publisher; when the publisher stops, the
# player gets play_finished. The time from `play` to the first decoded
# frame is printed.
#
# Loopback only (candidates filtered to 127.0.0.1), a free port, every
# process stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"
CLEANUPS+=("exec 3>&-")

SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
# A sanitizer build encodes and decodes several times slower.
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4

# A loaded machine (or a slow build) may need more than AMS's 10 s for a
# publish to start; the tests check media, not that timeout. The 5 s
# no-media timeouts (the server's for a publisher, the clients' stall
# watchdogs) scale too: a sanitised publisher at load average 40 had its
# stream ended under a player that expected it to run on.
printf '[server]\nstart-timeout-ms=%d\n[media]\npublisher-timeout-ms=%d\n' \
  $((60000 * SLOW)) $((5000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE
common=(--url "$url" --ice-filter loopback --json --stats-interval 1 --stall-timeout $((5 * SLOW)))

# run_codec CODEC WIDTH HEIGHT
run_codec() {
  local codec=$1 w=$2 h=$3 id=stream-$1 d=$tmp/$1
  mkdir -p "$d"
  mkfifo "$d/input"

  # The publisher reads data messages from a pipe we write to later.
  "$A" publish "${common[@]}" --stream "$id" --codec "$codec" --width "$w" --height "$h" \
    --send-data - <"$d/input" >"$d/pub.json" 2>"$d/pub.err" &
  local pub=$!; pids="$pids $pub"
  exec 3>"$d/input"
  if wait_for "$d/pub.json" '"event":"publish_started"' 20; then ok "$codec: publish_started"
  else bad "$codec: publish_started" "$(tail -5 "$d/pub.err")"; fi

  # Player 1 records until the stream ends; player 2 counts 60 frames.
  "$A" play "${common[@]}" --stream "$id" --record "$d/rec.mkv" --duration $((90 * SLOW)) \
    >"$d/rec.json" 2>"$d/rec.err" </dev/null &
  local rec=$!; pids="$pids $rec"
  "$A" play "${common[@]}" --stream "$id" --frames 60 --duration $((40 * SLOW)) \
    >"$d/play.json" 2>"$d/play.err" </dev/null &
  local play=$!; pids="$pids $play"

  wait_pid $play 60; local status=$?
  [ "$status" -eq 0 ] && ok "$codec: play --frames 60: exit 0" \
    || bad "$codec: play --frames 60: exit 0" "status $status" "$(tail -5 "$d/play.err")"
  local frames width height audio first
  frames=$(json_num "$d/play.json" summary framesDecoded)
  width=$(json_num "$d/play.json" summary width); height=$(json_num "$d/play.json" summary height)
  audio=$(json_num "$d/play.json" summary audioBuffers)
  first=$(json_num "$d/play.json" first-frame delayMs)
  [ "${frames:-0}" -ge 60 ] && ok "$codec: player decoded $frames frames" || bad "$codec: player decoded 60 frames" "framesDecoded=$frames"
  [ "$width" = "$w" ] && [ "$height" = "$h" ] && ok "$codec: at the publisher's ${w}x${h}" \
    || bad "$codec: at the publisher's ${w}x${h}" "decoded ${width}x${height}"
  [ "${audio:-0}" -gt 0 ] && ok "$codec: player received audio ($audio buffers)" || bad "$codec: player received audio" "audioBuffers=$audio"
  echo "# $codec: time from play to the first decoded frame: ${first:-?} ms"
  grep -q '"event":"play_started"' "$d/play.json" && ok "$codec: play_started" || bad "$codec: play_started"

  # Both players were on at once; the recorder is still on: send it data.
  if wait_for "$d/rec.json" '"event":"data-channel".*"open":true' 20; then
    echo "hello players from $codec" >&3
    wait_for "$d/rec.json" "\"event\":\"data\".*\"text\":\"hello players from $codec\"" 10 \
      && ok "$codec: a publisher data message reached the player" \
      || bad "$codec: a publisher data message reached the player" "$(grep '"event":"data' "$d/rec.json")"
  else
    bad "$codec: recorder's data channel opens" "$(tail -5 "$d/rec.err")"
  fi
  wait_for "$d/rec.json" '"event":"stats".*"audioBuffers":[1-9]' 20
  sleep 2

  # The publisher stops (first SIGINT: clean): the recorder gets play_finished.
  exec 3>&-
  kill -INT $pub
  wait_pid $pub 20; status=$?
  [ "$status" -eq 0 ] && ok "$codec: publisher stops cleanly" || bad "$codec: publisher stops cleanly" "status $status" "$(tail -5 "$d/pub.err")"
  wait_pid $rec 30; status=$?
  [ "$status" -eq 0 ] && ok "$codec: recorder ends with the stream: exit 0" \
    || bad "$codec: recorder ends with the stream: exit 0" "status $status" "$(tail -5 "$d/rec.err")"
  grep -q '"event":"play_finished"' "$d/rec.json" && ok "$codec: player got play_finished" \
    || bad "$codec: player got play_finished" "$(tail -3 "$d/rec.json")"
  grep -q '"event":"recording-done"' "$d/rec.json" && ok "$codec: recording finalised" \
    || bad "$codec: recording finalised"
  gst-discoverer-1.0 -v "$d/rec.mkv" >"$d/disc.txt" 2>&1
  if grep -q "Width: $w" "$d/disc.txt" && grep -q "Height: $h" "$d/disc.txt" && grep -q "audio/x-opus" "$d/disc.txt"; then
    ok "$codec: the recording has ${w}x${h} video and audio"
  else
    bad "$codec: the recording has ${w}x${h} video and audio" "$(head -20 "$d/disc.txt")"
  fi
  local dur
  dur=$(sed -n 's/^ *Duration: \([0-9]*\):\([0-9]*\):\([0-9.]*\)$/\1 \2 \3/p' "$d/disc.txt" | awk '{print $1*3600+$2*60+$3}')
  awk "BEGIN{exit !(${dur:-0} >= 1.0)}" && ok "$codec: the recording lasts ${dur} s" \
    || bad "$codec: the recording lasts at least 1 s" "duration ${dur:-none}"
}

# Nobody publishes this one: the server's no_stream_exist is exit 5.
"$A" play "${common[@]}" --stream nobody --frames 10 --duration $((20 * SLOW)) \
  >"$tmp/none.json" 2>"$tmp/none.err" </dev/null
status=$?
[ "$status" -eq 5 ] && grep -q '"definition":"no_stream_exist"' "$tmp/none.json" \
  && ok "play of an unknown stream: no_stream_exist, exit 5" \
  || bad "play of an unknown stream: no_stream_exist, exit 5" "status $status" "$(tail -3 "$tmp/none.err")"

# --frames not reached within --duration: exit 8 (timeout).
"$A" publish "${common[@]}" --stream short --duration $((60 * SLOW)) >"$tmp/short.json" 2>"$tmp/short.err" </dev/null &
short=$!; pids="$pids $short"
wait_for "$tmp/short.json" '"event":"publish_started"' 20 \
  || bad "publisher of the --frames timeout check starts" "$(tail -3 "$tmp/short.err")"
"$A" play "${common[@]}" --stream short --frames 100000 --duration 4 >"$tmp/slow.json" 2>"$tmp/slow.err" </dev/null
status=$?
[ "$status" -eq 8 ] && ok "play --frames not reached within --duration: exit 8" \
  || bad "play --frames not reached within --duration: exit 8" "status $status" "$(tail -3 "$tmp/slow.err")"
kill -INT $short; wait_pid $short 20

run_codec vp8 480 360
run_codec h264 320 240

echo "1..$n"
exit $fail
