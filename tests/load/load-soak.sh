#!/usr/bin/env bash
# load-soak: ams-mini-server under load on 127.0.0.1, bounded in time and count.
#
#  1. LOAD_CONNECTIONS (2,000) WebSocket connections held at once for
#     LOAD_SECONDS (15 in make check, 60 with `make soak`), each pinging every
#     second and running a publish/stop cycle every 3 s: every reply checked,
#     no error, no connection lost, every close answered.
#  2. The server's open descriptors back to the baseline exactly and its RSS
#     within LOAD_RSS_SLACK_KB of the baseline once they are gone.
#  3. LOAD_CYCLES (10,000) connect/upgrade/ping/disconnect cycles (half with a
#     close frame, half dropping the socket): no error, no growth of RSS or
#     descriptors between the first 2,000 and the end.
#  4. The server started with a soft descriptor limit of 1,024 still holds
#     the connections (it raises its own limit).
# The figures go to TAP comments and to $BUILD/load/results.txt.
set -u
: "${AMS_TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${BUILD:=build}"
: "${MINISERVER_BIN:=$AMS_TOP/$BUILD/bin/ams-mini-server}"
: "${AMSCLIENT_BIN:=$AMS_TOP/$BUILD/bin/amsclient}"
# Sanitised builds answer several times slower: they get a smaller load, as
# they are there to find memory errors, not to measure capacity.
# Their replies may lag seconds behind on a loaded machine: the driver
# waits SLOW times as long (--drain-s) for every outstanding reply, and the
# descriptors get as much longer to come back.
SLOW=1
if [ -n "${SANITIZE:-}" ]; then
  : "${LOAD_SECONDS:=10}" "${LOAD_CONNECTIONS:=200}" "${LOAD_CYCLES:=2000}"
  SLOW=4
fi
: "${LOAD_SECONDS:=15}"
: "${LOAD_CONNECTIONS:=2000}"
: "${LOAD_CYCLES:=10000}"
# glibc keeps some of a peak's heap even after malloc_trim (hash tables of
# lws and GLib sized for the peak); 2 MB is far below a leak of even one
# byte per connection-second of the soak.
: "${LOAD_RSS_SLACK_KB:=2048}"
export AMSCLIENT_NO_CONFIG=1
case "$BUILD" in /*) ;; *) BUILD=$AMS_TOP/$BUILD ;; esac

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT

n=0 failed=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
check()  { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
skip()   { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
note()   { echo "# $*"; echo "$*" >>"$RESULTS"; }

mkdir -p "$BUILD/load"
RESULTS=$BUILD/load/results.txt
LOADER=$BUILD/load/ams-load
: >"$RESULTS"
if [ ! -x "$LOADER" ] || [ "$AMS_TOP/tests/load/ams-load.c" -nt "$LOADER" ] \
   || [ "$AMS_TOP/tests/load/ws-frame.h" -nt "$LOADER" ]; then
  cc -std=gnu11 -O2 -Wall -Wextra -o "$LOADER" "$AMS_TOP/tests/load/ams-load.c" \
     $(pkg-config --cflags --libs json-c) || { not_ok "build ams-load"; echo "1..$n"; exit 1; }
fi
note "load-soak $(date -u +%FT%TZ): ${LOAD_CONNECTIONS} connections x ${LOAD_SECONDS}s, ${LOAD_CYCLES} cycles"

# Starts a server (extra args passed on); sets SRV_PID and PORT.
start_server() {
  local out=$TMP/server.$RANDOM
  "$@" --port 0 >"$out" 2>"$out.err" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  PORT=
  for _ in $(seq 1 400); do
    PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$out")
    [ -n "$PORT" ] && return 0
    kill -0 "$SRV_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
field() { sed -n "s/.*\"$2\":\([0-9.]*\).*/\1/p" "$1"; }

# Waits until the server's descriptor count is back to $2 (at most 10 s x SLOW),
# then 1.5 s more: the server trims its heap 1 s after the last close.
settle() {
  for _ in $(seq 1 $((100 * SLOW))); do [ "$(fd_count "$1")" -le "$2" ] && break; sleep 0.1; done
  sleep 1.5
}

# Samples the server's peak descriptors and RSS every 0.2 s into $2.
sampler() {
  local pid=$1 out=$2 fds peak_fd=0 rss peak_rss=0
  while kill -0 "$pid" 2>/dev/null && [ ! -e "$out.stop" ]; do
    fds=$(fd_count "$pid"); rss=$(rss_kb "$pid")
    [ "${fds:-0}" -gt "$peak_fd" ] && peak_fd=$fds
    [ "${rss:-0}" -gt "$peak_rss" ] && peak_rss=$rss
    echo "$peak_fd $peak_rss" >"$out"
    sleep 0.2
  done
}

if ! start_server "$MINISERVER_BIN"; then
  not_ok "ams-mini-server starts"; echo "1..$n"; exit 1
fi
URL="ws://127.0.0.1:$PORT/LiveApp/websocket"
PID=$SRV_PID

# Baseline after a small warm-up, so that one-time allocations (lws tables,
# GLib type system, json-c) are not counted as growth.
"$LOADER" cycles --url "$URL" -n 200 -P 16 >"$TMP/warm.json" 2>&1
settle "$PID" 1000000
fd0=$(fd_count "$PID") rss0=$(rss_kb "$PID")
note "baseline: server fds $fd0, RSS $rss0 KB"

# ------------------------------------------------------------ 1. soak
sampler "$PID" "$TMP/peak" &
SAMPLER=$!
PIDS+=("$SAMPLER")
t0=$EPOCHREALTIME
"$LOADER" soak --url "$URL" -c "$LOAD_CONNECTIONS" -d "$LOAD_SECONDS" --ping-ms 1000 --publish-ms 3000 \
  --drain-s $((10 * SLOW)) \
  >"$TMP/soak.json" 2>"$TMP/soak.err"
rc=$?
touch "$TMP/peak.stop"; wait "$SAMPLER" 2>/dev/null
secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
read -r peak_fd peak_rss <"$TMP/peak"
note "soak: $(cat "$TMP/soak.json") (${secs}s wall)"
note "soak: server peak fds $peak_fd, peak RSS $peak_rss KB"
sed 's/^/# /' "$TMP/soak.err" | head -20
check "soak: $LOAD_CONNECTIONS connections held ${LOAD_SECONDS}s with ping + publish/stop, no error (rc $rc)" \
  test "$rc" = 0
check "soak: every ping answered ($(field "$TMP/soak.json" pongs)/$(field "$TMP/soak.json" pings))" \
  bash -c '[ -n "$0" ] && [ "$0" -gt 0 ] && [ "$0" = "$1" ]' \
  "$(field "$TMP/soak.json" pongs)" "$(field "$TMP/soak.json" pings)"
check "soak: every publish got start and publish_finished ($(field "$TMP/soak.json" publish_finished)/$(field "$TMP/soak.json" publishes))" \
  bash -c '[ -n "$0" ] && [ "$0" -gt 0 ] && [ "$0" = "$1" ] && [ "$0" = "$2" ]' \
  "$(field "$TMP/soak.json" publish_finished)" "$(field "$TMP/soak.json" publishes)" \
  "$(field "$TMP/soak.json" starts)"
check "soak: the server really held them (peak fds $peak_fd >= $((fd0 + LOAD_CONNECTIONS)))" \
  test "${peak_fd:-0}" -ge $((fd0 + LOAD_CONNECTIONS))

settle "$PID" "$fd0"
fd1=$(fd_count "$PID") rss1=$(rss_kb "$PID")
note "after soak: server fds $fd1 (baseline $fd0), RSS $rss1 KB (baseline $rss0 KB, +$((rss1 - rss0)) KB)"
check "after soak: descriptors back to baseline ($fd1 vs $fd0)" test "$fd1" = "$fd0"
# Sanitizers keep freed memory in quarantine: RSS says nothing there.
if [ -n "${SANITIZE:-}" ]; then
  skip "after soak: RSS back to baseline" "RSS is not meaningful with SANITIZE=$SANITIZE"
else
  check "after soak: RSS back to baseline ($rss1 KB vs $rss0 KB, slack $LOAD_RSS_SLACK_KB KB)" \
    test "$rss1" -le $((rss0 + LOAD_RSS_SLACK_KB))
fi

# ------------------------------------------------------------ 3. cycles
first=$(( LOAD_CYCLES < 2000 ? LOAD_CYCLES : 2000 ))
"$LOADER" cycles --url "$URL" -n "$first" -P 64 >"$TMP/cyc1.json" 2>"$TMP/cyc1.err"; rc1=$?
settle "$PID" "$fd0"
fd2=$(fd_count "$PID") rss2=$(rss_kb "$PID")
rc2=0
echo '{"mode":"cycles","cycles":0}' >"$TMP/cyc2.json"
if [ "$LOAD_CYCLES" -gt "$first" ]; then
  "$LOADER" cycles --url "$URL" -n $((LOAD_CYCLES - first)) -P 64 >"$TMP/cyc2.json" 2>"$TMP/cyc2.err"; rc2=$?
fi
settle "$PID" "$fd0"
fd3=$(fd_count "$PID") rss3=$(rss_kb "$PID")
note "cycles: $(cat "$TMP/cyc1.json")"
note "cycles: $(cat "$TMP/cyc2.json")"
note "cycles: after $first: fds $fd2, RSS $rss2 KB; after $LOAD_CYCLES: fds $fd3, RSS $rss3 KB"
check "$LOAD_CYCLES connect/disconnect cycles with no error (rc $rc1/$rc2)" \
  bash -c '[ "$0" = 0 ] && [ "$1" = 0 ]' "$rc1" "$rc2"
check "cycles: descriptors do not grow ($fd2 -> $fd3, baseline $fd0)" \
  bash -c '[ "$0" = "$1" ] && [ "$1" = "$2" ]' "$fd0" "$fd2" "$fd3"
# 512 KB over 8,000 cycles would be 64 bytes a cycle: a leak shows above it.
if [ -n "${SANITIZE:-}" ]; then
  skip "cycles: RSS does not grow" "RSS is not meaningful with SANITIZE=$SANITIZE"
else
  check "cycles: RSS does not grow ($rss2 KB -> $rss3 KB)" test "$rss3" -le $((rss2 + 512))
fi

"$AMSCLIENT_BIN" ping --url "$URL" --json --quiet >"$TMP/ping.json" 2>&1; rc=$?
check "the server still answers amsclient ping after the load (exit $rc)" \
  bash -c '[ "$0" = 0 ] && grep -q "\"pong\"" "$1"' "$rc" "$TMP/ping.json"
kill -TERM "$PID"; wait "$PID"; rc=$?
check "the server exits 0 on SIGTERM after the load (got $rc)" test "$rc" = 0

# ------------------------------------------------------------ 4. fd limit
# A fresh machine often gives processes a soft limit of 1,024 descriptors.
hard=$(ulimit -Hn)
if [ "$hard" != unlimited ] && [ "$hard" -lt $((LOAD_CONNECTIONS + 100)) ]; then
  ok "soft limit 1024: # SKIP the hard descriptor limit ($hard) is below $LOAD_CONNECTIONS"
elif start_server bash -c 'ulimit -Sn 1024 && exec "$0" "$@"' "$MINISERVER_BIN"; then
  "$LOADER" soak --url "ws://127.0.0.1:$PORT/LiveApp/websocket" -c "$LOAD_CONNECTIONS" -d 2 --drain-s $((10 * SLOW)) \
    >"$TMP/lim.json" 2>"$TMP/lim.err"; rc=$?
  note "soft limit 1024: $(cat "$TMP/lim.json")"
  check "a server started with a soft descriptor limit of 1024 holds $LOAD_CONNECTIONS connections (rc $rc)" \
    test "$rc" = 0
  kill -TERM "$SRV_PID"; wait "$SRV_PID"
else
  not_ok "ams-mini-server starts under ulimit -Sn 1024"
fi

echo "1..$n"
[ "$failed" -eq 0 ]
