#!/usr/bin/env bash
# Legacy conference rooms (joinRoom, one play per participant, getRoomInfo
# polling) through ams-mini-server with the real CLI:
#  - three `amsclient conference` participants each decode --frames N video
#    frames from both others (one lets the server choose its stream id);
#    exit 0 means every participant seen gave N (one who left short of N,
#    e.g. on a dropped socket, must come back and give them), and the
#    frames-reached lines name exactly the two others;
#  - in a second room, one participant sends a data-channel line that the
#    two others receive from it, then leaves on SIGINT (leaveFromRoom,
#    confirmed by leavedFromRoom, exit 0) and the two others see it leave
#    within the poll interval.
#
# Loopback only: every candidate is filtered to 127.0.0.1; the server picks
# a free port; everything started here is stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"

SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
# Sanitizer builds (ASan in the program): media and DTLS run 2-4x slower.
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4
FRAMES=30
POLL=1

# The publish start timeout is raised: on a loaded machine three encoders
# and their DTLS handshakes may take longer than AMS's 10 s.
# The server's 5 s no-media timeout for a publisher scales too (three
# publishers under valgrind, or at load average 40, go quiet that long).
printf '[server]\nstart-timeout-ms=%d\n[media]\npublisher-timeout-ms=%d\n' \
  $((120000 * SLOW)) $((5000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE
common=(--url "$url" --ice-filter loopback --json --poll-interval "$POLL" --width 320 --height 240)
# Under valgrind the server's loop stops for seconds at a time (its first
# DTLS key, pipelines built for three publishers): the keepalive (two
# missed pongs, 3 s apart, end the socket) scales like every other wait, so
# a slow server is not taken for a dead one. A socket that drops all the
# same is reconnected and the participant must get back into the room: the
# frame checks below then still need both others' frames.
[ -n "${AMS_VALGRIND:-}" ] && common+=(--ping-interval $((3 * SLOW)))

# ------------------------------------------------------------ three decode each other
"$A" conference "${common[@]}" --room roomA --frames $FRAMES --duration $((120 * SLOW)) \
  >"$tmp/a.json" 2>"$tmp/a.err" </dev/null &
pa=$!; pids="$pids $pa"
"$A" conference "${common[@]}" --room roomA --stream bob --frames $FRAMES --duration $((120 * SLOW)) \
  >"$tmp/b.json" 2>"$tmp/b.err" </dev/null &
pb=$!; pids="$pids $pb"
"$A" conference "${common[@]}" --room roomA --stream carol --frames $FRAMES --duration $((120 * SLOW)) \
  >"$tmp/c.json" 2>"$tmp/c.err" </dev/null &
pc=$!; pids="$pids $pc"
for x in a b c; do
  eval "pid=\$p$x"
  wait_pid "$pid" $((150)); status=$?
  [ "$status" -eq 0 ] && ok "participant $x: exit 0 after --frames $FRAMES from both others" \
    || bad "participant $x: exit 0 after --frames $FRAMES from both others" "status $status" "$(tail -5 "$tmp/$x.err")"
done
ida=$(own_id "$tmp/a.json"); idb=$(own_id "$tmp/b.json"); idc=$(own_id "$tmp/c.json")
[ -n "$ida" ] && [ "$ida" != bob ] && [ "$ida" != carol ] && grep -q "\"definition\":\"joinedTheRoom\",\"streamId\":\"$ida\"" "$tmp/a.json" \
  && ok "the server chose the stream id of the participant that gave none ($ida)" \
  || bad "the server chose the stream id of the participant that gave none" "got '$ida'"
[ "$idb" = bob ] && [ "$idc" = carol ] && ok "the given stream ids are used" || bad "the given stream ids are used" "$idb $idc"
check_pair "$tmp/a.json" a "$idb" "$idc"
check_pair "$tmp/b.json" b "$ida" "$idc"
check_pair "$tmp/c.json" c "$ida" "$idb"
# Each played the two others and published itself: three plays, no more.
for x in a b c; do
  plays=$(grep '"kind":"play"' "$tmp/$x.json" | grep '"state":"requesting"' | sed -n 's/.*"streamId":"\([^"]*\)".*/\1/p' | sort -u | wc -l)
  [ "$plays" -eq 2 ] && ok "participant $x played exactly the two others" || bad "participant $x played exactly the two others" "$plays distinct plays"
  w=$(grep '"event":"frames-reached"' "$tmp/$x.json" | grep -c '"width":320,"height":240')
  [ "$w" -eq 2 ] && ok "participant $x decoded 320x240 from both" || bad "participant $x decoded 320x240 from both" "$(grep frames-reached "$tmp/$x.json")"
  grep -q '"event":"leavedFromRoom"' "$tmp/$x.json" && ok "participant $x left with leaveFromRoom (leavedFromRoom)" \
    || bad "participant $x left with leaveFromRoom (leavedFromRoom)"
done

# ------------------------------------------------------------ data, then one leaves
"$A" conference "${common[@]}" --room roomB --stream dave --duration $((180 * SLOW)) \
  >"$tmp/d.json" 2>"$tmp/d.err" </dev/null &
pd=$!; pids="$pids $pd"
# erin reads standard input from a FIFO, written once everybody is there: a
# message sent before a player's channel opens reaches nobody (as on AMS).
mkfifo "$tmp/e.in"
"$A" conference "${common[@]}" --room roomB --stream erin --duration $((180 * SLOW)) --send-data - \
  >"$tmp/e.json" 2>"$tmp/e.err" <"$tmp/e.in" &
pe=$!; pids="$pids $pe"
exec 3>"$tmp/e.in"
"$A" conference "${common[@]}" --room roomB --stream frank --duration $((180 * SLOW)) \
  >"$tmp/f.json" 2>"$tmp/f.err" </dev/null &
pf=$!; pids="$pids $pf"
all=1
for x in d e f; do
  # Two first frames: the two others are decoded.
  deadline=$((SECONDS + 120 * SLOW))
  while [ "$(count "$tmp/$x.json" '"event":"first-frame"')" -lt 2 ] && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  [ "$(count "$tmp/$x.json" '"event":"first-frame"')" -ge 2 ] || { all=0; bad "participant $x decodes both others" "$(tail -3 "$tmp/$x.err")"; }
done
[ $all = 1 ] && ok "second room: every participant decodes both others"
echo "hello from erin" >&3
exec 3>&-
for x in d f; do
  wait_for "$tmp/$x.json" '"event":"data",.*"from":"erin".*"text":"hello from erin"' 30 \
    && ok "participant $x received erin's data-channel line, from erin" \
    || bad "participant $x received erin's data-channel line, from erin" "$(grep '"event":"data"' "$tmp/$x.json")"
done

kill -INT "$pf"; left_at=$(now_ms)
wait_pid "$pf" 20; status=$?
[ "$status" -eq 0 ] && ok "the leaving participant exits 0 on SIGINT" || bad "the leaving participant exits 0 on SIGINT" "status $status" "$(tail -3 "$tmp/f.err")"
grep -q '"event":"leavedFromRoom"' "$tmp/f.json" && ok "its leaveFromRoom was confirmed (leavedFromRoom)" || bad "its leaveFromRoom was confirmed (leavedFromRoom)"
for x in d e; do
  if seen=$(event_ms_after "$tmp/$x.json" '"event":"participant-left","[^}]*"streamId":"frank"' "$left_at" $((POLL + 10))); then
    delay=$((seen - left_at))
    limit=$(( (POLL * 1000 + 2000) * SLOW ))
    [ "$delay" -le "$limit" ] && ok "participant $x saw frank leave after ${delay} ms (poll interval ${POLL} s)" \
      || bad "participant $x saw frank leave within the poll interval" "${delay} ms > ${limit} ms"
  else
    bad "participant $x saw frank leave" "$(grep participant- "$tmp/$x.json")"
  fi
  grep -q '"event":"track-removed","[^}]*"trackId":"frank"' "$tmp/$x.json" && ok "participant $x: frank's track removed" \
    || bad "participant $x: frank's track removed"
done
# The room now holds two: the getRoomInfo answers name only the other one.
sleep $((POLL + 1))
last=$(grep '"event":"roomInformation"' "$tmp/d.json" | tail -1)
echo "$last" | grep -q '"streams":\["erin"\]' && ok "dave's last roomInformation lists only erin" || bad "dave's last roomInformation lists only erin" "$last"

for x in d e; do
  eval "pid=\$p$x"
  kill -INT "$pid"
  wait_pid "$pid" 20; status=$?
  [ "$status" -eq 0 ] && ok "participant $x leaves cleanly on SIGINT" || bad "participant $x leaves cleanly on SIGINT" "status $status" "$(tail -3 "$tmp/$x.err")"
done

# ------------------------------------------------------------ refusals
"$A" conference --url "$url" --ice-filter loopback --json --room roomC --stream 'bad id!' --duration 10 \
  >"$tmp/g.json" 2>"$tmp/g.err" </dev/null
status=$?
[ "$status" -ne 0 ] && grep -q '"event":"error"' "$tmp/g.json" && ok "an invalid stream id fails with an error event (exit $status)" \
  || bad "an invalid stream id fails with an error event" "status $status" "$(tail -3 "$tmp/g.err")"

kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; pids=
echo "1..$n"
exit $fail
