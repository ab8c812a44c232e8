#!/usr/bin/env bash
# Benchmarks for amsclient: our figures beside references measured in the same
# run on the same machine, as ratios.  Never fails the build: a benchmark that
# cannot run prints "n/a (reason)" in its row, never a made-up number.
#
#   make bench                       (sets BUILD and builds everything first)
#   BENCH_SECTIONS="ttff signalling" tests/bench/run-bench.sh
#
# Knobs (environment):
#   BENCH_SECTIONS   ttff signalling relay client       (default: all four)
#   BENCH_RUNS       fresh processes per time-to-first-frame row (default 10)
#   BENCH_DURATION   measured seconds per signalling row (default 5)
#   BENCH_REPEAT     rounds of the signalling rows; the median round is shown (default 1)
#   BENCH_SIZES      signalling connection counts (default "100 1000 5000")
#   BENCH_PACED      connections in the 1 msg/s row (default 5000; 0 skips)
#   BENCH_SERVERS    mini node lws-uv lws-poll (default: all)
#   BENCH_FANOUT     relay player counts (default "1 10 40 100")
#   BENCH_RELAY_PUBLISHERS  the relay's publishers: "live" (encoding) and/or
#                    "file" (a VP8 clip sent as it is; default "live file")
#   BENCH_MEDIA_SECONDS  measured seconds of steady media per relay and client-cost row (default 10)
#   BENCH_SETUP_SECONDS  bound on waiting for players' first frames (default 90)
#   BENCH_INTEROP    0 skips the Chromium rows (the official JS SDK: time to first
#                    frame from the interop suite's browser-play scenario, and the
#                    client cost of a page playing and publishing; default 1)
#   BENCH_TUNED_ARGS extra play options of the "tuned" time-to-first-frame row
#                    (default "--latency 0"; empty: no tuned row)
#   BENCH_MINISERVER_ARGS, BENCH_PUBLISH_ARGS, BENCH_PLAY_ARGS: extra arguments
#
# Everything runs on 127.0.0.1; every loop is bounded in count and time; the
# servers and clients started here are stopped by PID on exit.
set -u
cd "$(dirname "$0")/../.."
AMS_TOP=$PWD
BUILD=${BUILD:-build}
BUILD_ARG=$BUILD
case "$BUILD" in /*) ;; *) BUILD=$AMS_TOP/$BUILD ;; esac
OUT=$BUILD/bench
RES=$OUT/results
mkdir -p "$OUT" "$RES"
AMSCLIENT=${AMSCLIENT_BIN:-$BUILD/bin/amsclient}
MINISERVER=${MINISERVER_BIN:-$BUILD/bin/ams-mini-server}
SECTIONS=${BENCH_SECTIONS:-ttff signalling relay client}
RUNS=${BENCH_RUNS:-10}
DURATION=${BENCH_DURATION:-5}
REPEAT=${BENCH_REPEAT:-1}
SIZES=${BENCH_SIZES:-100 1000 5000}
PACED=${BENCH_PACED:-5000}
SERVERS=${BENCH_SERVERS:-mini node lws-uv lws-poll}
FANOUT=${BENCH_FANOUT:-1 10 40 100}
RELAY_PUBLISHERS=${BENCH_RELAY_PUBLISHERS:-live file}
MEDIA_SECONDS=${BENCH_MEDIA_SECONDS:-10}
WS_PATH=/WebRTCAppEE/websocket
export AMSCLIENT_NO_CONFIG=1 GST_REGISTRY=$BUILD/gst-registry.bin
unset AMSCLIENT_URL AMSCLIENT_TOKEN
rm -f "$RES"/*.jsonl

say() { printf '%s\n' "$*"; }
note() { printf '  # %s\n' "$*"; }
has_section() { [[ " $SECTIONS " == *" $1 "* ]]; }

# ------------------------------------------------------------ cleanup by PID
started_pids=()
cleanup() {
  local p
  for p in "${started_pids[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${started_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

stop_pid() {
  local p=$1 i
  kill "$p" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  return 0
}

# Connections need descriptors in the servers too: they inherit this.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ------------------------------------------------------------ tools
build_tools() {
  local cc=${CC:-cc} flags="-std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter"
  mkdir -p "$OUT"
  $cc $flags -o "$OUT/loadgen" tests/bench/loadgen.c $(pkg-config --cflags --libs openssl) -lm || return 1
  $cc $flags -o "$OUT/runstat" tests/bench/runstat.c || return 1
  $cc $flags -o "$OUT/lws-echo" tests/bench/lws-echo.c \
      $(pkg-config --cflags --libs libwebsockets libuv) || return 1
  $cc $flags -o "$OUT/webrtcbin-pair" tests/bench/webrtcbin-pair.c \
      $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-webrtc-1.0 gstreamer-sdp-1.0) || return 1
}

# The relay's players, one process, public API only (section 3).
FANOUT_OK=""
build_fanout() {
  local cc=${CC:-cc}
  [ -f "$BUILD/lib/libamsclient.so" ] || return 1
  $cc -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Iinclude \
      $(pkg-config --cflags glib-2.0 gobject-2.0 gio-2.0 gstreamer-1.0) \
      -o "$OUT/fanout-players" tests/bench/fanout-players.c -L"$BUILD/lib" -lamsclient \
      -Wl,-rpath,"$BUILD/lib" $(pkg-config --libs glib-2.0 gobject-2.0 gio-2.0 gstreamer-1.0) &&
    FANOUT_OK=1
}

# The SDK harness links the library just built, through its public headers only.
SDK_PLAY_OK=""
build_sdk_play() {
  local cc=${CC:-cc}
  [ -f "$BUILD/lib/libamsclient.so" ] || return 1
  $cc -std=gnu11 -O2 -g -Wall -Wextra -Wno-unused-parameter -Iinclude \
      $(pkg-config --cflags glib-2.0 gobject-2.0 gio-2.0 gstreamer-1.0) \
      -o "$OUT/sdk-play" tests/bench/sdk-play.c -L"$BUILD/lib" -lamsclient \
      -Wl,-rpath,"$BUILD/lib" $(pkg-config --libs glib-2.0 gobject-2.0 gio-2.0 gstreamer-1.0) &&
    SDK_PLAY_OK=1
}

NODE_OK=""
install_node() {
  command -v node >/dev/null && command -v npm >/dev/null || return 1
  mkdir -p "$OUT/node"
  cp tests/bench/package.json tests/bench/package-lock.json tests/bench/node-ws-server.mjs "$OUT/node/"
  if [ ! -d "$OUT/node/node_modules/ws" ] || ! cmp -s tests/bench/package-lock.json "$OUT/node/.lock-installed"; then
    (cd "$OUT/node" && npm ci --no-audit --no-fund --loglevel=error >&2) || return 1
    cp tests/bench/package-lock.json "$OUT/node/.lock-installed"
  fi
  NODE_OK=1
}

# Node, npm and python3 come with the interop packages; best effort only.
sh scripts/install-deps.sh interop >/dev/null 2>&1 || true
if ! build_tools >"$OUT/build.log" 2>&1; then
  say "benchmarks: cannot build the tools (see $OUT/build.log)"; cat "$OUT/build.log"
  exit 0
fi
install_node 2>"$OUT/npm.log" || note "Node reference unavailable (see $OUT/npm.log)"
build_sdk_play >>"$OUT/build.log" 2>&1 || note "sdk-play not built (see $OUT/build.log)"
build_fanout >>"$OUT/build.log" 2>&1 || note "fanout-players not built (see $OUT/build.log)"
if ! command -v python3 >/dev/null; then
  say "benchmarks: python3 is needed to compute the tables"; exit 0
fi
REPORT="python3 tests/bench/report.py $RES"

# ------------------------------------------------------------ machine
machine() {
  say "== machine"
  say "cpu:      $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
  say "memory:   $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  say "kernel:   $(uname -r)"
  say "os:       $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}")"
  say "load:     $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min, before the run)"
  say "gstreamer $(pkg-config --modversion gstreamer-1.0), libwebsockets $(pkg-config --modversion libwebsockets),"\
      "libnice $(pkg-config --modversion nice), libuv $(pkg-config --modversion libuv 2>/dev/null)"
  say "node:     $(node --version 2>/dev/null || echo none), ws $(sed -n 's/.*"ws": "\(.*\)".*/\1/p' tests/bench/package.json | head -1)"
  say "amsclient: $("$AMSCLIENT" --version 2>/dev/null | head -1 || echo 'not built')"
  say "git:      $(git rev-parse --short HEAD 2>/dev/null)"
}

# ------------------------------------------------------------ servers
# start_server NAME: starts it on a free port; sets SRV_PID and SRV_PORT.
start_server() {
  local name=$1 log=$OUT/server-$1.log i
  SRV_PID="" SRV_PORT=""
  case "$name" in
    mini) [ -x "$MINISERVER" ] || return 1
          # The per-connection message-rate cap (500/s by default) protects a
          # real deployment; back-to-back pings measure the server, so lift it.
          printf '[server]\nmax-message-rate=0\nmax-connections=20000\n' >"$OUT/mini-bench.conf"
          # shellcheck disable=SC2086
          G_MESSAGES_DEBUG=${MINI_MESSAGES_DEBUG:-} \
            "$MINISERVER" --port 0 --config "$OUT/mini-bench.conf" ${BENCH_MINISERVER_ARGS:-} >"$log" 2>&1 & ;;
    node) [ -n "$NODE_OK" ] || return 1
          node "$OUT/node/node-ws-server.mjs" --port 0 >"$log" 2>&1 & ;;
    lws-uv) "$OUT/lws-echo" --uv >"$log" 2>&1 & ;;
    lws-poll) "$OUT/lws-echo" >"$log" 2>&1 & ;;
    *) return 1 ;;
  esac
  SRV_PID=$!
  started_pids+=("$SRV_PID")
  for i in $(seq 100); do
    SRV_PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
    [ -n "$SRV_PORT" ] && return 0
    kill -0 "$SRV_PID" 2>/dev/null || break
    sleep 0.1
  done
  stop_pid "$SRV_PID"
  return 1
}

server_answers_ping() {
  "$OUT/loadgen" --url "ws://127.0.0.1:$1$WS_PATH" -c 1 -d 0.5 -w 0 --json 2>/dev/null |
    grep -q '"errors":0'
}

# ------------------------------------------------------------ the CLI's abilities
cli_has() { [ -x "$AMSCLIENT" ] && "$AMSCLIENT" "$1" --help 2>&1 | grep -q -- "$2"; }
CLI_PLAY_REASON="" CLI_PUBLISH_REASON=""
if ! [ -x "$AMSCLIENT" ]; then
  CLI_PLAY_REASON="amsclient not built"; CLI_PUBLISH_REASON=$CLI_PLAY_REASON
else
  cli_has publish --stream || CLI_PUBLISH_REASON="amsclient publish not available"
  if ! cli_has play --stream; then CLI_PLAY_REASON="amsclient play not available"
  elif ! cli_has play --frames; then CLI_PLAY_REASON="amsclient play has no --frames"
  fi
  cli_has play --json || CLI_PLAY_REASON=${CLI_PLAY_REASON:-"amsclient play has no --json"}
fi
publish_args=(--json)
play_args=(--json)
# The same media as the references: VP8 640x480 30 fps video only; ICE kept on
# loopback (the network rule); frames are decoded, counted and dropped by default.
if [ -z "$CLI_PUBLISH_REASON" ]; then
  cli_has publish --no-audio && publish_args+=(--no-audio)
  cli_has publish --codec && publish_args+=(--codec vp8)
  cli_has publish --width && publish_args+=(--width 640 --height 480 --fps 30)
  cli_has publish --ice-filter && publish_args+=(--ice-filter loopback)
fi
if [ -z "$CLI_PLAY_REASON" ]; then
  cli_has play --ice-filter && play_args+=(--ice-filter loopback)
fi
# shellcheck disable=SC2206
publish_args+=(${BENCH_PUBLISH_ARGS:-})
# shellcheck disable=SC2206
play_args+=(${BENCH_PLAY_ARGS:-})
# amsclient's JSON event for the first decoded video frame (amsclient(1)).
FRAME_RE='"event":[[:space:]]*"first-frame"'
# Extra play options for the "tuned" rows; empty: no tuned rows.
TUNED_ARGS=${BENCH_TUNED_ARGS-"--latency 0"}
cli_has play --latency || TUNED_ARGS=""
PUBLISH_RE='publish_started'

MINI_OK=""
LIVE_PUBLISH_EXTRA=()   # more publish arguments (the relay's file publisher)
# Starts the mini-server and one live publisher; sets PUB_PID, MINI_PORT.
start_live_publisher() {
  local stream=$1 i
  PUB_PID=""
  start_server mini || return 1
  MINI_PORT=$SRV_PORT MINI_PID=$SRV_PID
  "$OUT/runstat" --timeout 600 -- "$AMSCLIENT" publish --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" \
      --stream "$stream" "${publish_args[@]}" "${LIVE_PUBLISH_EXTRA[@]}" >"$OUT/publisher-$stream.log" 2>"$OUT/publisher-$stream.err" &
  PUB_PID=$!
  started_pids+=("$PUB_PID")
  for i in $(seq 150); do
    grep -Eq "$PUBLISH_RE" "$OUT/publisher-$stream.log" && return 0
    kill -0 "$PUB_PID" 2>/dev/null || break
    sleep 0.1
  done
  PUB_WHY=$(python3 tests/bench/report.py --why "$OUT/publisher-$stream.log" | tr -d '"\\')
  return 1
}
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
stop_live_publisher() {
  [ -n "${PUB_PID:-}" ] && stop_pid "$PUB_PID"
  [ -n "${MINI_PID:-}" ] && stop_pid "$MINI_PID"
  PUB_PID="" MINI_PID=""
}

# ============================================================ (1) time to first frame
bench_ttff() {
  say ""
  say "== (1) time to first frame: fresh processes, $RUNS runs each, median (min-max)"
  local i
  local cache_args=()
  # The publish rows take the key from the same cache (filled below by the
  # play rows, or here when there are none).
  cli_has publish --dtls-key-cache && cache_args=(--dtls-key-cache "$OUT/dtls-key-cache/key.pem")
  run_pair() {
    "$OUT/runstat" --timeout 15 --first first_frame_ms -- "$OUT/webrtcbin-pair" 2>>"$OUT/pair.err" |
      python3 tests/bench/report.py --tag "$RES" ttff pair >/dev/null
  }
  # (a) cold play, whole process, while a publisher is live; the reference
  # pair and the players interleaved, so that load changes hit every row.
  if [ -n "$CLI_PLAY_REASON" ]; then
    for i in $(seq "$RUNS"); do run_pair; done
    echo "{\"row\":\"play\",\"na\":\"$CLI_PLAY_REASON\"}" >>"$RES/ttff.jsonl"
  elif ! start_live_publisher ttff; then
    for i in $(seq "$RUNS"); do run_pair; done
    echo "{\"row\":\"play\",\"na\":$(json_str "no live publisher: $PUB_WHY")}" >>"$RES/ttff.jsonl"
    stop_live_publisher
  else
    # amsclient keeps its DTLS key in a cache by default: here at a path of
    # the bench's own, filled by one unrecorded play; the "key generated"
    # rows start from an empty cache (a user's first run), the --fast-start 0
    # rows show what the jitterbuffer's fast start saves.
    if cli_has play --dtls-key-cache; then
      cache_args=(--dtls-key-cache "$OUT/dtls-key-cache/key.pem")
      "$OUT/runstat" --timeout 30 --first "$FRAME_RE" -- "$AMSCLIENT" play \
          --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream ttff --frames 1 "${play_args[@]}" \
          "${cache_args[@]}" >/dev/null 2>&1
    fi
    for i in $(seq "$RUNS"); do
      run_pair
      "$OUT/runstat" --timeout 20 --first "$FRAME_RE" -- "$AMSCLIENT" play \
          --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream ttff --frames 1 "${play_args[@]}" \
          "${cache_args[@]}" 2>>"$OUT/play.err" | tee -a "$OUT/play.log" |
        python3 tests/bench/report.py --tag "$RES" ttff play >/dev/null
      if [ ${#cache_args[@]} -gt 0 ]; then
        rm -rf "$OUT/dtls-key-empty"
        "$OUT/runstat" --timeout 20 --first "$FRAME_RE" -- "$AMSCLIENT" play \
            --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream ttff --frames 1 "${play_args[@]}" \
            --dtls-key-cache "$OUT/dtls-key-empty/key.pem" 2>>"$OUT/play-keygen.err" |
          tee -a "$OUT/play-keygen.log" |
          python3 tests/bench/report.py --tag "$RES" ttff play-keygen >/dev/null
      fi
      if cli_has play --fast-start; then
        "$OUT/runstat" --timeout 20 --first "$FRAME_RE" -- "$AMSCLIENT" play \
            --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream ttff --frames 1 "${play_args[@]}" \
            "${cache_args[@]}" --fast-start 0 2>>"$OUT/play-nofs.err" | tee -a "$OUT/play-nofs.log" |
          python3 tests/bench/report.py --tag "$RES" ttff play-nofs >/dev/null
      fi
      # the same with the player's tunings (BENCH_TUNED_ARGS, amsclient(1))
      if [ -n "$TUNED_ARGS" ]; then
        # shellcheck disable=SC2086
        "$OUT/runstat" --timeout 20 --first "$FRAME_RE" -- "$AMSCLIENT" play \
            --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream ttff --frames 1 "${play_args[@]}" \
            "${cache_args[@]}" $TUNED_ARGS 2>>"$OUT/play-tuned.err" | tee -a "$OUT/play-tuned.log" |
          python3 tests/bench/report.py --tag "$RES" ttff play-tuned >/dev/null
      fi
    done
    # (b) warm: later plays in the same SDK process (5 processes x 3 plays),
    # defaults (the DTLS key from the bench's cache, as amsclient does), the
    # fast start off (SDK fast_start_packets -1), then the player's
    # jitterbuffer at 0 (SDK latency_ms)
    if [ -n "$SDK_PLAY_OK" ]; then
      for i in $(seq 5); do
        "$OUT/runstat" --timeout 90 -- "$OUT/sdk-play" --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" \
            --stream ttff --plays 3 --timeout 80 --dtls-key-cache "$OUT/dtls-key-cache/key.pem" \
            2>>"$OUT/sdk-play.err" |
          python3 tests/bench/report.py --tag "$RES" ttff sdk >/dev/null
        "$OUT/runstat" --timeout 90 -- "$OUT/sdk-play" --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" \
            --stream ttff --plays 3 --timeout 80 --dtls-key-cache "$OUT/dtls-key-cache/key.pem" \
            --fast-start -1 2>>"$OUT/sdk-play.err" |
          python3 tests/bench/report.py --tag "$RES" ttff sdk-nofs >/dev/null
        "$OUT/runstat" --timeout 90 -- "$OUT/sdk-play" --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" \
            --stream ttff --plays 3 --timeout 80 --dtls-key-cache "$OUT/dtls-key-cache/key.pem" \
            --latency 0 2>>"$OUT/sdk-play.err" |
          python3 tests/bench/report.py --tag "$RES" ttff sdk-tuned >/dev/null
      done
    else
      echo '{"row":"sdk","na":"sdk-play not built"}' >>"$RES/ttff.jsonl"
    fi
    stop_live_publisher
  fi
  # (c) publish until publish_started
  if [ -n "$CLI_PUBLISH_REASON" ]; then
    echo "{\"row\":\"publish\",\"na\":\"$CLI_PUBLISH_REASON\"}" >>"$RES/ttff.jsonl"
  elif start_server mini; then
    for i in $(seq "$RUNS"); do
      "$OUT/runstat" --timeout 20 --first "$PUBLISH_RE" --stop-on-first -- "$AMSCLIENT" publish \
          --url "ws://127.0.0.1:$SRV_PORT$WS_PATH" --stream "pub$i" "${publish_args[@]}" \
          "${cache_args[@]}" 2>>"$OUT/publish.err" | tee -a "$OUT/publish.log" |
        python3 tests/bench/report.py --tag "$RES" ttff publish >/dev/null
      if [ ${#cache_args[@]} -gt 0 ]; then
        rm -rf "$OUT/dtls-key-empty"
        "$OUT/runstat" --timeout 20 --first "$PUBLISH_RE" --stop-on-first -- "$AMSCLIENT" publish \
            --url "ws://127.0.0.1:$SRV_PORT$WS_PATH" --stream "pubk$i" "${publish_args[@]}" \
            --dtls-key-cache "$OUT/dtls-key-empty/key.pem" 2>>"$OUT/publish.err" |
          tee -a "$OUT/publish-keygen.log" |
          python3 tests/bench/report.py --tag "$RES" ttff publish-keygen >/dev/null
      fi
    done
    stop_pid "$SRV_PID"
  else
    echo '{"row":"publish","na":"ams-mini-server does not start"}' >>"$RES/ttff.jsonl"
  fi
  # the official JS SDK in Chromium, as the interop suite measures it
  if [ "${BENCH_INTEROP:-1}" = 0 ]; then
    echo '{"row":"chromium","na":"skipped (BENCH_INTEROP=0)"}' >>"$RES/ttff.jsonl"
  elif ! [ -x tests/interop/run-interop.sh ]; then
    echo '{"row":"chromium","na":"no interop suite"}' >>"$RES/ttff.jsonl"
  else
    BUILD=$BUILD_ARG INTEROP_TESTS=browser-play timeout 600 tests/interop/run-interop.sh \
        >"$OUT/interop.log" 2>&1
    local ms
    ms=$(grep -E 'first decoded frame \(browser\)' "$OUT/interop.log" | head -1 |
         grep -oE '[0-9]+(\.[0-9]+)?' | head -1)
    if [ -n "$ms" ]; then
      echo "{\"row\":\"chromium\",\"ms\":$ms}" >>"$RES/ttff.jsonl"
    else
      echo '{"row":"chromium","na":"the interop browser-play scenario gave no first frame (see bench/interop.log)"}' \
          >>"$RES/ttff.jsonl"
    fi
  fi
  $REPORT ttff
}

# ============================================================ (2) signalling
bench_signalling() {
  say ""
  say "== (2) signalling: JSON ping/pong, one load generator process (loadgen, epoll), ${DURATION}s per row after 1s warm-up, median of $REPEAT round(s)"
  local srv n row round
  # Size-major and interleaved rounds: drift in the machine's load then
  # touches every server alike; the table keeps each row's median round.
  for round in $(seq "$REPEAT"); do
  for n in $SIZES paced; do
    row=$n; [ "$n" = paced ] && { [ "$PACED" -gt 0 ] || continue; n=$PACED; row="paced"; }
    for srv in $SERVERS; do
      if ! start_server "$srv"; then
        echo "{\"server\":\"$srv\",\"row\":\"$row\",\"connections\":$n,\"na\":\"server does not start\"}" >>"$RES/signalling.jsonl"
        continue
      fi
      if ! server_answers_ping "$SRV_PORT"; then
        echo "{\"server\":\"$srv\",\"row\":\"$row\",\"connections\":$n,\"na\":\"server does not answer ping\"}" >>"$RES/signalling.jsonl"
        stop_pid "$SRV_PID"; continue
      fi
      local rate=0; [ "$row" = paced ] && rate=1
      "$OUT/loadgen" --url "ws://127.0.0.1:$SRV_PORT$WS_PATH" -c "$n" -d "$DURATION" -r "$rate" \
          -p "$SRV_PID" --label "$srv" --json 2>>"$OUT/loadgen.err" |
        python3 tests/bench/report.py --tag "$RES" signalling "$srv" "$row" >/dev/null
      stop_pid "$SRV_PID"
    done
  done
  done
  $REPORT signalling
}

# ============================================================ steady-state windows
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
proc_field() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
sum_ticks() { local p t=0; for p in "$@"; do t=$((t + $(proc_ticks "$p"))); done; echo "$t"; }
now_s() { date +%s.%N; }
HZ=$(getconf CLK_TCK)
# wait_for_lines PATTERN COUNT SECONDS FILES...: until COUNT files hold PATTERN
wait_for_lines() {
  local re=$1 want=$2 limit=$3 got=0 end; shift 3
  end=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$end" ]; do
    got=$(grep -l -E "$re" "$@" 2>/dev/null | wc -l)
    [ "$got" -ge "$want" ] && break
    sleep 0.5
  done
  echo "$got"
}
# stop_all PID...: SIGTERM (the CLI's clean stop) to all, then a bounded wait each
stop_all() {
  local p i
  for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
  for p in "$@"; do
    for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  return 0
}
SETUP_SECONDS=${BENCH_SETUP_SECONDS:-90}

# ============================================================ (3) relay fan-out
# The players are one separate process (fanout-players, the SDK's public API):
# N WebSocket connections and webrtcbins that depayload and count frames
# without decoding, so that the figures are the relay's, not N decoders'.
bench_relay() {
  say ""
  say "== (3) relay fan-out: one publisher on ams-mini-server, N players in one fanout-players process"
  say "   (no decoding), measured over ${MEDIA_SECONDS}s once every player has its first frame (setup bounded at ${SETUP_SECONDS}s)"
  if [ -n "$CLI_PUBLISH_REASON" ] || [ -z "$FANOUT_OK" ]; then
    echo "{\"row\":\"all\",\"na\":\"${CLI_PUBLISH_REASON:-fanout-players not built}\"}" >>"$RES/relay.jsonl"
    $REPORT relay; return
  fi
  # Two publishers: the live encoder (amsclient publish's default source),
  # and a VP8 clip sent as it is (--file --passthrough), which leaves the
  # encoder's share of the two cores to the relay and the players.
  local clip=$OUT/fanout-clip.webm
  if [[ " $RELAY_PUBLISHERS " == *" file "* ]] && [ ! -s "$clip" ] &&
     ! timeout 300 gst-launch-1.0 -q videotestsrc num-buffers=300 \
         ! video/x-raw,width=640,height=480,framerate=30/1 \
         ! vp8enc deadline=1 cpu-used=8 threads=2 target-bitrate=1000000 end-usage=cbr \
                  keyframe-max-dist=30 error-resilient=partitions \
         ! webmmux ! filesink location="$clip" >"$OUT/fanout-clip.log" 2>&1; then
    rm -f "$clip"
  fi
  local n mode
  for mode in $RELAY_PUBLISHERS; do
  for n in $FANOUT; do
    LIVE_PUBLISH_EXTRA=()
    # No publisher stall watchdog: on an overloaded machine the relay's RTCP
    # receiver reports lapsed for over 5 s at 100 players, the publisher
    # published again and every player's play ended (a finding of its own,
    # see RESULTS.md); the rows measure delivery.
    cli_has publish --stall-timeout && LIVE_PUBLISH_EXTRA+=(--stall-timeout 0)
    if [ "$mode" = file ]; then
      if [ ! -s "$clip" ] || ! cli_has publish --passthrough; then
        echo "{\"row\":\"$n\",\"publisher\":\"file\",\"na\":\"no clip or no --passthrough\"}" >>"$RES/relay.jsonl"
        continue
      fi
      LIVE_PUBLISH_EXTRA+=(--file "$clip" --passthrough)
    fi
    # the relay logs its keyframe counts at the stream's end (g_info, log
    # domain ams-relay); "all" would also turn on libnice's per-packet debug
    # output and bill its cost to the relay
    if ! MINI_MESSAGES_DEBUG=ams-relay start_live_publisher "fan$n"; then
      echo "{\"row\":\"$n\",\"publisher\":\"$mode\",\"na\":$(json_str "no live publisher: $PUB_WHY")}" >>"$RES/relay.jsonl"
      stop_live_publisher; continue
    fi
    # PUB_PID is runstat's: the publisher's CPU is its child's
    local pub_cpu_pid
    pub_cpu_pid=$(pgrep -P "$PUB_PID" | head -1)
    timeout $((SETUP_SECONDS + MEDIA_SECONDS + 60)) "$OUT/fanout-players" \
        --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream "fan$n" --players "$n" \
        --setup "$SETUP_SECONDS" --window "$MEDIA_SECONDS" --server-pid "$MINI_PID" \
        --publisher-pid "${pub_cpu_pid:-$PUB_PID}" >"$OUT/fan$n.json" 2>"$OUT/fan$n.err"
    note "$(grep -m1 'players with a first frame' "$OUT/fan$n.err" | sed 's/^fanout-players: //')"
    # the publisher first: the relay ends the stream and logs its counts
    stop_pid "$PUB_PID"; sleep 0.5
    RELAY_PUBLISHER=$mode python3 tests/bench/report.py --fanout-row "$RES" "$n" "$OUT/fan$n.json" \
        "$OUT/publisher-fan$n.log" "$OUT/server-mini.log"
    stop_live_publisher
    cp "$OUT/fan$n.json" "$OUT/fan$n-$mode.json"; cp "$OUT/fan$n.err" "$OUT/fan$n-$mode.err"
  done
  done
  LIVE_PUBLISH_EXTRA=()
  $REPORT relay
}

# ============================================================ (4) client cost
# window_cost ROW PID LOG: CPU and memory of PID over MEDIA_SECONDS, recorded
window_cost() {
  local row=$1 pid=$2 log=$3 ta tb c0 c1
  ta=$(now_s); c0=$(proc_ticks "$pid")
  sleep "$MEDIA_SECONDS"
  tb=$(now_s); c1=$(proc_ticks "$pid")
  local hwm rss; hwm=$(proc_field "$pid" VmHWM); rss=$(proc_field "$pid" VmRSS)
  # where the memory is, by component (tests/bench/rss-parts.py)
  python3 tests/bench/rss-parts.py "$pid" "$row" >>"$RES/client-parts.jsonl"
  sleep 1.5
  stop_all "$pid"
  python3 tests/bench/report.py --window-row "$RES" client "$row" "$log" "$ta" "$tb" \
      "$(awk -v a="$c1" -v b="$c0" -v h="$HZ" 'BEGIN { print (a - b) / h }')" "${hwm:-0}" "${rss:-0}"
}

bench_client() {
  say ""
  say "== (4) client cost: CPU and RSS of one process over ${MEDIA_SECONDS}s of steady state vs the bare pipeline (gst-launch-1.0)"
  local vsrc="videotestsrc is-live=true ! video/x-raw,width=640,height=480,framerate=30/1"
  # bare publish: the capture and encoder settings the SDK uses (sdk/media/ams-peer.c),
  # no network, no signalling
  # shellcheck disable=SC2086
  gst-launch-1.0 -q $vsrc ! vp8enc deadline=1 cpu-used=8 threads=2 target-bitrate=1000000 \
      end-usage=cbr error-resilient=partitions ! rtpvp8pay ! fakesink >/dev/null 2>&1 &
  local pid=$!; started_pids+=("$pid"); sleep 2
  window_cost bare-publish "$pid" /dev/null
  # bare play: decode the same stream from a file at real-time pace
  # (long enough to outlast the window on a loaded machine, and its parts snapshot)
  local clip=$OUT/clip-vp8-$((MEDIA_SECONDS + 30))s.webm
  [ -s "$clip" ] || { gst-launch-1.0 -q videotestsrc num-buffers=$((30 * (MEDIA_SECONDS + 30))) ! \
      video/x-raw,width=640,height=480,framerate=30/1 ! vp8enc deadline=1 cpu-used=8 threads=2 \
      target-bitrate=1000000 end-usage=cbr ! webmmux ! filesink location="$clip.part" >/dev/null 2>&1 &&
      mv "$clip.part" "$clip"; }
  gst-launch-1.0 -q filesrc location="$clip" ! matroskademux ! vp8dec ! fakesink sync=true \
      >/dev/null 2>&1 &
  pid=$!; started_pids+=("$pid"); sleep 2
  window_cost bare-play "$pid" /dev/null
  # the same two pipelines with the WebRTC stack loaded but idle: a webrtcbin
  # (libnice, its agent) and a dtlssrtpdec (OpenSSL, the process's DTLS key).
  # What any WebRTC endpoint pays in memory before signalling; the difference
  # to amsclient is the SDK's own cost.
  # The key is made while gst-launch parses (seconds on a loaded machine):
  # the window opens once the pipeline is PLAYING, not after a fixed delay.
  local webrtc_idle="webrtcbin name=idle dtlssrtpdec connection-id=idle"
  # shellcheck disable=SC2086
  gst-launch-1.0 $vsrc ! vp8enc deadline=1 cpu-used=8 threads=2 target-bitrate=1000000 \
      end-usage=cbr error-resilient=partitions ! rtpvp8pay ! fakesink $webrtc_idle \
      >"$OUT/bare-publish-webrtc.log" 2>&1 &
  pid=$!; started_pids+=("$pid")
  wait_for_lines "PLAYING" 1 "$SETUP_SECONDS" "$OUT/bare-publish-webrtc.log" >/dev/null; sleep 2
  window_cost bare-publish-webrtc "$pid" /dev/null
  # shellcheck disable=SC2086
  gst-launch-1.0 filesrc location="$clip" ! matroskademux ! vp8dec ! fakesink sync=true \
      $webrtc_idle >"$OUT/bare-play-webrtc.log" 2>&1 &
  pid=$!; started_pids+=("$pid")
  wait_for_lines "PLAYING" 1 "$SETUP_SECONDS" "$OUT/bare-play-webrtc.log" >/dev/null; sleep 2
  window_cost bare-play-webrtc "$pid" /dev/null
  if [ -n "$CLI_PUBLISH_REASON$CLI_PLAY_REASON" ]; then
    echo "{\"row\":\"amsclient\",\"na\":\"${CLI_PUBLISH_REASON:-$CLI_PLAY_REASON}\"}" >>"$RES/client.jsonl"
  elif ! start_live_publisher cost; then
    echo "{\"row\":\"amsclient\",\"na\":$(json_str "no live publisher: $PUB_WHY")}" >>"$RES/client.jsonl"
    stop_live_publisher
  else
    # the player first, while only the live publisher feeds the relay
    "$AMSCLIENT" play --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream cost "${play_args[@]}" \
        >"$OUT/cost-play.log" 2>"$OUT/cost-play.err" &
    pid=$!; started_pids+=("$pid")
    if [ "$(wait_for_lines "$FRAME_RE" 1 "$SETUP_SECONDS" "$OUT/cost-play.log")" = 1 ]; then
      sleep 1; window_cost amsclient-play "$pid" "$OUT/cost-play.log"
    else
      stop_all "$pid"
      echo '{"row":"amsclient-play","na":"no first frame"}' >>"$RES/client.jsonl"
    fi
    # a second publisher measured on its own, once it is started: the live
    # publisher stops first, so that two encoders do not share the cores
    [ -n "${PUB_PID:-}" ] && stop_pid "$PUB_PID"; PUB_PID=""
    "$AMSCLIENT" publish --url "ws://127.0.0.1:$MINI_PORT$WS_PATH" --stream cost2 \
        "${publish_args[@]}" >"$OUT/cost-publish.log" 2>"$OUT/cost-publish.err" &
    pid=$!; started_pids+=("$pid")
    if [ "$(wait_for_lines "$PUBLISH_RE" 1 "$SETUP_SECONDS" "$OUT/cost-publish.log")" = 1 ]; then
      sleep 1; window_cost amsclient-publish "$pid" "$OUT/cost-publish.log"
    else
      stop_all "$pid"
      echo '{"row":"amsclient-publish","na":"no publish_started"}' >>"$RES/client.jsonl"
    fi
    stop_live_publisher
  fi
  bench_client_chromium
  $REPORT client
}

# The Chromium rows: one page with the official JS SDK playing, then one
# publishing, the same media for the same seconds; CPU and RSS summed over the
# browser's process tree (tests/interop/bench-client-cost.mjs).
bench_client_chromium() {
  local m why
  for m in play publish; do
    why=""
    if [ "${BENCH_INTEROP:-1}" = 0 ]; then why="skipped (BENCH_INTEROP=0)"
    elif ! [ -x /usr/bin/chromium ] && [ -z "${AMS_CHROMIUM:-}" ]; then why="chromium is not installed"
    elif ! tests/interop/bin/ensure-deps >"$OUT/interop-deps.log" 2>&1; then
      why="interop dependencies could not be installed (see bench/interop-deps.log)"
    fi
    if [ -n "$why" ]; then
      echo "{\"row\":\"chromium-$m\",\"na\":$(json_str "$why")}" >>"$RES/client.jsonl"
      continue
    fi
    BUILD=$BUILD_ARG AMS_TOP=$AMS_TOP AMSCLIENT_BIN=$AMSCLIENT MINISERVER_BIN=$MINISERVER \
      timeout -k 10 $((MEDIA_SECONDS + 2 * SETUP_SECONDS + 60)) \
      node tests/interop/bench-client-cost.mjs "$m" --seconds "$MEDIA_SECONDS" \
          --setup-seconds "$SETUP_SECONDS" >"$OUT/cost-chromium-$m.json" 2>"$OUT/cost-chromium-$m.err"
    if grep -q '^{' "$OUT/cost-chromium-$m.json"; then
      grep '^{' "$OUT/cost-chromium-$m.json" >>"$RES/client.jsonl"
    else
      echo "{\"row\":\"chromium-$m\",\"na\":\"the browser harness printed nothing (see bench/cost-chromium-$m.err)\"}" \
          >>"$RES/client.jsonl"
    fi
  done
}

machine
has_section ttff && bench_ttff
has_section signalling && bench_signalling
has_section relay && bench_relay
has_section client && bench_client
say ""
say "raw results: $RES/*.jsonl, logs: $OUT/"
exit 0
