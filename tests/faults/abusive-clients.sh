#!/usr/bin/env bash
# abusive-clients: clients that flood (message rate), send garbage bytes,
# oversize messages or invalid JSON are cut off (or ignored) one by one,
# while well-behaved clients on the same server keep getting their pongs
# with normal latency; connections beyond max-connections get 503.
. "$(dirname "$0")/common.bash"

build_probe || { not_ok "build ws-probe"; finish; exit; }
LOADER=$BUILD/load/ams-load
mkdir -p "$BUILD/load"
if [ ! -x "$LOADER" ] || [ "$AMS_TOP/tests/load/ams-load.c" -nt "$LOADER" ]; then
  cc -std=gnu11 -O2 -Wall -Wextra -o "$LOADER" "$AMS_TOP/tests/load/ams-load.c" \
     $(pkg-config --cflags --libs json-c) || not_ok "build ams-load"
fi

# The defaults: max-message-rate 500/s, max-message-size 81920.  A slow
# (sanitised) server answers fewer than 500 messages a second from one
# connection, so a flooder would never exceed that limit: there the server
# gets a limit of 20 a second, which its slowest speed still exceeds, and
# the same checks apply to that limit.
RATE=500 RATE_ARGS=()
if [ "$SLOW" != 1 ]; then
  RATE=20
  printf '[server]\nmax-message-rate=%d\n' "$RATE" >"$TMP/flood-rate.conf"
  RATE_ARGS=(--config "$TMP/flood-rate.conf")
fi
if ! start_server "${RATE_ARGS[@]}"; then not_ok "ams-mini-server starts"; show "$SRV_LOG.err"; finish; exit; fi

# rtt figures (ms) of an amsclient --json ping log: "count p50 max".
rtt_stats() {
  python3 - "$1" <<'EOF'
import json, sys
r = []
for line in open(sys.argv[1], errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if o.get("event") == "pong" and isinstance(o.get("rttUs"), int):
        r.append(o["rttUs"] / 1000)
r.sort()
print(len(r), "%.2f" % r[len(r) // 2] if r else "nan", "%.2f" % r[-1] if r else "nan")
EOF
}

# Latency before any abuse.
"$AMSCLIENT_BIN" ping --url "$URL" --count 3 --json --quiet >"$TMP/before.json" 2>&1
read -r b_count b_p50 b_max < <(rtt_stats "$TMP/before.json")
echo "# before: $b_count pongs, rtt p50 ${b_p50} ms, max ${b_max} ms"

FLOODERS=5
# Sanitised servers are several times slower (and starve on a busy machine):
# longer waits there ($SLOW, from common.bash), and no latency bounds.
# Three well-behaved clients ping once a second through the whole abuse.
GOOD=()
for i in 1 2 3; do
  "$AMSCLIENT_BIN" ping --url "$URL" --count 8 --timeout $((5 * SLOW)) --json --quiet >"$TMP/good.$i.json" 2>&1 &
  GOOD+=($!); PIDS+=($!)
done
sleep 1

# 1. Floods: 5 clients at once, each sending ten times the limit (5,000 at
# 500 a second) back to back. (Each is answered up to the limit, $RATE
# messages, before the cut: about 10 ms of server CPU per flooder at 500,
# which others share.) Ten times, not 5,000, at the slow build's 20: a
# sanitised server still draining the rest of a 5,000 flood after its close
# reset the socket (most likely lws's wait for the close reply running out),
# and the flooder lost its last pongs and the 1008 close frame (2 of 5
# flooders in 2 of 4 runs; none in 4 runs at ten times the limit).
FLOOD=$((RATE * 10))
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat"; }
cpu0=$(cpu_ticks)
for i in $(seq 1 $FLOODERS); do
  printf '!flood %d {"command":"ping"}\n!sleep 3000\n' "$FLOOD" | "$PROBE" "$URL" $((6 * SLOW)) >"$TMP/flood.$i.out" &
  PIDS+=($!)
done
# 2. Garbage bytes that are no WebSocket frame.
printf '!garbage 65536\n!sleep 2000\n' | "$PROBE" "$URL" $((4 * SLOW)) >"$TMP/garbage.out" &
PIDS+=($!)
# 3. One message over max-message-size (81920).
printf '!oversize 200000\n!sleep 2000\n' | "$PROBE" "$URL" $((4 * SLOW)) >"$TMP/oversize.out" &
PIDS+=($!)
# 4. Invalid JSON and JSON without a command are dropped, the socket kept.
printf 'not json at all\n{"streamId":"x"}\n[1,2,3]\n{"command":"ping"}\n!sleep 500\n!close\n' \
  | "$PROBE" "$URL" $((8 * SLOW)) >"$TMP/badjson.out" &
PIDS+=($!)

all_good=0
for p in "${GOOD[@]}"; do wait "$p" || all_good=1; done
sleep 0.5

echo "# server CPU during the abuse: $(( ($(cpu_ticks) - cpu0) * 10 )) ms; load average $(cut -d' ' -f1 /proc/loadavg)"
cut=0 pongs_max=0
for i in $(seq 1 $FLOODERS); do
  grep -q '^#close 1008' "$TMP/flood.$i.out" && cut=$((cut + 1))
  p=$(grep -c '"command":"pong"' "$TMP/flood.$i.out")
  [ "$p" -gt "$pongs_max" ] && pongs_max=$p
done
check "every flooding client is closed with 1008 ($cut of $FLOODERS)" test "$cut" = "$FLOODERS"
# The window is one second: a flooder is answered at most for the messages
# under the limit ($RATE) before the cut.
check "a flooder got at most $RATE pongs before the cut (max $pongs_max)" test "$pongs_max" -le "$RATE"
check "garbage bytes end that connection (close or EOF)" \
  grep -Eq '^#(close [0-9]+|eof)$' "$TMP/garbage.out"
check "an oversize message is closed with 1009" grep -q '^#close 1009$' "$TMP/oversize.out"
check "invalid JSON is dropped and the socket kept: the ping after it gets its pong" \
  bash -c 'grep -q "^{\"command\":\"pong\"}$" "$0" && grep -q "^#close 1000$" "$0"' "$TMP/badjson.out"
check "invalid JSON gets no reply at all (only the pong)" \
  test "$(grep -c '^{' "$TMP/badjson.out")" = 1

check "the three well-behaved clients ran to the end (exit 0)" test "$all_good" = 0
total=0 worst=0 mid=0
for i in 1 2 3; do
  read -r c p50 mx < <(rtt_stats "$TMP/good.$i.json")
  echo "# good client $i during the abuse: $c pongs, rtt p50 $p50 ms, max $mx ms"
  total=$((total + c))
  worst=$(awk -v a="$worst" -v b="$mx" 'BEGIN { print (b > a ? b : a) }')
  mid=$(awk -v a="$mid" -v b="$p50" 'BEGIN { print (b > a ? b : a) }')
done
check "they got all their 24 pongs ($total)" test "$total" = 24
# Normal latency: the median stays at the idle level.  The worst case may
# coincide with a flood burst (the server is one thread; measured up to
# 0.4 s with 20 flooders on a 2-core machine at load average 20), so its
# bound only says that nobody stalls for long.
if [ "$SLOW" = 1 ]; then
  check "their median round trip stayed normal (worst median ${mid} ms < 20 ms)" \
    awk -v w="$mid" 'BEGIN { exit !(w < 20) }'
  check "none of them stalled (worst round trip ${worst} ms < 1000 ms)" \
    awk -v w="$worst" 'BEGIN { exit !(w < 1000) }'
else
  n=$((n + 1)); echo "ok $n - latency bounds # SKIP not meaningful in a slow build (SLOW $SLOW, worst ${worst} ms)"
fi
check "the server is still alive" kill -0 "$SRV_PID"

# A lower configured rate applies too: 20 messages per second.
printf '[server]\nmax-message-rate=20\n' >"$TMP/rate.conf"
if start_server --config "$TMP/rate.conf"; then
  printf '!flood 21 {"command":"ping"}\n!sleep 1000\n' | "$PROBE" "$URL" 3 >"$TMP/rate21.out"
  printf '!flood 20 {"command":"ping"}\n!sleep 500\n!close\n' | "$PROBE" "$URL" 3 >"$TMP/rate20.out"
  check "max-message-rate=20: the 21st message in a second closes with 1008" \
    grep -q '^#close 1008$' "$TMP/rate21.out"
  check "max-message-rate=20: 20 messages are all answered and the socket kept" \
    bash -c '[ "$(grep -c "\"pong\"" "$0")" = 20 ] && grep -q "^#close 1000$" "$0"' "$TMP/rate20.out"
else
  not_ok "server with max-message-rate=20 starts"
fi

# Connections beyond max-connections: exactly the limit is held, the rest
# get 503 at the upgrade (the one-connection case is in e2e/server-signalling).
printf '[server]\nmax-connections=100\n' >"$TMP/max.conf"
if start_server --config "$TMP/max.conf"; then
  "$LOADER" soak --url "$URL" -c 150 -d 1 >"$TMP/max.json" 2>"$TMP/max.err"
  echo "# $(cat "$TMP/max.json")"
  check "max-connections=100: 100 of 150 held, 50 refused at the upgrade" \
    bash -c 'grep -q "\"held\":100," "$0" && grep -q "\"handshake_errors\":50," "$0"' "$TMP/max.json"
  check "max-connections=100: the refusals are 503" grep -Eq "HTTP/1\.[01] 503" "$TMP/max.err"
  check "max-connections=100: the held ones got every reply" \
    bash -c 'grep -q "\"missing_replies\":0," "$0" && grep -q "\"bad_messages\":0," "$0"' "$TMP/max.json"
else
  not_ok "server with max-connections=100 starts"
fi
finish
