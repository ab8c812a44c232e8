#!/usr/bin/env bash
# A conference room run from a shell script: the script reads the JSON
# lines of `amsclient conference --json` as they come and answers through
# `--send-data -` (its standard input).
#
#   host   welcomes each participant whose video it decodes ("welcome ID"),
#          and leaves (SIGINT) once that participant has left;
#   guest  answers a welcome with "thanks", then leaves.
#
# Both are plain `while read` loops over the tool's output; this file is
# the demonstration and the test. Loopback only; the server picks a free
# port; everything started here is stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"
CLEANUPS+=("exec 3>&- 4>&-")
SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
# Sanitizer builds (ASan in the program): media and DTLS run 2-4x slower.
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4

# field LINE NAME: a string field of a JSON line (enough for these events).
field() { sed -n "s/.*\"$2\":\"\\([^\"]*\\)\".*/\\1/p" <<<"$1"; }

printf '[server]\nstart-timeout-ms=%d\n' $((120000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE
common=(--url "$url" --ice-filter loopback --json
        --poll-interval 1 --room lobby --duration $((180 * SLOW)) --send-data -)

# ------------------------------------------------------------ the host script
host() {
  mkfifo "$tmp/host.in"
  : >"$tmp/host.json"   # exists before tail opens it
  "$A" conference "${common[@]}" --stream host <"$tmp/host.in" >"$tmp/host.json" 2>"$tmp/host.err" &
  local pid=$! welcomed=
  echo "$pid" >"$tmp/host.pid"
  exec 3>"$tmp/host.in"
  while IFS= read -r line; do
    case $line in
      *'"event":"participant-first-frame"'*)
        id=$(field "$line" streamId)
        echo "host: decoding $id, welcoming it" >>"$tmp/host.log"
        echo "welcome $id" >&3; welcomed=$id ;;
      *'"event":"data"'*'"text":"thanks"'*)
        echo "host: $(field "$line" from) said thanks" >>"$tmp/host.log" ;;
      *'"event":"participant-left"'*)
        echo "host: $(field "$line" streamId) left, closing the room" >>"$tmp/host.log"
        [ "$(field "$line" streamId)" = "$welcomed" ] && kill -INT "$pid" ;;
    esac
  done < <(tail -n +1 -f --pid="$pid" "$tmp/host.json")
  wait "$pid"; echo "host: exit $?" >>"$tmp/host.log"
}

# ------------------------------------------------------------ the guest script
guest() {
  mkfifo "$tmp/guest.in"
  : >"$tmp/guest.json"
  "$A" conference "${common[@]}" --stream guest <"$tmp/guest.in" >"$tmp/guest.json" 2>"$tmp/guest.err" &
  local pid=$!
  echo "$pid" >"$tmp/guest.pid"
  exec 4>"$tmp/guest.in"
  while IFS= read -r line; do
    case $line in
      *'"event":"data"'*'"text":"welcome guest"'*)
        echo "guest: welcomed by $(field "$line" from)" >>"$tmp/guest.log"
        echo "thanks" >&4
        # Time for the thanks to travel, then leave.
        sleep 2; kill -INT "$pid" ;;
    esac
  done < <(tail -n +1 -f --pid="$pid" "$tmp/guest.json")
  wait "$pid"; echo "guest: exit $?" >>"$tmp/guest.log"
}

host &
hs=$!; pids="$pids $hs"
wait_for "$tmp/host.json" '"event":"publish_started"' 60 || bad "the host publishes" "$(tail -3 "$tmp/host.err")"
guest &
gs=$!; pids="$pids $gs"

deadline=$((SECONDS + 150 * SLOW))
while { kill -0 "$hs" || kill -0 "$gs"; } 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
if kill -0 "$hs" 2>/dev/null || kill -0 "$gs" 2>/dev/null; then
  bad "both scripts end on their own" "$(cat "$tmp/host.log" "$tmp/guest.log" 2>/dev/null)" "$(tail -n 3 "$tmp/host.err" "$tmp/guest.err")"
  for f in host guest; do [ -f "$tmp/$f.pid" ] && kill "$(cat "$tmp/$f.pid")" 2>/dev/null; done
else
  ok "both scripts end on their own"
fi
grep -q '^host: decoding guest, welcoming it' "$tmp/host.log" 2>/dev/null && ok "the host decoded the guest and welcomed it" \
  || bad "the host decoded the guest and welcomed it" "$(cat "$tmp/host.log" 2>/dev/null)"
grep -q '^guest: welcomed by host' "$tmp/guest.log" 2>/dev/null && ok "the guest got the welcome, from the host" \
  || bad "the guest got the welcome, from the host" "$(grep '"event":"data"' "$tmp/guest.json")"
grep -q '^host: guest said thanks' "$tmp/host.log" 2>/dev/null && ok "the host got the guest's answer" \
  || bad "the host got the guest's answer" "$(grep '"event":"data"' "$tmp/host.json")"
grep -q '^host: guest left, closing the room' "$tmp/host.log" 2>/dev/null && ok "the host saw the guest leave" \
  || bad "the host saw the guest leave" "$(cat "$tmp/host.log" 2>/dev/null)"
grep -q '^guest: exit 0' "$tmp/guest.log" 2>/dev/null && ok "the guest left cleanly (exit 0)" || bad "the guest left cleanly (exit 0)" "$(tail -3 "$tmp/guest.err")"
grep -q '^host: exit 0' "$tmp/host.log" 2>/dev/null && ok "the host left cleanly (exit 0)" || bad "the host left cleanly (exit 0)" "$(tail -3 "$tmp/host.err")"
# Every line the tool printed is one JSON object.
bad_lines=$(cat "$tmp/host.json" "$tmp/guest.json" | grep -vcE '^\{"event":"[^"]+","time":"[^"]+".*\}$' || true)
[ "$bad_lines" -eq 0 ] && ok "every output line is one JSON event" || bad "every output line is one JSON event" "$bad_lines other lines"

kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; pids=
echo "1..$n"
exit $fail
