#!/usr/bin/env bash
# network-cut: the server and the clients in two network namespaces joined
# by a veth pair (198.51.100.0/24, TEST-NET-2: never routed anywhere); every
# packet between them is dropped for CUT_SECONDS while `amsclient publish`
# and `amsclient play` run.  The loss must be detected (ICE or signalling
# keepalive) and both sessions re-established after the cut.
#
# Needs root and network namespaces; skipped with the reason otherwise.
. "$(dirname "$0")/common.bash"
: "${CUT_SECONDS:=6}"
# Three cuts, each with its own server, publisher and player:
# - "all" drops every packet (signalling and media): the signalling
#   keepalive notices, the client reconnects and re-issues its requests;
# - "udp" drops only the media, the signalling stays up: the clients' stall
#   watchdogs (--stall-timeout, 5 s) or the server's no-packet timeout
#   (noPacketReceivedForTimeoutDuration, play_finished; also 5 s) notice,
#   whichever is first, and the clients publish and play again;
# - "udp-silent" is "udp" against a server whose no-packet timeout is longer
#   than the cut: only the clients' own watchdogs can notice (webrtcbin 1.22
#   turns on no ICE consent checks), so both must report media-stalled.
: "${CUT_KINDS:=all udp udp-silent}"
: "${UDP_CUT_SECONDS:=15}"
: "${SILENT_CUT_SECONDS:=20}"

skip_all() { skip "network cut" "$1"; finish; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "not root (ip netns needs CAP_SYS_ADMIN)"
command -v ip >/dev/null || skip_all "no ip command (iproute2)"

# Names unique to this run, so that concurrent runs do not meet.
tag=$$
NS_SRV=amsf-srv-$tag NS_CLI=amsf-cli-$tag
VS=amsvs$tag VC=amsvc$tag
CLEANUPS+=("ip netns del $NS_SRV" "ip netns del $NS_CLI")
if ! ip netns add "$NS_SRV" 2>"$TMP/netns.err" || ! ip netns add "$NS_CLI" 2>>"$TMP/netns.err"; then
  skip_all "no network namespace support: $(head -1 "$TMP/netns.err")"
fi
if ! ip link add "$VS" type veth peer name "$VC" 2>"$TMP/veth.err"; then
  skip_all "no veth support: $(head -1 "$TMP/veth.err")"
fi
ip link set "$VS" netns "$NS_SRV" && ip link set "$VC" netns "$NS_CLI" \
  && ip -n "$NS_SRV" addr add 198.51.100.1/24 dev "$VS" && ip -n "$NS_CLI" addr add 198.51.100.2/24 dev "$VC" \
  && ip -n "$NS_SRV" link set "$VS" up && ip -n "$NS_CLI" link set "$VC" up \
  && ip -n "$NS_SRV" link set lo up && ip -n "$NS_CLI" link set lo up
check "two namespaces joined by a veth pair" test $? = 0
for _ in $(seq 1 50); do
  ip netns exec "$NS_CLI" ping -c 1 -W 1 198.51.100.1 >/dev/null 2>&1 && break; sleep 0.1
done

# How to cut: iptables DROP in the client namespace, else the link down.
cut_on() {
  if [ "$CUT_WITH" = iptables ]; then
    ip netns exec "$NS_CLI" iptables -I INPUT -i "$VC" -p "$CUT_PROTO" -j DROP \
      && ip netns exec "$NS_CLI" iptables -I OUTPUT -o "$VC" -p "$CUT_PROTO" -j DROP
  else
    ip -n "$NS_CLI" link set "$VC" down
  fi
}
cut_off() {
  if [ "$CUT_WITH" = iptables ]; then
    ip netns exec "$NS_CLI" iptables -D INPUT -i "$VC" -p "$CUT_PROTO" -j DROP \
      && ip netns exec "$NS_CLI" iptables -D OUTPUT -o "$VC" -p "$CUT_PROTO" -j DROP
  else
    ip -n "$NS_CLI" link set "$VC" up
  fi
}
CUT_WITH=link
if ip netns exec "$NS_CLI" iptables -L INPUT -n >/dev/null 2>&1; then CUT_WITH=iptables; fi
echo "# cutting with: $CUT_WITH"

# A server in its namespace, on the veth address (ICE gathers there too),
# one per cut so that nothing of a cut lingers into the next; extra
# arguments go to ams-mini-server. Sets URL.
start_ns_server() {
  local tag=$1; shift
  SRV_LOG=$TMP/server.$tag.out
  ip netns exec "$NS_SRV" "$MINISERVER_BIN" --bind 198.51.100.1 --port 0 "$@" \
    >"$SRV_LOG" 2>"$SRV_LOG.err" &
  SRV_PID=$!; PIDS+=("$SRV_PID")
  wait_for "$SRV_LOG" '^listening on 198\.51\.100\.1:[0-9]+$' $((10 * SLOW))
  PORT=$(sed -n 's/^listening on 198\.51\.100\.1:\([0-9][0-9]*\)$/\1/p' "$SRV_LOG")
  if [ -z "$PORT" ]; then not_ok "[$tag] ams-mini-server starts in its namespace"; show "$SRV_LOG.err"; return 1; fi
  ok "[$tag] ams-mini-server listens on 198.51.100.1:$PORT in $NS_SRV"
  URL="ws://198.51.100.1:$PORT/LiveApp/websocket"
}

# The states and connection events of an amsclient --json log, in order.
event_trail() {
  python3 - "$1" <<'EOF'
import json, sys
seen = []
for line in open(sys.argv[1], errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    e = o.get("event")
    if e in ("ice-state", "peer-state", "reconnecting", "reconnected", "error", "exit", "state"):
        seen.append(e + (":" + str(o.get("state")) if "state" in o else ""))
    elif e in ("media-stalled", "retrying"):
        seen.append(e + ":" + str(o.get("reason")))
    elif o.get("command") in ("error", "notification"):
        seen.append(e)
print(" ".join(seen[-14:]))
EOF
}

# run_cut KIND PROTO SECONDS: a publisher and a player across the veth, then
# the cut of PROTO packets.
run_cut() {
  KIND=$1 CUT_PROTO=$2 SECS=$3 STREAM=cut$1
  echo "# cut: $CUT_PROTO packets for ${SECS}s ($KIND)"
  CLI=(--url "$URL" --json --ice-filter udp,ipv4,host --stats-interval 0.5 --ping-interval 1
       --reconnect --reconnect-delay 0.25 --reconnect-max-delay 1)
  # The silent cut: the publisher's watchdog waits longer than the
  # player's, so that each one notices by itself (a publisher that stops
  # first ends the play on the server, and the player is told instead).
  local pub_extra=()
  [ "$KIND" = udp-silent ] && pub_extra=(--stall-timeout 8)
  ip netns exec "$NS_CLI" "$AMSCLIENT_BIN" publish "${CLI[@]}" --stream "$STREAM" --republish-interval 0.25 \
    "${pub_extra[@]}" \
    >"$TMP/pub.$KIND.json" 2>"$TMP/pub.$KIND.err" &
  PUB=$!; PIDS+=("$PUB")
  if ! wait_msg "$TMP/pub.$KIND.json" $((20 * SLOW)) event=publish_started streamId="$STREAM"; then
    not_ok "[$KIND] publish_started across the veth before the cut"
    show "$TMP/pub.$KIND.json" 8; show "$TMP/pub.$KIND.err" 5
    return
  fi
  ok "[$KIND] publish_started across the veth before the cut"
  # The player may come back before the publisher: it plays again
  # (retry) instead of ending on no_stream_exist or play_finished.
  ip netns exec "$NS_CLI" "$AMSCLIENT_BIN" play "${CLI[@]}" --stream "$STREAM" \
    --retry-interval 0.25 --retry-timeout 30 >"$TMP/play.$KIND.json" 2>"$TMP/play.$KIND.err" &
  PLAY=$!; PIDS+=("$PLAY")
  if wait_msg "$TMP/play.$KIND.json" $((20 * SLOW)) event=play_started streamId="$STREAM"; then
    ok "[$KIND] play_started before the cut"
  else
    not_ok "[$KIND] play_started before the cut"; show "$TMP/play.$KIND.json" 8
  fi
  sleep 1

  # The cut.
  if ! cut_on; then not_ok "[$KIND] cut the link ($CUT_WITH)"; return; fi
  t_cut=$(now)
  sleep "$SECS"
  cut_off
  t_back=$(now)
  # What the clients had seen when the link came back.
  cp "$TMP/pub.$KIND.json" "$TMP/pub.$KIND.cut.json"
  cp "$TMP/play.$KIND.json" "$TMP/play.$KIND.cut.json"
  echo "# link back after $(awk -v a="$t_cut" -v b="$t_back" 'BEGIN { printf "%.1f", b - a }') s"

  # Detected by the client itself: the ICE or peer connection leaves
  # "connected", the signalling keepalive gives up on the socket and starts
  # reconnecting, or the stall watchdog reports media-stalled. Told by the
  # server (the udp cut): the publish ended for lack of packets, or the
  # play with its publisher.
  detected() {
    has_msg "$1" event=ice-state state=disconnected || has_msg "$1" event=ice-state state=failed \
      || has_msg "$1" event=peer-state state=disconnected || has_msg "$1" event=peer-state state=failed \
      || has_msg "$1" event=reconnecting || has_msg "$1" event=media-stalled
  }
  told() {
    has_msg "$1" command=error definition=noPacketReceivedForTimeoutDuration \
      || has_msg "$1" command=notification definition=play_finished
  }
  detected_or_told() { detected "$1" || told "$1"; }
  local who f
  for who in publisher player; do
    if [ $who = publisher ]; then f=$TMP/pub.$KIND.cut.json; else f=$TMP/play.$KIND.cut.json; fi
    case $KIND in
      all) check "[$KIND] the $who detected the cut (ICE state or keepalive)" detected "$f" ;;
      udp) check "[$KIND] the $who detected the cut or was told by the server" \
             detected_or_told "$f" ;;
      # Noticed by the watchdog itself, not by a later attempt's ICE failure.
      udp-silent) if [ $who = publisher ]; then
                    check "[$KIND] the publisher detected the stall itself (media-stalled: no receiver reports)" \
                      bash -c 'grep -q "\"event\":\"media-stalled\".*\"reason\":\"no-receiver-report" "$0"' "$f"
                  else
                    check "[$KIND] the player detected the stall itself (media-stalled: no-media)" \
                      has_msg "$f" event=media-stalled streamId="$STREAM" reason=no-media
                  fi ;;
    esac
  done
  for f in pub play; do
    echo "# [$KIND] $f saw: $(event_trail "$TMP/$f.$KIND.cut.json")"
  done

  # Re-established: a second publish_started and play_started, same processes.
  # Latencies from the clients' own event times (checks poll slowly on a
  # loaded machine); 10 s allows the backoff (at most 1 s) and renegotiation,
  # 10 s x SLOW in slow (sanitised) builds.
  local what file ev d bound=$((10 * SLOW))
  for what in publisher player; do
    if [ $what = publisher ]; then file=$TMP/pub.$KIND.json ev=publish_started
    else file=$TMP/play.$KIND.json ev=play_started; fi
    wait_count "$file" 2 $((15 * SLOW)) event=$ev streamId="$STREAM"
    d=$(delta "$t_back" "$(nth_time "$file" 2 event=$ev streamId="$STREAM")")
    if awk -v d="$d" -v b="$bound" 'BEGIN { exit !(d != "nan" && d <= b) }'; then
      ok "[$KIND] the $what is started again after the cut ($ev $d s after the link came back, bound $bound s)"
    else
      not_ok "[$KIND] the $what is started again after the cut ($ev: $d s, bound $bound s)"; show "$file" 8
    fi
  done
  f1=$(frames_now "$TMP/play.$KIND.json")
  sleep $((2 * SLOW))
  f2=$(frames_now "$TMP/play.$KIND.json")
  check "[$KIND] the player decodes frames after the cut ($f1 -> $f2)" test "$f2" -gt "$f1"
  check "[$KIND] both processes are still running" \
    bash -c 'kill -0 "$0" && kill -0 "$1"' "$PUB" "$PLAY"
  kill -INT "$PUB" "$PLAY" 2>/dev/null
  wait "$PUB"; rc1=$?; wait "$PLAY"; rc2=$?
  check "[$KIND] both end cleanly on SIGINT (exit $rc1, $rc2)" \
    bash -c '[ "$0" = 0 ] && [ "$1" = 0 ]' "$rc1" "$rc2"
}

# The server's no-packet timeout beyond the silent cut: only clients notice.
# Every server's publish start timeout scales with SLOW ($SLOW_CONF).
{ cat "$SLOW_CONF"
  printf '[media]\npublisher-timeout-ms=%d\n' $(( (SILENT_CUT_SECONDS + 30) * 1000 )); } >"$TMP/silent.conf"
for kind in $CUT_KINDS; do
  case $kind in
    all) start_ns_server all --config "$SLOW_CONF" && run_cut all all "$CUT_SECONDS" ;;
    udp|udp-silent)
      if [ "$CUT_WITH" != iptables ]; then skip "[$kind] media-only cut" "needs iptables in the namespace"
      elif [ $kind = udp ]; then start_ns_server udp --config "$SLOW_CONF" && run_cut udp udp "$UDP_CUT_SECONDS"
      else start_ns_server udp-silent --config "$TMP/silent.conf" \
             && run_cut udp-silent udp "$SILENT_CUT_SECONDS"; fi ;;
  esac
  # This cut's server is done: it must not load the next one's machine.
  [ -n "${SRV_PID:-}" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
  SRV_PID=
done
finish
