#!/usr/bin/env python3
"""rss-parts: where a process's resident memory is, by component, from
/proc/PID/smaps.

  rss-parts.py PID ROW            one JSON line: {"row":ROW,"rss_kb":..,"threads":..,"parts":{..}}

Every mapping's Rss is given to one part: the program's own code (by the
library's file name), the libraries it pulls in (grouped by what they are
there for), the malloc heap and arenas, thread stacks, other anonymous memory.
File-backed pages count in full although other processes may share them:
that is what RSS counts, and what the client-cost rows compare.

Anonymous mappings are told apart by shape, as glibc lays them out: a thread
stack is a read-write mapping right after its guard page (a small ---p
mapping); a malloc arena (non-main heap) starts on a 64 MiB boundary; [heap]
is the main arena.
"""
import json
import os
import re
import sys

# (part, regex on the mapped file's base name), first match wins
PARTS = [
    ("SDK: libamsclient, amsclient", r"^(libamsclient\.so|amsclient$)"),
    ("SDK: libwebsockets, libuv, json-c", r"^(libwebsockets\.so|libuv\.so|libjson-c\.so|libcap\.so)"),
    ("GStreamer WebRTC plugins (webrtc, nice, dtls, srtp, sctp, rtp, rtpmanager)",
     r"^libgst(webrtc|nice|dtls|srtp|sctp|rtpmanager|rtp)\.so$"),
    ("GStreamer other plugins (source, codec, decodebin, ...)", r"^libgst\w+\.so$"),
    ("GStreamer libraries (core, base, video, webrtc, sdp, rtp, ...)", r"^libgst[\w-]+-1\.0\.so"),
    ("libnice and the deps it links (gupnp, soup, xml2, sqlite, icu, krb5, gnutls)",
     r"^(libnice|libgupnp|libgssdp|libsoup|libxml2|libsqlite3|libicu|libkrb5|libk5crypto|libgssapi|"
     r"libkrb5support|libcom_err|libkeyutils|libgnutls|libnettle|libhogweed|libgmp|libtasn1|libp11-kit|"
     r"libidn2|libunistring|libbrotli|libpsl|libnghttp2|libffi|liblzma)"),
    ("SRTP: libsrtp2 and NSS", r"^(libsrtp2|libnss3|libnssutil3|libsoftokn3|libfreeblpriv3|libnspr4|libplc4|libplds4|libsmime3)"),
    ("OpenSSL (libssl, libcrypto)", r"^(libssl|libcrypto)\.so"),
    ("codecs (libvpx, libopus, orc)", r"^(libvpx|libopus|liborc|orcexec)"),
    ("GLib, GObject, GIO, GModule", r"^lib(glib|gobject|gio|gmodule|gthread)-2\.0\.so"),
    ("libc, libstdc++, ld.so and other system libraries", r"\.so(\.|$)"),
]
PART_RE = [(name, re.compile(rx)) for name, rx in PARTS]


def classify_file(path):
    base = os.path.basename(path.replace(" (deleted)", ""))
    for name, rx in PART_RE:
        if rx.search(base):
            return name
    if path.startswith("/usr/lib/locale") or path.startswith("/usr/share"):
        return "locale and data files"
    if base.startswith("gst-launch"):
        return "gst-launch-1.0"
    return "other files"


def parts_of(pid):
    maps = []
    cur = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            m = re.match(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$", line)
            if m:
                cur = {"start": int(m[1], 16), "end": int(m[2], 16), "perm": m[3],
                       "path": m[4].strip(), "rss": 0}
                maps.append(cur)
            elif line.startswith("Rss:") and cur is not None:
                cur["rss"] = int(line.split()[1])
    parts = {}
    for i, m in enumerate(maps):
        path = m["path"]
        if path == "[heap]":
            part = "malloc: main heap and arenas"
        elif path in ("[stack]",):
            part = "thread stacks (main thread's included)"
        elif path.startswith("["):
            part = "other anonymous (incl. large malloc blocks, mmapped)"
        elif path == "":
            prev = maps[i - 1] if i else None
            if (prev and prev["path"] == "" and prev["perm"] == "---p" and prev["end"] == m["start"]
                    and prev["end"] - prev["start"] <= 65536 and m["perm"].startswith("rw")):
                part = "thread stacks (main thread's included)"
            elif m["start"] % (64 << 20) == 0 and m["perm"].startswith("rw"):
                part = "malloc: main heap and arenas"
            else:
                part = "other anonymous (incl. large malloc blocks, mmapped)"
        else:
            part = classify_file(path)
        parts[part] = parts.get(part, 0) + m["rss"]
    return parts


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    pid, row = argv[1], argv[2]
    try:
        parts = parts_of(pid)
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except OSError as e:
        print(json.dumps({"row": row, "na": f"cannot read /proc/{pid}: {e.strerror}"}))
        return 0
    print(json.dumps({"row": row, "rss_kb": sum(parts.values()), "threads": threads, "parts": parts}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
