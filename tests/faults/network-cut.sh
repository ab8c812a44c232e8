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
# Two cuts, each with its own publisher and player: "all" drops every packet
# (signalling and media), "udp" only the media, keeping the signalling up,
# so that only ICE (or the server's no-packet timeout) can notice.
# make check runs "all" only. The "udp" cut fails today and is a known gap:
# webrtcbin 1.22 does not turn on libnice's consent checks, so neither client
# sees the media stop, and after the server's noPacketReceivedForTimeoutDuration
# nothing republishes. CUT_KINDS="all udp" runs it.
: "${CUT_KINDS:=all}"
: "${UDP_CUT_SECONDS:=15}"

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

# The server in its namespace, on the veth address (ICE gathers there too).
SRV_LOG=$TMP/server.out
ip netns exec "$NS_SRV" "$MINISERVER_BIN" --bind 198.51.100.1 --port 0 >"$SRV_LOG" 2>"$SRV_LOG.err" &
SRV_PID=$!; PIDS+=("$SRV_PID")
wait_for "$SRV_LOG" '^listening on 198\.51\.100\.1:[0-9]+$' 10
PORT=$(sed -n 's/^listening on 198\.51\.100\.1:\([0-9][0-9]*\)$/\1/p' "$SRV_LOG")
if [ -z "$PORT" ]; then not_ok "ams-mini-server starts in its namespace"; show "$SRV_LOG.err"; finish; exit; fi
ok "ams-mini-server listens on 198.51.100.1:$PORT in $NS_SRV"
URL="ws://198.51.100.1:$PORT/LiveApp/websocket"

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
    elif o.get("command") in ("error", "notification"):
        seen.append(e)
print(" ".join(seen[-14:]))
EOF
}

# run_cut KIND SECONDS: a publisher and a player across the veth, then the cut.
run_cut() {
  CUT_PROTO=$1 SECS=$2 STREAM=cut$1
  echo "# cut: $CUT_PROTO packets for ${SECS}s"
  CLI=(--url "$URL" --json --ice-filter udp,ipv4,host --stats-interval 0.5 --ping-interval 1
       --reconnect --reconnect-delay 0.25 --reconnect-max-delay 1)
  ip netns exec "$NS_CLI" "$AMSCLIENT_BIN" publish "${CLI[@]}" --stream "$STREAM" \
    >"$TMP/pub.$CUT_PROTO.json" 2>"$TMP/pub.$CUT_PROTO.err" &
  PUB=$!; PIDS+=("$PUB")
  if ! wait_msg "$TMP/pub.$CUT_PROTO.json" 20 event=publish_started streamId="$STREAM"; then
    not_ok "[$CUT_PROTO] publish_started across the veth before the cut"
    show "$TMP/pub.$CUT_PROTO.json" 8; show "$TMP/pub.$CUT_PROTO.err" 5
    return
  fi
  ok "[$CUT_PROTO] publish_started across the veth before the cut"
  # The player may come back before the publisher: it plays again
  # (retry) instead of ending on no_stream_exist or play_finished.
  ip netns exec "$NS_CLI" "$AMSCLIENT_BIN" play "${CLI[@]}" --stream "$STREAM" \
    --retry-interval 0.25 --retry-timeout 30 >"$TMP/play.$CUT_PROTO.json" 2>"$TMP/play.$CUT_PROTO.err" &
  PLAY=$!; PIDS+=("$PLAY")
  if wait_msg "$TMP/play.$CUT_PROTO.json" 20 event=play_started streamId="$STREAM"; then
    ok "[$CUT_PROTO] play_started before the cut"
  else
    not_ok "[$CUT_PROTO] play_started before the cut"; show "$TMP/play.$CUT_PROTO.json" 8
  fi
  sleep 1

  # The cut.
  if ! cut_on; then not_ok "[$CUT_PROTO] cut the link ($CUT_WITH)"; return; fi
  t_cut=$(now)
  sleep "$SECS"
  cut_off
  t_back=$(now)
  # What the clients had seen when the link came back.
  cp "$TMP/pub.$CUT_PROTO.json" "$TMP/pub.$CUT_PROTO.cut.json"
  cp "$TMP/play.$CUT_PROTO.json" "$TMP/play.$CUT_PROTO.cut.json"
  echo "# link back after $(awk -v a="$t_cut" -v b="$t_back" 'BEGIN { printf "%.1f", b - a }') s"

  # Detected: the ICE or peer connection leaves "connected", or the signalling
  # keepalive gives up on the socket and starts reconnecting.
  detected() {
    has_msg "$1" event=ice-state state=disconnected || has_msg "$1" event=ice-state state=failed \
      || has_msg "$1" event=peer-state state=disconnected || has_msg "$1" event=peer-state state=failed \
      || has_msg "$1" event=reconnecting
  }
  check "[$CUT_PROTO] the publisher detected the cut (ICE state or keepalive)" detected "$TMP/pub.$CUT_PROTO.cut.json"
  check "[$CUT_PROTO] the player detected the cut (ICE state or keepalive)" detected "$TMP/play.$CUT_PROTO.cut.json"
  for f in pub play; do
    echo "# [$CUT_PROTO] $f saw: $(event_trail "$TMP/$f.$CUT_PROTO.cut.json")"
  done

  # Re-established: a second publish_started and play_started, same processes.
  # Latencies from the clients' own event times (checks poll slowly on a
  # loaded machine); 10 s allows the backoff (at most 1 s) and renegotiation.
  local what file ev d
  for what in publisher player; do
    if [ $what = publisher ]; then file=$TMP/pub.$CUT_PROTO.json ev=publish_started
    else file=$TMP/play.$CUT_PROTO.json ev=play_started; fi
    wait_count "$file" 2 15 event=$ev streamId="$STREAM"
    d=$(delta "$t_back" "$(nth_time "$file" 2 event=$ev streamId="$STREAM")")
    if awk -v d="$d" 'BEGIN { exit !(d != "nan" && d <= 10) }'; then
      ok "[$CUT_PROTO] the $what is started again after the cut ($ev $d s after the link came back)"
    else
      not_ok "[$CUT_PROTO] the $what is started again after the cut ($ev: $d s)"; show "$file" 8
    fi
  done
  f1=$(frames_now "$TMP/play.$CUT_PROTO.json")
  sleep 2
  f2=$(frames_now "$TMP/play.$CUT_PROTO.json")
  check "[$CUT_PROTO] the player decodes frames after the cut ($f1 -> $f2)" test "$f2" -gt "$f1"
  check "[$CUT_PROTO] both processes are still running" \
    bash -c 'kill -0 "$0" && kill -0 "$1"' "$PUB" "$PLAY"
  kill -INT "$PUB" "$PLAY" 2>/dev/null
  wait "$PUB"; rc1=$?; wait "$PLAY"; rc2=$?
  check "[$CUT_PROTO] both end cleanly on SIGINT (exit $rc1, $rc2)" \
    bash -c '[ "$0" = 0 ] && [ "$1" = 0 ]' "$rc1" "$rc2"
}

for kind in $CUT_KINDS; do
  case $kind in
    all) run_cut all "$CUT_SECONDS" ;;
    udp) if [ "$CUT_WITH" = iptables ]; then run_cut udp "$UDP_CUT_SECONDS"
         else skip "[udp] media-only cut" "needs iptables in the namespace"; fi ;;
  esac
done
finish
