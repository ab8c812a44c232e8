#!/usr/bin/env bash
# GObject introspection: g-ir-scanner reads the public headers and the
# built library into Ams-0.1.gir, g-ir-compiler makes the typelib (both in
# $BUILD/gir), and samples/room.py (python3-gi) uses it to join a room of a
# private ams-mini-server, sees a CLI participant there, and leaves.
#
# Loopback only; the server picks a free port; everything started here is
# stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"
SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
# The system interpreter: python3-gi is a Debian package.
PY=/usr/bin/python3

if ! command -v g-ir-scanner >/dev/null || ! command -v g-ir-compiler >/dev/null; then
  bad "g-ir-scanner and g-ir-compiler are installed (scripts/install-deps.sh test)"
  echo "1..$n"; exit 1
fi
case "${SANITIZE:-}" in
  ?*) # The scanner runs a helper linked with the library: not with sanitizers.
      skip "the GIR of libamsclient" "sanitizer build"; echo "1..$n"; exit 0 ;;
esac

gir=$BUILD/gir
mkdir -p "$gir"
if g-ir-scanner --quiet --warn-all --namespace=Ams --nsversion=0.1 --identifier-prefix=Ams \
     --symbol-prefix=ams --c-include=amsclient/amsclient.h \
     --include=GObject-2.0 --include=Gio-2.0 --include=Gst-1.0 \
     -Iinclude $(pkg-config --cflags glib-2.0 gstreamer-1.0) \
     --library=amsclient -L"$PWD/$BUILD/lib" --library-path="$PWD/$BUILD/lib" \
     include/amsclient/*.h -o "$gir/Ams-0.1.gir" 2>"$tmp/scanner.log"; then
  ok "g-ir-scanner makes Ams-0.1.gir from the public headers"
else
  bad "g-ir-scanner makes Ams-0.1.gir from the public headers" "$(tail -5 "$tmp/scanner.log")"
  echo "1..$n"; exit 1
fi
# The conference header's annotations are all valid for the scanner.
grep -A2 'ams-conference.h' "$tmp/scanner.log" >"$tmp/conference.log"
[ ! -s "$tmp/conference.log" ] && ok "no scanner warning in ams-conference.h" \
  || bad "no scanner warning in ams-conference.h" "$(head -5 "$tmp/conference.log")"
warnings=$(grep -cE 'Warning|Error' "$tmp/scanner.log" || true)
echo "# scanner messages on other headers: $warnings"
for name in Conference Client Stream; do
  grep -q "<class name=\"$name\"" "$gir/Ams-0.1.gir" && ok "the GIR has the class Ams.$name" || bad "the GIR has the class Ams.$name"
done
grep -q '<glib:signal name="participant-joined"' "$gir/Ams-0.1.gir" && ok "the GIR has AmsConference's signals" || bad "the GIR has AmsConference's signals"
g-ir-compiler "$gir/Ams-0.1.gir" -o "$gir/Ams-0.1.typelib" 2>"$tmp/compiler.log" \
  && ok "g-ir-compiler makes the typelib" || bad "g-ir-compiler makes the typelib" "$(tail -3 "$tmp/compiler.log")"

export GI_TYPELIB_PATH=$PWD/$gir LD_LIBRARY_PATH=$PWD/$BUILD/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if ! $PY -c 'import gi' 2>/dev/null; then
  bad "python3-gi is installed (scripts/install-deps.sh test)"; echo "1..$n"; exit 1
fi
timeout 60 $PY - >"$tmp/api.out" 2>&1 <<'PY'
import gi
gi.require_version("Ams", "0.1")
from gi.repository import Ams
assert Ams.Conference.state_to_string(Ams.ConferenceState.JOINED) == "joined"
assert Ams.Conference.mode_to_string(Ams.ConferenceMode.MULTITRACK) == "multitrack"
client = Ams.Client.new("ws://127.0.0.1:9/App/websocket", None)
conf = Ams.Conference.new(client, "r", Ams.ConferenceMode.LEGACY, None)
assert conf.get_state() == Ams.ConferenceState.IDLE
assert conf.dup_participants() == []
try:
    conf.send_text("x")
    raise SystemExit("send_text without a channel did not raise")
except gi.repository.GLib.Error as e:
    assert e.matches(Ams.error_quark(), Ams.Error.NOT_CONNECTED), e
print("api ok")
PY
grep -q '^api ok' "$tmp/api.out" && ok "Python sees the API: enums, objects, GError as exceptions" \
  || bad "Python sees the API: enums, objects, GError as exceptions" "$(tail -5 "$tmp/api.out")"

# ------------------------------------------------------------ room.py in a room
printf '[server]\nstart-timeout-ms=120000\n' >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE

"$A" conference --url "$url" --ice-filter loopback --json --room pyroom --stream cli1 \
  --poll-interval 1 --duration $((120 * SLOW)) >"$tmp/cli.json" 2>"$tmp/cli.err" </dev/null &
cli=$!; pids="$pids $cli"
wait_for "$tmp/cli.json" '"event":"publish_started"' 60 || bad "the CLI participant publishes" "$(tail -3 "$tmp/cli.err")"
timeout $((60 * SLOW)) $PY samples/room.py "$url" pyroom $((15 * SLOW)) >"$tmp/room.out" 2>"$tmp/room.err"
status=$?
[ "$status" -eq 0 ] && ok "room.py runs and exits 0" || bad "room.py runs and exits 0" "status $status" "$(tail -5 "$tmp/room.err")"
grep -qE '^joined pyroom as [A-Za-z0-9]+' "$tmp/room.out" && ok "room.py joined the room" || bad "room.py joined the room" "$(cat "$tmp/room.out")"
grep -q '^participant joined cli1' "$tmp/room.out" && ok "room.py printed the CLI participant" || bad "room.py printed the CLI participant" "$(cat "$tmp/room.out")"
grep -q '^state left' "$tmp/room.out" && ok "room.py left the room" || bad "room.py left the room" "$(cat "$tmp/room.out")"
pyid=$(sed -n 's/^joined pyroom as //p' "$tmp/room.out")
[ -n "$pyid" ] && grep -q "\"event\":\"participant-joined\",[^}]*\"streamId\":\"$pyid\"" "$tmp/cli.json" \
  && ok "the CLI participant saw room.py join" || bad "the CLI participant saw room.py join" "$(grep participant- "$tmp/cli.json")"
kill -INT "$cli"; wait "$cli"; status=$?
[ "$status" -eq 0 ] && ok "the CLI participant leaves (exit 0)" || bad "the CLI participant leaves (exit 0)" "status $status"

kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; pids=
echo "1..$n"
exit $fail
