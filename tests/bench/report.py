#!/usr/bin/env python3
"""Collects benchmark records and prints the tables of run-bench.sh.

  report.py --tag RESDIR SECTION ROW [SUBROW]   read one run's output on stdin,
                                               append one record to SECTION.jsonl
  report.py --relay-row RESDIR N PREFIX TA TB SERVER_CPU_S PLAYERS_CPU_S THREADS RSS_KB HWM_KB READY PUBLOG
  report.py --fanout-row RESDIR N HARNESS_JSON PUBLOG SERVERLOG   one fanout-players run
  report.py --window-row RESDIR SECTION ROW LOG TA TB CPU_S HWM_KB RSS_KB
  report.py --why FILE                         why a CLI run (runstat output) failed
  report.py RESDIR SECTION                     print SECTION's table

Records hold only what was measured; a row that could not run holds "na" with
the reason, and the table prints "n/a (reason)" for it.
"""
import glob
import json
import os
import statistics
import sys



def json_lines(text):
    """Every JSON object in the text, also behind runstat's '+ms ' prefix."""
    out = []
    for line in text.splitlines():
        stamp = None
        if line.startswith("+") and " " in line:
            head, rest = line.split(" ", 1)
            try:
                stamp = float(head[1:])
                line = rest
            except ValueError:
                pass
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append((stamp, obj))
    return out


def runstat_of(objs):
    for _, o in reversed(objs):
        if o.get("runstat"):
            return o
    return None


def append(resdir, section, rec):
    with open(f"{resdir}/{section}.jsonl", "a") as f:
        f.write(json.dumps(rec) + "\n")


def why(objs, rs=None):
    """The reason a CLI run ended without the expected event, from its own words."""
    for _, o in reversed(objs):
        if o.get("event") == "error" and o.get("errorMessage"):
            return str(o["errorMessage"])
    if rs is not None:
        return f"exit status {rs.get('rc')}" + (", timed out" if rs.get("timed_out") else "")
    return "no output"


def tag(resdir, section, row, subrow=None):
    objs = json_lines(sys.stdin.read())
    rs = runstat_of(objs)
    rec = {"row": row}
    if section == "signalling":
        lg = [o for _, o in objs if "msg_per_s" in o or "error" in o]
        rec = {"server": row, "row": subrow}
        if not lg or "msg_per_s" not in lg[-1]:
            rec["na"] = lg[-1].get("error", "load generator failed") if lg else "load generator failed"
        else:
            rec.update(lg[-1])
        append(resdir, section, rec)
        return
    if rs is None:
        rec["na"] = "no result from runstat"
        append(resdir, section, rec)
        return
    rec.update({k: rs.get(k) for k in ("rc", "timed_out", "wall_ms", "user_s", "sys_s", "maxrss_kb", "first_ms")})
    if rs.get("rc") != 0 or rs.get("first_ms") is None:
        rec["why"] = why(objs, rs)
    if section == "ttff" and row == "pair":
        inner = [o for _, o in objs if "first_frame_ms" in o]
        rec["ms"] = inner[-1]["first_frame_ms"] if inner else None
        rec["phases"] = inner[-1] if inner else None
    elif section == "ttff" and row in ("sdk", "sdk-tuned", "sdk-nofs"):
        inner = [o for _, o in objs if "warm_ms" in o]
        if inner:
            rec.update({k: inner[-1].get(k) for k in ("cold_ms", "warm_ms", "from_exec_ms", "phases")})
    elif section == "ttff":
        rec["ms"] = rs.get("first_ms")
        if row.startswith("play"):
            rec["phases"] = cli_phases(objs)
    append(resdir, section, rec)


def cli_phases(objs):
    """ms since exec of the first connected, offer, DTLS connected and
    first-frame events of an amsclient --json run stamped by runstat."""
    names = {"connected": "connected", "takeConfiguration": "offer", "first-frame": "frame"}
    out = {}
    for t, o in objs:
        ev = o.get("event")
        key = "dtls" if ev == "dtls-state" and o.get("state") == "connected" else names.get(ev)
        if key and t is not None and key not in out:
            out[key] = t
    return out


def iso_s(text):
    """Seconds since the epoch from the CLI's ISO 8601 UTC time."""
    from datetime import datetime
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def window_rate(path, key, ta, tb):
    """Rate of a counter in the CLI's stats events over [ta, tb] (+1.5 s for
    the event after the window), from the events' own times."""
    try:
        with open(path) as f:
            objs = json_lines(f.read())
    except OSError:
        return None
    pts = []
    for _, o in objs:
        if o.get("event") == "stats" and isinstance(o.get(key), (int, float)):
            t = iso_s(o.get("time"))
            if t is not None and ta <= t <= tb + 1.5:
                pts.append((t, o[key]))
    if len(pts) < 2 or pts[-1][0] <= pts[0][0]:
        return None
    return (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])


def first_frame_before(path, t):
    try:
        with open(path) as f:
            objs = json_lines(f.read())
    except OSError:
        return 0
    for _, o in objs:
        if o.get("event") == "first-frame":
            ft = iso_s(o.get("time"))
            return int(ft is not None and ft <= t)
    return 0


def relay_row(resdir, n, prefix, ta, tb, server_cpu_s, player_cpu_s, threads, rss_kb, hwm_kb,
              ready, publisher_log):
    n, ta, tb = int(n), float(ta), float(tb)
    window = tb - ta
    fps, ready_at_start = [], 0
    for i in range(1, n + 1):
        r = window_rate(f"{prefix}{i}.log", "framesDecoded", ta, tb)
        fps.append(r if r is not None else 0.0)
        ready_at_start += first_frame_before(f"{prefix}{i}.log", ta)
    # counted from the players' own first-frame events, not from the wait
    rec = {"row": str(n), "players": n, "players_ready": ready_at_start,
           "players_seen_ready_by_wait": int(ready or 0),
           "players_30fps": sum(1 for f in fps if f >= 29.0),
           "fps_min": min(fps) if fps else None,
           "fps_median": statistics.median(fps) if fps else None,
           "window_s": window,
           "server_cpu_pct": 100.0 * float(server_cpu_s) / window,
           "players_cpu_pct": 100.0 * float(player_cpu_s) / window,
           "server_threads": int(threads or 0), "server_rss_kb": int(rss_kb or 0),
           "server_peak_kb": int(hwm_kb or 0),
           "publisher_fps_sent": window_rate(publisher_log, "framesSent", ta, tb)}
    append(resdir, "relay", rec)


def fanout_row(resdir, n, harness_json, publisher_log, server_log):
    """One fanout-players run (tests/bench/fanout-players.c), the publisher's
    frame rate over the same window and the relay's keyframe counts."""
    import re
    rec = {"row": str(n), "players": int(n),
           # live: amsclient publish encoding; file: a VP8 clip sent as it is
           "publisher": os.environ.get("RELAY_PUBLISHER", "live")}
    try:
        with open(harness_json) as f:
            objs = json_lines(f.read())
    except OSError:
        objs = []
    if not objs:
        rec["na"] = "fanout-players gave no result"
        append(resdir, "relay", rec)
        return
    h = objs[-1][1]
    rec.update(h)
    rec["row"] = str(n)
    rec["publisher"] = os.environ.get("RELAY_PUBLISHER", "live")
    rec["publisher_fps_sent"] = window_rate(publisher_log, "framesSent",
                                            h.get("window_start_epoch", 0), h.get("window_end_epoch", 0))
    try:
        with open(server_log) as f:
            m = re.findall(r"relay stream \S+: (\d+) players joined, (\d+) keyframe requests from "
                           r"players, (\d+) sent to the publisher", f.read())
    except OSError:
        m = []
    if m:
        rec["players_joined"], rec["player_keyframe_requests"], rec["keyframes_requested"] = \
            (int(x) for x in m[-1])
    append(resdir, "relay", rec)


def window_row(resdir, section, row, log, ta, tb, cpu_s, hwm_kb, rss_kb):
    ta, tb = float(ta), float(tb)
    window = tb - ta
    rec = {"row": row, "window_s": window, "cpu_pct": 100.0 * float(cpu_s) / window,
           "peak_rss_kb": int(hwm_kb or 0), "rss_kb": int(rss_kb or 0)}
    if log != "/dev/null":
        rec["fps_decoded"] = window_rate(log, "framesDecoded", ta, tb)
        rec["fps_sent"] = window_rate(log, "framesSent", ta, tb)
    if not hwm_kb or hwm_kb == "0":
        rec["na"] = "the process ended before the window closed"
    append(resdir, section, rec)


def load(resdir, section):
    try:
        with open(f"{resdir}/{section}.jsonl") as f:
            return [json.loads(l) for l in f if l.strip()]
    except FileNotFoundError:
        return []


def fmt(v, spec="{:.1f}"):
    return "—" if v is None else spec.format(v)


def table(headers, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    line = lambda r: "| " + " | ".join(str(x).ljust(w) for x, w in zip(r, widths)) + " |"
    print(line(headers))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


def med_range(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, "—"
    m = statistics.median(vals)
    return m, f"{m:.0f} ({min(vals):.0f}–{max(vals):.0f})"


def print_ttff(recs):
    print_after = []
    by = {}
    for r in recs:
        by.setdefault(r["row"], []).append(r)
    rows = []
    pair = by.get("pair", [])
    pair_ok = [r for r in pair if r.get("ms") is not None]
    pair_med, pair_txt = med_range([r["ms"] for r in pair_ok])
    pw_med, pw_txt = med_range([r.get("first_ms") for r in pair_ok])
    rows.append(["webrtcbin pair, in process (pipeline creation → first decoded frame)",
                 f"{len(pair_ok)}/{len(pair)}", pair_txt, "1.00"])
    rows.append(["webrtcbin pair, whole process (exec → first decoded frame)",
                 f"{len(pair_ok)}/{len(pair)}", pw_txt, "—"])
    for row, label in (("play", "amsclient play --frames 1, cold, whole process (defaults: DTLS key cached, fast start)"),
                       ("play-keygen", "the same, DTLS key generated (empty cache: a first run)"),
                       ("play-nofs", "the same, key cached, --fast-start 0 (first packet held for the latency)"),
                       ("play-tuned", "the same, key cached, tuned (BENCH_TUNED_ARGS, default --latency 0)"),
                       ("publish", "amsclient publish → publish_started, whole process (DTLS key cached)"),
                       ("publish-keygen", "the same, DTLS key generated (empty cache)")):
        if row in ("play-tuned", "play-keygen", "play-nofs", "publish-keygen") and row not in by:
            continue
        rs = by.get(row, [])
        na = [r["na"] for r in rs if "na" in r]
        if na:
            rows.append([label, "—", f"n/a ({na[0]})", "—"])
            continue
        ok = [r for r in rs if r.get("ms") is not None]
        med, txt = med_range([r["ms"] for r in ok])
        if not ok and row.startswith("publish"):
            whys = [r.get("why") for r in rs if r.get("why")]
            txt = f"n/a ({whys[-1] if whys else 'no publish_started'})"
        if row.startswith("play") and not ok:
            # no frame event seen: the time to a successful exit is an upper bound
            exits = [r["wall_ms"] for r in rs if r.get("rc") == 0]
            if exits:
                med, txt = med_range(exits)
                txt += " to exit (no frame event in --json)"
            else:
                whys = [r.get("why") for r in rs if r.get("why")]
                txt = f"n/a (no frame: {whys[-1] if whys else 'see play.err'})"
        ratio = "—"
        if row.startswith("play") and med is not None and pair_med:
            ratio = f"{med / pair_med:.2f}"
        rows.append([label, f"{len(ok)}/{len(rs)}", txt, ratio])
    for key, suffix in (("sdk", " (key cached, fast start)"),
                        ("sdk-nofs", ", fast_start_packets -1 (off)"),
                        ("sdk-tuned", ", player latency_ms 0")):
        sdk = by.get(key, [])
        if key != "sdk" and not sdk:
            continue
        label_c = "SDK play, cold: ams_stream_start → first video-frame (new process)" + suffix
        label_w = "SDK play, warm: a later play in the same process and connection" + suffix
        if not sdk or "na" in sdk[0]:
            why_na = sdk[0]["na"] if sdk else "not run"
            rows.append([label_w, "—", f"n/a ({why_na})", "—"])
            continue
        cold = [r.get("cold_ms") for r in sdk if r.get("cold_ms") is not None]
        warm = [w for r in sdk for w in (r.get("warm_ms") or [])]
        med, txt = med_range(cold)
        rows.append([label_c, f"{len(cold)}/{len(sdk)}", txt,
                     f"{med / pair_med:.2f}" if med and pair_med else "—"])
        med, txt = med_range(warm)
        rows.append([label_w, f"{len(warm)}/{2 * len(sdk)}", txt,
                     f"{med / pair_med:.2f}" if med and pair_med else "—"])
    chrome = by.get("chromium", [])
    label = "official JS SDK in Chromium, play (interop suite; ms from adaptor creation)"
    if not chrome or "na" in chrome[0]:
        rows.append([label, "—", f"n/a ({chrome[0]['na'] if chrome else 'not run'})", "—"])
    else:
        cm = [r["ms"] for r in chrome if r.get("ms") is not None]
        med, txt = med_range(cm)
        rows.append([label, f"{len(cm)}/{len(chrome)}", txt,
                     f"{med / pair_med:.2f}" if med and pair_med else "—"])
        play_ok = [r["ms"] for r in by.get("play", []) if r.get("ms") is not None]
        if play_ok and med:
            print_after.append(f"  amsclient play cold / Chromium: {statistics.median(play_ok) / med:.2f}")
    table(["row", "ok/runs", "ms median (min–max)", "x pair"], rows)
    phases = [r["phases"] for r in pair_ok if r.get("phases")]
    if phases:
        keys = ("offer_ms", "answer_ms", "ice_connected_ms", "first_rtp_ms", "first_frame_ms")
        print("  pair phases, medians (ms from pipeline creation): " + ", ".join(
            f"{k[:-3]} {statistics.median(p[k] for p in phases):.0f}" for k in keys))
    phase_lines(by)
    for line in print_after:
        print(line)


def phase_lines(by):
    """Where the plays' time goes, medians: the CLI rows from their --json
    events (ms since exec), the SDK's warm plays from sdk-play's phases (ms
    since the request)."""
    def med(vals):
        vals = [v for v in vals if v is not None]
        return f"{statistics.median(vals):.0f}" if vals else "—"
    for row in ("play", "play-keygen", "play-nofs", "play-tuned"):
        ph = [r["phases"] for r in by.get(row, []) if r.get("phases") and "frame" in r["phases"]]
        if not ph:
            continue
        def span(a, b):
            return med([p[b] - p[a] for p in ph if a in p and b in p])
        print(f"  {row} phases, medians (ms): exec→WebSocket connected {med([p.get('connected') for p in ph])}, "
              f"→ offer received {span('connected', 'offer')}, offer → DTLS connected {span('offer', 'dtls')}, "
              f"DTLS connected → first frame {span('dtls', 'frame')} (n={len(ph)})")
    for row in ("sdk", "sdk-nofs", "sdk-tuned"):
        warm = [p for r in by.get(row, []) for p in (r.get("phases") or [])[1:]
                if "first-frame" in p and "dtls-state:connected" in p]
        if warm:
            print(f"  {row} warm phases, medians (ms since the request): DTLS connected "
                  f"{med([p['dtls-state:connected'] for p in warm])}, first frame "
                  f"{med([p['first-frame'] for p in warm])} (n={len(warm)})")


SERVER_NAMES = {"mini": "ams-mini-server", "node": "Node + ws", "lws-uv": "lws echo (libuv)",
                "lws-poll": "lws echo (poll)"}


def median_record(rs):
    """The round with the median throughput (a failed round counts as zero)."""
    if len(rs) == 1:
        return rs[0]
    ordered = sorted(rs, key=lambda r: r.get("msg_per_s") or 0)
    return ordered[(len(ordered) - 1) // 2]


def print_signalling(recs):
    groups = {}
    for r in recs:
        groups.setdefault((r["server"], str(r["row"])), []).append(r)
    by = {k: median_record(v) for k, v in groups.items()}
    servers = [s for s in SERVER_NAMES if any(k[0] == s for k in by)]
    rows_seen = []
    for r in recs:
        if str(r["row"]) not in rows_seen:
            rows_seen.append(str(r["row"]))
    out = []
    for row in rows_seen:
        node = by.get(("node", row))
        for s in servers:
            r = by.get((s, row))
            if r is None:
                continue
            label = f"{r.get('connections', row)} x 1 msg/s" if row == "paced" else f"{row} back to back"
            if "na" in r:
                out.append([label, SERVER_NAMES[s], f"n/a ({r['na']})", "", "", "", "", "", "", ""])
                continue
            ratio = "—"
            if node and "na" not in node and node.get("msg_per_s"):
                if row == "paced":
                    nc = node.get("server_cpu_pct")
                    ratio = f"cpu {r['server_cpu_pct'] / nc:.2f}" if nc else "—"
                else:
                    ratio = f"{r['msg_per_s'] / node['msg_per_s']:.2f}"
            cpu = r.get("server_cpu_pct")
            per_cpu = r["msg_per_s"] / (cpu / 100.0) if cpu else None
            out.append([label, SERVER_NAMES[s], f"{r['open']}/{r['connections']}",
                        fmt(r["msg_per_s"], "{:.0f}"), fmt(r["p50_ms"], "{:.2f}"),
                        fmt(r["p99_ms"], "{:.2f}"), fmt(cpu),
                        fmt(per_cpu / 1000 if per_cpu else None, "{:.1f}k"),
                        fmt(r.get("rss_per_conn_kb"), "{:.1f}"), ratio])
            if r.get("errors"):
                out[-1][2] += f" ({r['errors']} errors)"
    table(["load", "server", "open", "msg/s", "p50 ms", "p99 ms", "server CPU %",
           "msg per CPU-s", "RSS kB/conn", "x Node"], out)
    lg = [r.get("loadgen_cpu_pct") for r in recs if r.get("loadgen_cpu_pct") is not None]
    if lg:
        print(f"  load generator CPU: up to {max(lg):.0f} % of a core"
              " (near 100 % means the figure is bounded by the generator too)")
    print("  msg per CPU-s = msg/s divided by the server's CPU share: the cost of a message,"
          " steadier than msg/s when other work shares the cores")


def relay_label(r):
    return r["row"] + (" (clip, not encoded)" if r.get("publisher") == "file" else "")


def print_relay(recs):
    rows, rows2 = [], []
    for r in recs:
        if "na" in r:
            rows.append([relay_label(r), f"n/a ({r['na']})"] + [""] * 8)
            continue
        n = r["players"]
        if "with_first_frame" not in r:   # a record of the old, one process per player section
            continue
        kf = "—"
        if "keyframes_requested" in r:
            kf = f"{r['keyframes_requested']} for {r['players_joined']} ({r['player_keyframe_requests']} from players)"
        rows.append([relay_label(r), fmt(r.get("publisher_fps_sent")),
                     f"{r['with_first_frame']}/{n} in {r['setup_s']:.1f} s",
                     f"{r['at_29fps']}/{n}",
                     f"{fmt(r['fps_median'])} / {fmt(r['fps_min'])}",
                     fmt(r.get("kbps_median")),
                     fmt(r.get("server_cpu_pct")),
                     fmt(r["server_cpu_pct"] / n if n and r.get("server_cpu_pct") is not None else None,
                         "{:.2f}"),
                     f"{r.get('server_threads')} / {r.get('server_rss_kb', 0) / 1024:.0f} MB",
                     kf])
        rows2.append([relay_label(r), fmt(r.get("harness_cpu_pct")),
                      fmt(r["harness_cpu_pct"] / n if n else None, "{:.2f}"),
                      f"{r.get('harness_threads')} / {r.get('harness_rss_kb', 0) / 1024:.0f} MB",
                      fmt(r.get("publisher_cpu_pct")),
                      f"{fmt(r.get('started_ms_median'), '{:.0f}')} / {fmt(r.get('connected_ms_median'), '{:.0f}')}"
                      f" / {fmt(r.get('first_frame_ms_median'), '{:.0f}')} / {fmt(r.get('first_frame_ms_max'), '{:.0f}')}"])
    table(["players", "publisher fps", "first frame", "at ≥29 fps", "fps median / min",
           "kbit/s median", "server CPU %", "server CPU %/player", "server threads / RSS",
           "keyframes asked of the publisher"], rows)
    print("  (clip, not encoded): the publisher sends a 10 s VP8 clip in a loop (amsclient publish --file"
          " --passthrough), no encoder on the cores; keyframes once a second, as the clip has them")
    print("  players: one fanout-players process, one WebSocket and webrtcbin each, frames depayloaded"
          " and counted, not decoded; fps over the window per player; CPU % of one core from /proc")
    if rows2:
        table(["players", "harness CPU %", "harness CPU %/player", "harness threads / RSS",
               "publisher CPU %", "ms to started / connected / first frame median / last"], rows2)


def print_client(recs):
    by = {r["row"]: r for r in recs}
    rows = []
    for row, ref, label in (("amsclient-publish", "bare-publish", "publish VP8 640x480 30 fps"),
                            ("amsclient-play", "bare-play", "play (decode VP8 640x480)")):
        b = by.get(ref)
        b_ok = b is not None and "na" not in b
        rows.append([label, "gst-launch-1.0, no signalling", fmt(b["cpu_pct"] if b_ok else None),
                     fmt(b["peak_rss_kb"] / 1024 if b_ok else None), "—", "—", "—"])
        a = by.get(row) or by.get("amsclient")
        if a is None or "na" in a:
            rows.append([label, "amsclient", f"n/a ({a['na'] if a else 'not run'})", "", "", "", ""])
            continue
        w = by.get(ref + "-webrtc")
        w_ok = w is not None and "na" not in w
        if w is not None:
            rows.append([label, "gst-launch-1.0 + idle webrtcbin and dtlssrtpdec (WebRTC stack loaded)",
                         fmt(w["cpu_pct"] if w_ok else None),
                         fmt(w["peak_rss_kb"] / 1024 if w_ok else None),
                         fmt(w["cpu_pct"] - b["cpu_pct"] if w_ok and b_ok else None, "{:+.1f}"),
                         fmt((w["peak_rss_kb"] - b["peak_rss_kb"]) / 1024 if w_ok and b_ok else None,
                             "{:+.1f}"), "—"])
        fps = a.get("fps_sent") if row == "amsclient-publish" else a.get("fps_decoded")
        rows.append([label, "amsclient", fmt(a["cpu_pct"]), fmt(a["peak_rss_kb"] / 1024),
                     fmt(a["cpu_pct"] - b["cpu_pct"] if b_ok else None, "{:+.1f}"),
                     fmt((a["peak_rss_kb"] - b["peak_rss_kb"]) / 1024 if b_ok else None, "{:+.1f}"),
                     fmt(fps)])
        if w_ok:
            rows.append([label, "amsclient vs the WebRTC-loaded pipeline (the SDK's own cost)", "", "",
                         fmt(a["cpu_pct"] - w["cpu_pct"], "{:+.1f}"),
                         fmt((a["peak_rss_kb"] - w["peak_rss_kb"]) / 1024, "{:+.1f}"), ""])
    chromium_notes = []
    for row, ref, label in (("chromium-publish", "bare-publish", "publish VP8 640x480 30 fps"),
                            ("chromium-play", "bare-play", "play (decode VP8 640x480)")):
        c = by.get(row)
        who = "Chromium page, official JS SDK (all its processes)"
        if c is None or "na" in c:
            rows.append([label, who, f"n/a ({c['na'] if c else 'not run'})", "", "", "", ""])
            continue
        b = by.get(ref)
        b_ok = b is not None and "na" not in b
        fps = c.get("fps_sent") if row == "chromium-publish" else c.get("fps_decoded")
        rows.append([label, who, fmt(c["cpu_pct"]), fmt(c["peak_rss_kb"] / 1024),
                     fmt(c["cpu_pct"] - b["cpu_pct"] if b_ok else None, "{:+.1f}"),
                     fmt((c["peak_rss_kb"] - b["peak_rss_kb"]) / 1024 if b_ok else None, "{:+.0f}"),
                     fmt(fps)])
        a = by.get("amsclient-" + row.split("-")[1])
        ratio = ""
        if a and "na" not in a and a.get("cpu_pct"):
            ratio = (f"; amsclient / Chromium: CPU {a['cpu_pct'] / c['cpu_pct']:.2f}x,"
                     f" peak RSS {a['peak_rss_kb'] / c['peak_rss_kb']:.2f}x") if c["cpu_pct"] else ""
        chromium_notes.append(
            f"  Chromium {row.split('-')[1]}: {c.get('processes', '?')} processes, RSS summed (a page shared by n processes"
            f" counted n times) {c['rss_kb'] / 1024:.0f} MB at the window's end, PSS summed"
            f" {c.get('pss_kb', 0) / 1024:.0f} MB; {c.get('size', '?')} at {c.get('kbps', 0):.0f} kbit/s{ratio}")
    table(["what", "process", "CPU % of a core", "peak RSS MB", "CPU Δ (points)", "RSS Δ MB",
           "fps"], rows)
    for n in chromium_notes:
        print(n)


def print_client_parts(parts):
    """Where each client-cost process's RSS is at the window's end, by
    component (rss-parts.py), beside the references of the same run."""
    by = {r["row"]: r for r in parts if "parts" in r}
    for kind in ("publish", "play"):
        cols = [r for r in ("bare-" + kind, "bare-" + kind + "-webrtc", "amsclient-" + kind) if r in by]
        if len(cols) < 2:
            continue
        names = sorted({k for c in cols for k in by[c]["parts"]},
                       key=lambda k: -max(by[c]["parts"].get(k, 0) for c in cols))
        last, ref = cols[-1], cols[-2]
        rows = []
        for k in names:
            v = [by[c]["parts"].get(k, 0) / 1024 for c in cols]
            rows.append([k] + [fmt(x, "{:.2f}") for x in v] + [fmt(v[-1] - v[-2], "{:+.2f}")])
        tot = [by[c]["rss_kb"] / 1024 for c in cols]
        rows.append(["total RSS at the window's end"] + [fmt(x, "{:.1f}") for x in tot]
                    + [fmt(tot[-1] - tot[-2], "{:+.1f}")])
        rows.append(["threads"] + [str(by[c]["threads"]) for c in cols]
                    + [f"{by[last]['threads'] - by[ref]['threads']:+d}"])
        print(f"  where the RSS is ({kind}), MB at the window's end (tests/bench/rss-parts.py):")
        table(["component"] + cols + [f"{last} − {ref}"], rows)


def main(argv):
    if len(argv) >= 4 and argv[1] == "--tag":
        tag(argv[2], argv[3], argv[4] if len(argv) > 4 else "", argv[5] if len(argv) > 5 else None)
    elif len(argv) == 3 and argv[1] == "--why":
        try:
            with open(argv[2]) as f:
                objs = json_lines(f.read())
        except OSError:
            objs = []
        print(why(objs, runstat_of(objs)))
    elif len(argv) == 14 and argv[1] == "--relay-row":
        relay_row(*argv[2:])
    elif len(argv) == 7 and argv[1] == "--fanout-row":
        fanout_row(*argv[2:])
    elif len(argv) == 11 and argv[1] == "--window-row":
        window_row(*argv[2:])
    elif len(argv) == 3:
        recs = load(argv[1], argv[2])
        {"ttff": print_ttff, "signalling": print_signalling, "relay": print_relay,
         "client": print_client}[argv[2]](recs)
        if argv[2] == "client":
            print_client_parts(load(argv[1], "client-parts"))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
