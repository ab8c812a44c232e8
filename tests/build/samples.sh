#!/usr/bin/env bash
# The programs of samples/ build against the build tree with nothing but
# `pkg-config --cflags --libs amsclient` (public headers only, no warning),
# and conference-bot really works: it joins a room of a private
# ams-mini-server and answers a participant's data-channel message.
#
# Loopback only; the server picks a free port; everything started here is
# stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"
SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
[ -n "${SANITIZE:-}" ] && [ -z "${AMS_SLOW:-}" ] && SLOW=4
# A participant that ends early closes the FIFO it reads: the next "ping"
# written to it must fail that check with its log, not end this script
# with SIGPIPE (a sanitised run exited 141 there at load average 25).
trap '' PIPE

# A .pc for the build tree, as the installed one is for an installed tree.
version=$(sed -n 's/^VERSION *:\{0,1\}= *//p' Makefile | head -1)
mkdir -p "$tmp/pc"
sed -e "s|@PREFIX@|$PWD|" -e "s|@LIBDIR@|$PWD/$BUILD/lib|" -e "s|@INCDIR@|$PWD/include|" \
    -e "s|@VERSION@|${version:-0}|" amsclient.pc.in >"$tmp/pc/amsclient.pc"
export PKG_CONFIG_PATH="$tmp/pc"
flags=$(pkg-config --cflags --libs amsclient) && ok "pkg-config gives the flags of the build tree" \
  || { bad "pkg-config gives the flags of the build tree"; echo "1..$n"; exit 1; }

for s in publish play-to-file conference-bot; do
  # -Isdk is not given: a sample that reached for an internal header fails.
  # A sanitised library needs its runtime in the program that loads it.
  if cc -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Werror ${SANITIZE:+-fsanitize=$SANITIZE} \
        -o "$tmp/$s" "samples/$s.c" $flags \
        -Wl,-rpath,"$PWD/$BUILD/lib" 2>"$tmp/$s.cc"; then
    ok "samples/$s.c builds with pkg-config, no warning"
  else
    bad "samples/$s.c builds with pkg-config, no warning" "$(head -5 "$tmp/$s.cc")"
  fi
done
for s in publish play-to-file conference-bot; do
  "$tmp/$s" >/dev/null 2>"$tmp/$s.usage"; status=$?
  [ "$status" -eq 2 ] && grep -q usage "$tmp/$s.usage" && ok "$s without arguments: usage, exit 2" \
    || bad "$s without arguments: usage, exit 2" "status $status"
done

printf '[server]\nstart-timeout-ms=120000\n' >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE

# ------------------------------------------------------------ the bot answers
AMS_ICE_FILTER=loopback AMS_BOT_STREAM_ID=bot "$tmp/conference-bot" "$url" botroom legacy $((120 * SLOW)) \
  >"$tmp/bot.out" 2>"$tmp/bot.err" &
bot=$!; pids="$pids $bot"
wait_for "$tmp/bot.out" '^state joined' 20 && ok "the bot joins the room" || bad "the bot joins the room" "$(cat "$tmp/bot.err")"

# A participant that says "ping bot" once a second until the echo comes:
# the bot plays it only after its next poll of the room.
mkfifo "$tmp/in"
"$A" conference --url "$url" --ice-filter loopback --json --room botroom --stream tester \
  --duration $((120 * SLOW)) --send-data - >"$tmp/tester.json" 2>"$tmp/tester.err" <"$tmp/in" &
tester=$!; pids="$pids $tester"
exec 3>"$tmp/in"
wait_for "$tmp/tester.json" '"event":"first-frame","[^}]*"streamId":"bot"' 90 \
  && ok "the participant decodes the bot's video" || bad "the participant decodes the bot's video" "$(tail -3 "$tmp/tester.err")"
answered=0
deadline=$((SECONDS + 60 * SLOW))
while [ $SECONDS -lt $deadline ]; do
  echo "ping bot" >&3
  if wait_for "$tmp/tester.json" '"event":"data",.*"from":"bot".*"text":"echo: ping bot"' 1; then answered=1; break; fi
done
exec 3>&-
[ $answered = 1 ] && ok "the bot answers the participant's data-channel message" \
  || bad "the bot answers the participant's data-channel message" "$(tail -5 "$tmp/bot.out")"
grep -q '^message from tester: ping bot' "$tmp/bot.out" && ok "the bot saw the message come from tester" \
  || bad "the bot saw the message come from tester" "$(tail -5 "$tmp/bot.out")"

kill -INT "$tester"; wait_pid "$tester" 20; status=$?
[ "$status" -eq 0 ] && ok "the participant leaves (exit 0)" || bad "the participant leaves (exit 0)" "status $status"
wait_for "$tmp/bot.out" '^left tester' $((10)) && ok "the bot sees the participant leave" || bad "the bot sees the participant leave" "$(tail -5 "$tmp/bot.out")"
kill -INT "$bot"; wait_pid "$bot" 20; status=$?
[ "$status" -eq 0 ] && grep -q '^state left' "$tmp/bot.out" && ok "the bot leaves the room on SIGINT (exit 0)" \
  || bad "the bot leaves the room on SIGINT (exit 0)" "status $status" "$(tail -3 "$tmp/bot.err")"

# ------------------------------------------------------------ publish and play-to-file
AMS_ICE_FILTER=loopback "$tmp/publish" "$url" sample1 $((60 * SLOW)) >"$tmp/pub.out" 2>"$tmp/pub.err" &
pub=$!; pids="$pids $pub"
wait_for "$tmp/pub.out" '^publishing sample1' 60 && ok "publish starts publishing" || bad "publish starts publishing" "$(cat "$tmp/pub.err")"
AMS_ICE_FILTER=loopback "$tmp/play-to-file" "$url" sample1 "$tmp/out.mkv" $((10 * SLOW)) >"$tmp/play.out" 2>"$tmp/play.err"
status=$?
size=$(stat -c %s "$tmp/out.mkv" 2>/dev/null || echo 0)
[ "$status" -eq 0 ] && grep -q "^recorded $tmp/out.mkv" "$tmp/play.out" && [ "$size" -gt 10000 ] \
  && ok "play-to-file records $size bytes" || bad "play-to-file records a file" "status $status size $size" "$(tail -3 "$tmp/play.err")"
if command -v gst-discoverer-1.0 >/dev/null && [ "$size" -gt 0 ]; then
  gst-discoverer-1.0 "$tmp/out.mkv" 2>/dev/null | grep -qi 'video' && ok "the recording holds video" \
    || bad "the recording holds video" "$(gst-discoverer-1.0 "$tmp/out.mkv" 2>&1 | tail -5)"
fi
kill -INT "$pub"; wait_pid "$pub" 20; status=$?
[ "$status" -eq 0 ] && ok "publish stops on SIGINT (exit 0)" || bad "publish stops on SIGINT (exit 0)" "status $status"

kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; pids=
echo "1..$n"
exit $fail
