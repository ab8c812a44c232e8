#!/usr/bin/env bash
# Multitrack conference rooms (publish with mainTrack = room, the room
# played once with userPublishId, server re-offers with idMapping,
# subtrackAdded/subtrackRemoved) through ams-mini-server with the real CLI:
#  - three `amsclient conference --mode multitrack` participants each decode
#    --frames N video frames from both others, on one connection each;
#  - in a second room one participant leaves on SIGINT (stop of its stream
#    and of the room, confirmed, exit 0) and the two others see it leave at
#    once (subtrackRemoved, no polling); the last one left alone is not
#    taken as stalled (its room connection carries no packets then).
#
# Loopback only: every candidate is filtered to 127.0.0.1; the server picks
# a free port; everything started here is stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"

SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
# Sanitizer builds (ASan in the program): media and DTLS run 2-4x slower.
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4
FRAMES=30

# The server's 5 s no-media timeout for a publisher scales too (three
# publishers under valgrind, or at load average 40, go quiet that long).
printf '[server]\nstart-timeout-ms=%d\n[media]\npublisher-timeout-ms=%d\n' \
  $((120000 * SLOW)) $((5000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE
common=(--url "$url" --mode multitrack --ice-filter loopback --json --width 320 --height 240)

# ------------------------------------------------------------ three decode each other
start() {   # NAME ROOM OUT [ARGS...]
  local name=$1 room=$2 out=$3; shift 3
  "$A" conference "${common[@]}" --room "$room" --stream "$name" "$@" \
    >"$tmp/$out.json" 2>"$tmp/$out.err" </dev/null &
  pids="$pids $!"
  eval "p$out=$!"
}
start alice roomM a --frames $FRAMES --duration $((120 * SLOW))
# alice is in the room first: the others arrive by re-offers.
wait_for "$tmp/a.json" '"event":"publish_started"' 60 || bad "alice publishes" "$(tail -3 "$tmp/a.err")"
start bob roomM b --frames $FRAMES --duration $((120 * SLOW))
start carol roomM c --frames $FRAMES --duration $((120 * SLOW))
for x in a b c; do
  eval "pid=\$p$x"
  wait_pid "$pid" 150; status=$?
  [ "$status" -eq 0 ] && ok "participant $x: exit 0 after --frames $FRAMES from both others" \
    || bad "participant $x: exit 0 after --frames $FRAMES from both others" "status $status" "$(tail -5 "$tmp/$x.err")"
done
check_pair "$tmp/a.json" alice bob carol
check_pair "$tmp/b.json" bob alice carol
check_pair "$tmp/c.json" carol alice bob
for x in a b c; do
  # One play, of the room, whatever the number of participants.
  plays=$(grep '"kind":"play"' "$tmp/$x.json" | grep '"state":"requesting"' | sed -n 's/.*"streamId":"\([^"]*\)".*/\1/p' | sort -u)
  [ "$plays" = roomM ] && ok "participant $x played the room once, nothing else" || bad "participant $x played the room once, nothing else" "plays: $plays"
  w=$(grep '"event":"frames-reached"' "$tmp/$x.json" | grep -c '"width":320,"height":240')
  [ "$w" -eq 2 ] && ok "participant $x decoded 320x240 from both" || bad "participant $x decoded 320x240 from both" "$(grep frames-reached "$tmp/$x.json")"
  grep '"event":"takeConfiguration"' "$tmp/$x.json" | grep '"streamId":"roomM"' | grep '"type":"offer"' | grep -q '"idMapping":{' \
    && ok "participant $x got the room's offer with an idMapping" || bad "participant $x got the room's offer with an idMapping"
  grep -q '"event":"publish_finished".*"streamId":"'"$(case $x in a) echo alice;; b) echo bob;; c) echo carol;; esac)"'"' "$tmp/$x.json" \
    && ok "participant $x left by stopping its stream (publish_finished)" || bad "participant $x left by stopping its stream (publish_finished)"
done
# alice was there first: bob and carol came as subtracks and re-offers.
grep -q '"definition":"subtrackAdded".*"trackId":"bob"' "$tmp/a.json" && grep -q '"definition":"subtrackAdded".*"trackId":"carol"' "$tmp/a.json" \
  && ok "alice was told subtrackAdded for bob and carol" || bad "alice was told subtrackAdded for bob and carol" "$(grep subtrack "$tmp/a.json")"
[ "$(count "$tmp/a.json" '"event":"renegotiated","[^}]*"streamId":"roomM"')" -ge 1 ] \
  && ok "alice's room connection was renegotiated by the server" || bad "alice's room connection was renegotiated by the server"
! grep -q '"event":"participant-joined".*"streamId":"alice"' "$tmp/a.json" && ok "alice never sees herself" || bad "alice never sees herself"

# ------------------------------------------------------------ one leaves
start dave roomN d --duration $((180 * SLOW))
wait_for "$tmp/d.json" '"event":"publish_started"' 60 || bad "dave publishes" "$(tail -3 "$tmp/d.err")"
start erin roomN e --duration $((180 * SLOW))
start frank roomN f --duration $((180 * SLOW))
all=1
for x in d e f; do
  deadline=$((SECONDS + 120 * SLOW))
  while [ "$(count "$tmp/$x.json" '"event":"participant-first-frame"')" -lt 2 ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  [ "$(count "$tmp/$x.json" '"event":"participant-first-frame"')" -ge 2 ] || { all=0; bad "participant $x decodes both others" "$(tail -3 "$tmp/$x.err")"; }
done
[ $all = 1 ] && ok "second room: every participant decodes both others"

kill -INT "$pf"; left_at=$(now_ms)
wait_pid "$pf" 20; status=$?
[ "$status" -eq 0 ] && ok "the leaving participant exits 0 on SIGINT" || bad "the leaving participant exits 0 on SIGINT" "status $status" "$(tail -3 "$tmp/f.err")"
for x in d e; do
  if seen=$(event_ms_after "$tmp/$x.json" '"event":"participant-left","[^}]*"streamId":"frank"' "$left_at" 10); then
    delay=$((seen - left_at))
    limit=$((1500 * SLOW))
    [ "$delay" -le "$limit" ] && ok "participant $x saw frank leave at once (${delay} ms)" \
      || bad "participant $x saw frank leave at once" "${delay} ms > ${limit} ms"
  else
    bad "participant $x saw frank leave" "$(grep -E 'participant-|subtrack' "$tmp/$x.json")"
  fi
  grep -q '"definition":"subtrackRemoved".*"trackId":"frank"' "$tmp/$x.json" && ok "participant $x was told subtrackRemoved for frank" \
    || bad "participant $x was told subtrackRemoved for frank"
done
# erin leaves too; dave, alone, gets no packets on the room's connection,
# which is no stall (the room's play is watched for ICE only): nothing is
# played again while the stall timeout (5 s) passes.
for x in e d; do
  eval "pid=\$p$x"
  if [ $x = d ]; then
    wait_for "$tmp/d.json" '"event":"participant-left","[^}]*"streamId":"erin"' 20
    sleep $((7 * SLOW))
    ! grep -q '"event":"media-stalled"' "$tmp/d.json" && ok "alone in the room, dave's room connection is not taken as stalled" \
      || bad "alone in the room, dave's room connection is not taken as stalled" "$(grep -E 'media-stalled|retrying' "$tmp/d.json")"
  fi
  kill -INT "$pid"
  wait_pid "$pid" 20; status=$?
  [ "$status" -eq 0 ] && ok "participant $x leaves cleanly on SIGINT" || bad "participant $x leaves cleanly on SIGINT" "status $status" "$(tail -3 "$tmp/$x.err")"
done

kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; pids=
echo "1..$n"
exit $fail
