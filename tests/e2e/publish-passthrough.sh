#!/usr/bin/env bash
# amsclient publish --file CLIP --passthrough: the clip's VP8 frames are sent
# as they are, in a loop. A 2 s clip (60 frames, a keyframe every 30) is
# published; a player that decodes must get 120 frames (so the loop went
# round: the clip has 60) at the clip's 320x240, the publisher must report
# more frames sent than the clip holds, and GStreamer's log of the elements
# the publisher created must show no encoder and no decoder. Usage errors:
# --passthrough without --file, and a file with no VP8 video.
#
# Loopback only, a free port, every process stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"

SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4

clip=$tmp/clip.webm
if ! gst-launch-1.0 -q videotestsrc num-buffers=60 ! video/x-raw,width=320,height=240,framerate=30/1 \
     ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=30 ! webmmux ! filesink location="$clip" \
     >"$tmp/clip.log" 2>&1 || [ ! -s "$clip" ]; then
  bad "a VP8 clip made with gst-launch-1.0" "$(tail -3 "$tmp/clip.log")"
  echo "1..$n"; exit 1
fi

"$A" publish --url ws://127.0.0.1:1/App/websocket --stream x --passthrough >/dev/null 2>"$tmp/usage.err"
status=$?
[ "$status" -eq 2 ] && grep -q -- "--file" "$tmp/usage.err" && ok "--passthrough without --file: usage error (2)" \
  || bad "--passthrough without --file: usage error (2)" "status $status" "$(cat "$tmp/usage.err")"

printf '[server]\nstart-timeout-ms=%d\n' $((60000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE
common=(--url "$url" --ice-filter loopback --json)

# A file without VP8 video: the publish fails with a clear error, no crash.
printf 'not a media file\n' >"$tmp/junk.webm"
"$A" publish "${common[@]}" --stream junk --file "$tmp/junk.webm" --passthrough \
  --duration $((20 * SLOW)) >"$tmp/junk.json" 2>"$tmp/junk.err" </dev/null
status=$?
[ "$status" -ne 0 ] && [ "$status" -lt 128 ] && grep -qi "junk.webm" "$tmp/junk.err" \
  && ok "a file with no VP8 video: fails (status $status) naming the file" \
  || bad "a file with no VP8 video: fails naming the file" "status $status" "$(tail -3 "$tmp/junk.err")"

GST_DEBUG="GST_ELEMENT_FACTORY:4" GST_DEBUG_NO_COLOR=1 \
  "$A" publish "${common[@]}" --stream clip --file "$clip" --passthrough --stats-interval 1 \
  --duration $((90 * SLOW)) >"$tmp/pub.json" 2>"$tmp/pub.err" </dev/null &
pub=$!; pids="$pids $pub"
if ! wait_for "$tmp/pub.json" '"event":"publish_started"' $((20 * SLOW)); then
  bad "publish --passthrough: publish_started" "$(grep -v GST_ELEMENT_FACTORY "$tmp/pub.err" | tail -5)"
  echo "1..$n"; exit 1
fi
ok "publish --passthrough: publish_started"

"$A" play "${common[@]}" --stream clip --no-audio --frames 120 \
  --duration $((40 * SLOW)) >"$tmp/play.json" 2>"$tmp/play.err" </dev/null
status=$?
[ "$status" -eq 0 ] && ok "play --frames 120: exit 0" \
  || bad "play --frames 120: exit 0" "status $status" "$(tail -5 "$tmp/play.err")"
frames=$(json_num "$tmp/play.json" summary framesDecoded)
[ "${frames:-0}" -ge 120 ] && ok "$frames frames decoded from a 60-frame clip (it loops)" \
  || bad "120 frames decoded from a 60-frame clip" "framesDecoded=$frames"
grep -q '"width":320,"height":240\|"width": 320, "height": 240' "$tmp/play.json" \
  && ok "the clip's 320x240 arrives as it is" \
  || bad "the clip's 320x240 arrives as it is" "$(grep -m1 '"summary"' "$tmp/play.json")"

kill -INT $pub; wait_pid $pub 20
sent=$(json_num "$tmp/pub.json" summary framesSent)
[ -z "$sent" ] && sent=$(grep '"event":"stats"' "$tmp/pub.json" | tail -1 | sed -n 's/.*"framesSent":\([0-9]*\).*/\1/p')
[ "${sent:-0}" -gt 60 ] && ok "publisher sent $sent frames (more than the clip's 60)" \
  || bad "publisher sent more than 60 frames" "framesSent=$sent"
if grep -q 'creating element "\(vp8enc\|vp8dec\|decodebin\|uridecodebin\)"' "$tmp/pub.err"; then
  bad "the publisher made no encoder or decoder" \
    "$(grep -m3 'creating element "\(vp8enc\|vp8dec\|decodebin\|uridecodebin\)"' "$tmp/pub.err")"
else
  grep -q 'creating element "rtpvp8pay"' "$tmp/pub.err" \
    && ok "the publisher made no encoder or decoder (rtpvp8pay only)" \
    || bad "the publisher made rtpvp8pay" "$(grep -c 'creating element' "$tmp/pub.err") elements logged"
fi

echo "1..$n"
exit $fail
