#!/usr/bin/env python3
"""room.py: join a conference room through libamsclient's GObject
introspection bindings and print who is there, as they come and go.

    GI_TYPELIB_PATH=... python3 room.py ws://127.0.0.1:5080/WebRTCAppEE/websocket room1 [SECONDS]

The room is left (leaveFromRoom) after SECONDS (default 10) or on Ctrl-C.
Media stays on this machine's loopback interface, enough for a local server.
"""
import signal
import sys

import gi
gi.require_version("Ams", "0.1")
from gi.repository import Ams, GLib, GObject


def main(argv):
    if len(argv) < 3:
        print("usage: room.py WS-URL ROOM [SECONDS]", file=sys.stderr)
        return 2
    url, room = argv[1], argv[2]
    seconds = float(argv[3]) if len(argv) > 3 else 10.0
    status = {"code": 0}
    loop = GLib.MainLoop()

    client = Ams.Client.new(url, None)
    media = Ams.media_options_init()
    media.ice_filter = "loopback"
    conference = Ams.Conference.new(client, room, Ams.ConferenceMode.LEGACY, media)

    def say(text):
        print(text, flush=True)

    def on_connected(_client):
        conference.join()

    def on_disconnected(_client, error):
        if error is not None:
            say("error: %s" % error.message)
            status["code"] = 1
        loop.quit()

    def on_state(conf, _old, new):
        state = Ams.Conference.state_to_string(new)
        if new == Ams.ConferenceState.JOINED:
            say("joined %s as %s" % (room, conf.get_stream_id()))
        elif new in (Ams.ConferenceState.LEFT, Ams.ConferenceState.FAILED):
            say("participants at the end: %s" % " ".join(sorted(conf.dup_participants())))
            say("state %s" % state)
            client.disconnect()

    def on_error(_conf, error):
        say("error: %s" % error.message)
        status["code"] = 1

    def leave(*_args):
        conference.leave()
        return GLib.SOURCE_REMOVE

    # AmsClient's own connect()/disconnect() (the WebSocket) hide GObject's
    # signal connect() in Python: connect its signals through GObject.Object.
    GObject.Object.connect(client, "connected", on_connected)
    GObject.Object.connect(client, "disconnected", on_disconnected)
    conference.connect("state-changed", on_state)
    conference.connect("participant-joined",
                       lambda _c, sid, name: say("participant joined %s%s" % (sid, " (%s)" % name if name else "")))
    conference.connect("participant-left", lambda _c, sid: say("participant left %s" % sid))
    conference.connect("error", on_error)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, leave)
    GLib.timeout_add(int(seconds * 1000), leave)

    def give_up():
        say("error: the room was not left in time")
        status["code"] = 1
        loop.quit()
        return GLib.SOURCE_REMOVE
    # Leaving waits (2 s at most) for the server: never hang beyond that.
    GLib.timeout_add(int(seconds * 1000) + 10000, give_up)

    client.connect()
    loop.run()
    return status["code"]


if __name__ == "__main__":
    sys.exit(main(sys.argv))
