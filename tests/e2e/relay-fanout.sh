#!/usr/bin/env bash
# The mini-server's media relay with the real CLI: one `amsclient publish`,
# two `amsclient play` at once each decode 60 frames at the publisher's exact
# size (VP8, then H.264), `amsclient info` reports the relay's measured
# figures, a data-channel line from the publisher reaches the players, and
# when the publisher stops a player still playing gets play_finished.
#
# Loopback only: the server gathers on 127.0.0.1 ([media] ice-address) and
# every client filters to loopback; the server picks a free port; everything
# started here is stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"

SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
# Sanitizer builds (ASan in the program): media and DTLS run 2-4x slower.
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4

# The server's publish start timeout (10 s by default) scales with SLOW.
printf '[server]\nstart-timeout-ms=%d\n[media]\nice-address=127.0.0.1\nkeyframe-window-ms=300\n' $((10000 * SLOW)) \
  >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" LiveApp
common=(--url "$url" --ice-filter loopback --json --stats-interval 1)

# fanout CODEC WIDTH HEIGHT STREAM
fanout() {
  local codec=$1 w=$2 h=$3 id=$4
  # The publisher sends each line written to this FIFO on its data channel
  # (opened read-write here so that neither side blocks).
  mkfifo "$tmp/$id.fifo"
  exec 7<>"$tmp/$id.fifo"
  "$A" publish "${common[@]}" --stream "$id" --codec "$codec" --width "$w" --height "$h" \
    --duration 60 --send-data - >"$tmp/$id.pub.json" 2>"$tmp/$id.pub.err" <"$tmp/$id.fifo" &
  local pp=$!; pids="$pids $pp"
  wait_for "$tmp/$id.pub.json" '"definition":"publish_started"' 20 \
    && ok "$codec: publish_started" || bad "$codec: publish_started" "$(tail -3 "$tmp/$id.pub.err")"

  local players=
  for i in 1 2; do
    "$A" play "${common[@]}" --stream "$id" --frames 60 --duration 60 \
      >"$tmp/$id.play$i.json" 2>"$tmp/$id.play$i.err" </dev/null &
    players="$players $!"; pids="$pids $!"
  done
  # A third player that stays until the publisher goes.
  "$A" play "${common[@]}" --stream "$id" --duration 60 \
    >"$tmp/$id.stay.json" 2>"$tmp/$id.stay.err" </dev/null &
  local stay=$!; pids="$pids $stay"

  local i=0
  for p in $players; do
    i=$((i+1))
    wait_pid "$p" 60; local st=$?
    [ "$st" -eq 0 ] && ok "$codec player $i: exit 0 after 60 frames" \
      || bad "$codec player $i: exit 0 after 60 frames" "status $st" "$(tail -5 "$tmp/$id.play$i.err")"
    local f pw ph audio
    f=$(json_int "$tmp/$id.play$i.json" summary framesDecoded)
    pw=$(json_int "$tmp/$id.play$i.json" summary width); ph=$(json_int "$tmp/$id.play$i.json" summary height)
    audio=$(json_int "$tmp/$id.play$i.json" summary audioBuffers)
    [ "${f:-0}" -ge 60 ] && [ "$pw" = "$w" ] && [ "$ph" = "$h" ] && [ "${audio:-0}" -gt 0 ] \
      && ok "$codec player $i: $f frames at ${pw}x${ph}, $audio audio buffers" \
      || bad "$codec player $i: 60 frames at ${w}x${h} and audio" "frames=$f ${pw}x${ph} audio=$audio"
    local ms
    ms=$(json_int "$tmp/$id.play$i.json" summary firstFrameMs)
    echo "# $codec player $i: first decoded frame ${ms:-?} ms after play"
  done

  # getStreamInfo: the relay's measured size, bitrates and codec.
  local name
  [ "$codec" = h264 ] && name=H264 || name=VP8
  local info_ok=0
  for _ in $(seq 1 $((10 * SLOW))); do
    "$A" info --url "$url" --stream "$id" --json >"$tmp/$id.info.json" 2>"$tmp/$id.info.err" </dev/null
    if grep -q "\"streamWidth\":$w" "$tmp/$id.info.json" && grep -q "\"streamHeight\":$h" "$tmp/$id.info.json" \
       && grep -q "\"videoCodec\":\"$name\"" "$tmp/$id.info.json"; then
      info_ok=1; break
    fi
    sleep 1
  done
  local vb
  vb=$(grep -oE '"videoBitrate":[0-9]+' "$tmp/$id.info.json" | head -1 | cut -d: -f2)
  [ "$info_ok" = 1 ] && [ "${vb:-0}" -gt 100000 ] && ok "$codec: getStreamInfo ${w}x${h} $name, $vb bit/s" \
    || bad "$codec: getStreamInfo ${w}x${h} $name, video bitrate > 100 kbit/s" "$(cat "$tmp/$id.info.json" "$tmp/$id.info.err")"

  # Sent once the staying player's channel is open: messages go to the
  # players present.
  wait_for "$tmp/$id.stay.json" '"event":"data-channel".*"open":true' 20
  echo "hello from $id" >&7
  wait_for "$tmp/$id.stay.json" '"text":"hello from '"$id"'"' 20 \
    && ok "$codec: the publisher's data-channel line reached a player" \
    || bad "$codec: the publisher's data-channel line reached a player" "$(grep '"event":"data' "$tmp/$id.stay.json")"

  # The publisher stops: the remaining player is told.
  kill -INT "$pp"
  wait_pid "$pp" 20; local sp=$?
  [ "$sp" -eq 0 ] && ok "$codec: publisher stops cleanly" || bad "$codec: publisher stops cleanly" "status $sp"
  wait_for "$tmp/$id.stay.json" '"definition":"play_finished"' 15 \
    && ok "$codec: play_finished to the player when the publisher left" \
    || bad "$codec: play_finished to the player when the publisher left" "$(tail -3 "$tmp/$id.stay.json")"
  wait_pid "$stay" 20 >/dev/null
  exec 7>&-
}

fanout vp8 320 240 cam-vp8
fanout h264 352 288 cam-h264

echo "1..$n"
exit $fail
