#!/usr/bin/env bash
# amsclient play --no-decode: frames are depayloaded and counted, never
# decoded. A VP8 and an H.264 publisher on ams-mini-server; a player with
# --no-decode --frames 30 must exit 0 with at least 30 counted frames, and
# GStreamer's own log of the elements it created must show the depayloader
# and no decoder (a decoder made and then unused would still fail).
#
# Loopback only, a free port, every process stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"

SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4

printf '[server]\nstart-timeout-ms=%d\n' $((60000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE
common=(--url "$url" --ice-filter loopback --json)

# run_codec CODEC DEPAYLOADER DECODER
run_codec() {
  local codec=$1 depay=$2 dec=$3 d=$tmp/$1
  mkdir -p "$d"
  "$A" publish "${common[@]}" --stream "nd-$codec" --codec "$codec" --no-audio \
    --duration $((90 * SLOW)) >"$d/pub.json" 2>"$d/pub.err" </dev/null &
  local pub=$!; pids="$pids $pub"
  if ! wait_for "$d/pub.json" '"event":"publish_started"' $((20 * SLOW)); then
    bad "$codec: publish_started" "$(tail -5 "$d/pub.err")"; return
  fi
  # GST_ELEMENT_FACTORY at INFO names every element the player creates.
  GST_DEBUG="GST_ELEMENT_FACTORY:4" GST_DEBUG_NO_COLOR=1 \
    "$A" play "${common[@]}" --stream "nd-$codec" --no-audio --no-decode --frames 30 \
    --duration $((40 * SLOW)) >"$d/play.json" 2>"$d/play.err" </dev/null
  local status=$?
  [ "$status" -eq 0 ] && ok "$codec: play --no-decode --frames 30: exit 0" \
    || bad "$codec: play --no-decode --frames 30: exit 0" "status $status" "$(grep -v GST_ELEMENT_FACTORY "$d/play.err" | tail -5)"
  local frames
  frames=$(json_num "$d/play.json" summary framesDecoded)
  [ "${frames:-0}" -ge 30 ] && ok "$codec: $frames frames counted" \
    || bad "$codec: 30 frames counted" "framesDecoded=$frames"
  grep -q "first-frame" "$d/play.json" && ok "$codec: first-frame event" \
    || bad "$codec: first-frame event" "$(tail -3 "$d/play.json")"
  grep -q "creating element \"$depay\"" "$d/play.err" && ok "$codec: $depay created" \
    || bad "$codec: $depay created" "$(grep -c 'creating element' "$d/play.err") elements logged"
  if grep -q "creating element \"$dec\"\|creating element \"decodebin\"" "$d/play.err"; then
    bad "$codec: no decoder created" "$(grep -m3 "creating element \"$dec\"\|creating element \"decodebin\"" "$d/play.err")"
  else
    ok "$codec: no decoder created"
  fi
  kill -INT $pub; wait_pid $pub 20
}

run_codec vp8 rtpvp8depay vp8dec
run_codec h264 rtph264depay avdec_h264

echo "1..$n"
exit $fail
