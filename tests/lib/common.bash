# common.bash: sourced by the fault suites (through tests/faults/common.bash)
# and by the end-to-end suites written in the same style (server-signalling);
# not a suite itself: not *.sh. tests/lib/e2e.bash serves the media suites.
#
# TAP helpers, servers on free ports, processes killed by PID only, a
# temporary directory removed on exit, and ws-probe built on demand.
set -u
: "${AMS_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${BUILD:=build}"
case "$BUILD" in /*) ;; *) BUILD=$AMS_TOP/$BUILD ;; esac
: "${MINISERVER_BIN:=$BUILD/bin/ams-mini-server}"
: "${AMSCLIENT_BIN:=$BUILD/bin/amsclient}"
export AMSCLIENT_NO_CONFIG=1
unset AMSCLIENT_URL AMSCLIENT_TOKEN

TMP=$(mktemp -d)
PIDS=()
# Extra cleanup steps a suite registers (network namespaces, rules).
CLEANUPS=()
cleanup() {
  local p c
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null
  for c in "${CLEANUPS[@]}"; do eval "$c" >/dev/null 2>&1; done
  # AMS_KEEP_TMP=1 keeps the logs for a post-mortem.
  if [ -n "${AMS_KEEP_TMP:-}" ]; then echo "# logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

n=0 failed=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }
skip()   { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check()  { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
finish() { echo "1..$n"; [ "$failed" -eq 0 ]; }
# Shows the end of a log file in the TAP output (as comments) after a failure.
show()   { [ -f "$1" ] && tail -n "${2:-15}" "$1" | sed 's/^/#   /'; }

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# ws-probe, built into $BUILD/faults when missing or older than its sources.
PROBE=$BUILD/faults/ws-probe
build_probe() {
  mkdir -p "$BUILD/faults"
  if [ ! -x "$PROBE" ] || [ "$AMS_TOP/tests/faults/ws-probe.c" -nt "$PROBE" ] \
     || [ "$AMS_TOP/tests/load/ws-frame.h" -nt "$PROBE" ]; then
    cc -std=gnu11 -O2 -Wall -Wextra -o "$PROBE.tmp.$$" "$AMS_TOP/tests/faults/ws-probe.c" \
      && mv "$PROBE.tmp.$$" "$PROBE"
  fi
  [ -x "$PROBE" ]
}

# The command that runs ams-mini-server (a suite may put valgrind before it).
[ -n "${SERVER_CMD+set}" ] || SERVER_CMD=("$MINISERVER_BIN")

# start_server [args...]: starts ${SERVER_CMD[@]} on a free port (or the
# --port given in the args); sets SRV_PID, PORT, URL and SRV_LOG. Gives up
# after 20 s (a server under valgrind starts slowly) or when it exits.
start_server() {
  SRV_LOG=$TMP/server.$RANDOM
  local port_args=(--port 0) a
  for a in "$@"; do [ "$a" = --port ] && port_args=(); done
  "${SERVER_CMD[@]}" "${port_args[@]}" "$@" >"$SRV_LOG" 2>"$SRV_LOG.err" &
  SRV_PID=$!
  PIDS+=("$SRV_PID")
  PORT=
  for _ in $(seq 1 400); do
    PORT=$(sed -n 's/^listening on [0-9.]*:\([0-9][0-9]*\)$/\1/p' "$SRV_LOG")
    if [ -n "$PORT" ]; then
      URL="ws://127.0.0.1:$PORT/LiveApp/websocket"
      return 0
    fi
    kill -0 "$SRV_PID" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

# wait_for FILE PATTERN SECONDS: true once an extended regex matches a line.
wait_for() {
  local file=$1 pattern=$2 end
  end=$(awk -v a="$EPOCHREALTIME" -v s="$3" 'BEGIN { printf "%.3f", a + s }')
  while awk -v e="$end" -v t="$EPOCHREALTIME" 'BEGIN { exit !(t < e) }'; do
    grep -Eq -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  grep -Eq -- "$pattern" "$file" 2>/dev/null
}

# has_json FILE JSON: true when a line of FILE is a JSON object equal to JSON
# (same keys and values, any order): exact messages, not substrings.
has_json() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
want = json.loads(sys.argv[2])
for line in open(sys.argv[1], errors="replace"):
    line = line.strip()
    if not line.startswith("{"):
        continue
    try:
        if json.loads(line) == want:
            sys.exit(0)
    except ValueError:
        pass
sys.exit(1)
EOF
}

# has_event FILE EVENT [KEY=VALUE...]: a JSON-lines event (amsclient --json)
# with that event name and those string fields.
has_event() { local file=$1 event=$2; shift 2; has_msg "$file" event="$event" "$@"; }

# matching FILE KEY=VALUE...: a line for each JSON line of FILE (raw server
# message or amsclient event) whose fields include all those string/number
# values: its "time" as epoch seconds, "-" when it has none.
matching() {
  python3 - "$@" <<'PYEOF'
import datetime, json, sys
path, *pairs = sys.argv[1:]
want = dict(p.split("=", 1) for p in pairs)
for line in open(path, errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    if isinstance(o, dict) and all(k in o and str(o[k]) == v for k, v in want.items()):
        try:
            t = datetime.datetime.strptime(o["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
            print("%.3f" % t.replace(tzinfo=datetime.timezone.utc).timestamp())
        except (KeyError, TypeError, ValueError):
            print("-")
PYEOF
}

# Counts the JSON lines of FILE with all the given fields.
count_msg() { matching "$@" | wc -l; }
# has_msg FILE KEY=VALUE...: at least one such line.
has_msg() { [ "$(count_msg "$@")" -gt 0 ]; }

# wait_count FILE N SECONDS KEY=VALUE...: until at least N such lines.
wait_count() {
  local file=$1 want=$2 secs=$3 end; shift 3
  end=$(awk -v a="$EPOCHREALTIME" -v s="$secs" 'BEGIN { printf "%.3f", a + s }')
  while awk -v e="$end" -v t="$EPOCHREALTIME" 'BEGIN { exit !(t < e) }'; do
    [ "$(count_msg "$file" "$@")" -ge "$want" ] && return 0
    sleep 0.1
  done
  [ "$(count_msg "$file" "$@")" -ge "$want" ]
}
# wait_msg FILE SECONDS KEY=VALUE...: has_msg, retried until SECONDS pass.
wait_msg() { local file=$1 secs=$2; shift 2; wait_count "$file" 1 "$secs" "$@"; }

# frames_now FILE: the last video frame count an amsclient --json log reported.
frames_now() {
  python3 - "$1" <<'EOF'
import json, sys
last = 0
for line in open(sys.argv[1], errors="replace"):
    try:
        o = json.loads(line)
    except ValueError:
        continue
    for k in ("framesDecoded", "videoFramesDecoded"):
        if isinstance(o.get(k), int):
            last = o[k]
print(last)
EOF
}

# nth_time FILE N KEY=VALUE...: the "time" (as epoch seconds) of the Nth
# matching amsclient event, or nothing.  Latencies are measured from the
# events' own times, not from when a (slow, polling) check noticed them.
nth_time() { local file=$1 nth=$2; shift 2; matching "$file" "$@" | sed -n "${nth}p" | grep -v '^-$'; }

# delta T0 T1: T1 - T0 in seconds (2 decimals), "nan" when T1 is empty.
delta() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "") print "nan"; else printf "%.2f", b - a }'; }

# stop_server [PID]: SIGTERM, then a check that it exits 0 (a crash on the
# way out, e.g. SIGSEGV = 139, is a failure).
stop_server() {
  local pid=${1:-$SRV_PID} rc
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"; rc=$?
  check "ams-mini-server (pid $pid) exits 0 on SIGTERM (got $rc)" test "$rc" = 0
  [ "$rc" = 0 ] || show "$SRV_LOG.err" 10
}
