#!/usr/bin/env bash
# Runs every test suite and ends with one line "N passed, N failed".
#
# A suite is any program that prints TAP ("ok N - name" / "not ok N - name"):
#   build/tests/test-*        unit tests (GLib test framework, run with --tap)
#   tests/e2e/*.sh            end to end: real servers, real media, loopback only
#   tests/faults/*.sh         fault injection
#   tests/load/*.sh           load and soak (LOAD_SECONDS, default 15; `make soak` runs 60)
#   tests/interop/*.sh        the official JavaScript SDK in Chromium
#   tests/build/*.sh          install, pkg-config, man pages, fuzzers, samples
# A suite that exits non-zero without reporting a failure counts as one.
#
# TESTS="pattern ..." runs only the suites whose path matches one pattern.
# AMS_VALGRIND=1 (`make valgrind`) runs the unit tests under valgrind, and
# the end-to-end suites with amsclient and ams-mini-server under valgrind
# (tests/helpers/valgrind-wrap.sh); see VALGRIND_SUITES below.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD AMS_TOP=$PWD
export AMSCLIENT_BIN=$PWD/$BUILD/bin/amsclient MINISERVER_BIN=$PWD/$BUILD/bin/ams-mini-server
# Tests never read a user's config file or environment by accident.
export AMSCLIENT_NO_CONFIG=1
unset AMSCLIENT_URL AMSCLIENT_TOKEN
# GStreamer's registry cache is per user; keep it in the build tree so
# parallel and sanitised runs do not fight over it.
export GST_REGISTRY=$PWD/$BUILD/gst-registry.bin
# Sanitised runs: LeakSanitizer applies tests/lsan.supp (libraries' own
# leaks), which needs real malloc stacks (GLib has no frame pointers, the
# fast unwinder stops in it); 8 frames reach the suppressed functions and
# keep media about 2x slower instead of 4-7x with full stacks.
if [ -n "${SANITIZE:-}" ]; then
  export ASAN_OPTIONS=${ASAN_OPTIONS:-fast_unwind_on_malloc=0:malloc_context_size=8}
  export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}
fi

LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

# Valgrind: the suites' programs become scripts that exec the real ones
# under memcheck, each process logging to $AMS_VALGRIND_LOGDIR (one
# directory per suite, checked after it).  Without TESTS, only the unit
# tests and the end-to-end suites in VALGRIND_SUITES run: the build, fault,
# load and interop suites test other things (compilers, SIGKILL, network
# namespaces, thousands of connections, browsers) that valgrind's 20-50x
# slowdown turns into timing failures and that the sanitizer build covers.
# Left out of the default, to bound the run: relay-fanout and
# conference-multitrack, the suites with the most WebRTC peers encoding and
# decoding at once (the other conference suite, conference-legacy, stays);
# TESTS=name runs them anyway.
VALGRIND_SUITES=${VALGRIND_SUITES:-"/tests/test- server-signalling cli-basic media-publish-play
  p2p-basic conference-legacy room-script"}
if [ -n "${AMS_VALGRIND:-}" ]; then
  vgbin=$PWD/$BUILD/valgrind-bin
  mkdir -p "$vgbin"
  for prog in "$AMSCLIENT_BIN" "$MINISERVER_BIN"; do
    printf '#!/bin/sh\nexec "%s/tests/helpers/valgrind-wrap.sh" "%s" "$@"\n' "$AMS_TOP" "$prog" \
      >"$vgbin/${prog##*/}"
    chmod +x "$vgbin/${prog##*/}"
  done
  export AMSCLIENT_BIN=$vgbin/amsclient MINISERVER_BIN=$vgbin/ams-mini-server
  [ -z "${TESTS:-}" ] && TESTS=$VALGRIND_SUITES
fi
passed=0 failed=0
failures=()

suites=()
for f in "$BUILD"/tests/test-*; do [ -x "$f" ] && suites+=("$f"); done
for d in tests/build tests/e2e tests/faults tests/load tests/interop; do
  for f in "$d"/*.sh; do [ -f "$f" ] && suites+=("$f"); done
done
# run-interop.sh is `make interop`'s runner of the interop suites, not a suite.
for i in "${!suites[@]}"; do [[ ${suites[$i]} == */run-interop.sh ]] && unset 'suites[i]'; done

selected() {
  [ -z "${TESTS:-}" ] && return 0
  local p; for p in $TESTS; do [[ "$1" == *"$p"* ]] && return 0; done
  return 1
}

for s in "${suites[@]}"; do
  selected "$s" || continue
  name=$(basename "$s")
  log="$LOGDIR/$name.log"
  case "$s" in
    *.sh) cmd=(bash "$s") ; limit=900
       [ -n "${AMS_VALGRIND:-}" ] && limit=2400 ;;
    *) limit=300
       if [ -n "${AMS_VALGRIND:-}" ]; then
         # Media tests (real encode/decode) run ~30x slower under valgrind.
         limit=3600
         # 40 frames: the suppressions' anchors (libgstdtls under OpenSSL)
         # sit deeper than valgrind's default 12.  Not --fair-sched=yes
         # (see helpers/valgrind-wrap.sh).
         cmd=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
              --num-callers=40 --suppressions=tests/valgrind.supp "$s" --tap)
       else cmd=("$s" --tap); fi ;;
  esac
  start=$EPOCHREALTIME
  vglogs=$PWD/$LOGDIR/valgrind/$name
  rm -rf "$vglogs"
  # Sanitised runs: every process writes its AddressSanitizer and
  # LeakSanitizer reports to files here, checked below (the suites do not
  # keep every program's stderr). UBSan's reports stay on stderr whatever
  # log_path says (GCC 12, combined with ASan): halt_on_error makes
  # undefined behaviour end the process, which the suites see.
  sanlogs=$PWD/$LOGDIR/sanitizer/$name
  rm -rf "$sanlogs"
  sanenv=()
  if [ -n "${SANITIZE:-}" ]; then
    mkdir -p "$sanlogs"
    sanenv=(ASAN_OPTIONS="$ASAN_OPTIONS:log_path=$sanlogs/asan"
            UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}")
  fi
  env AMS_VALGRIND_LOGDIR="$vglogs" "${sanenv[@]}" timeout -k 10 "$limit" "${cmd[@]}" >"$log" 2>&1
  rc=$?
  secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
  ok=$(grep -cE '^ok [0-9]+' "$log")
  skip=$(grep -cE '^ok [0-9]+.*# (SKIP|skip)' "$log")
  bad=$(grep -cE '^not ok [0-9]+' "$log")
  ok=$((ok - skip))
  if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1
    echo "not ok - $name exited with status $rc" >>"$log"; fi
  # A program that valgrind found errors in (or definite leaks) fails the
  # suite even when the suite did not look at its exit status.
  for v in "$vglogs"/*.log; do
    [ -f "$v" ] || continue
    errs=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$v" | tail -1)
    # A process killed before its summary: count the errors it printed.
    [ -z "$errs" ] && errs=$(grep -cE '^==[0-9]+== (Invalid (read|write|free)|Conditional jump|Use of uninitialised|Syscall param|Mismatched free|Source and destination overlap)' "$v")
    if [ -n "$errs" ] && [ "$errs" -gt 0 ]; then
      bad=$((bad + 1))
      echo "not ok - valgrind: $errs errors in ${v##*/} (see $v)" >>"$log"
    else rm -f "$v"; fi
  done
  # Any sanitizer report from any process fails the suite.
  for v in "$sanlogs"/*; do
    [ -f "$v" ] || continue
    bad=$((bad + 1))
    echo "not ok - sanitizer: $(grep -m1 -E 'ERROR: |runtime error' "$v" | cut -c1-200) (see $v)" >>"$log"
  done
  passed=$((passed + ok)); failed=$((failed + bad))
  if [ "$bad" -gt 0 ]; then
    failures+=("$name")
    printf '%-40s %3d passed, %3d failed  (%ss)  FAIL, see %s\n' "$name" "$ok" "$bad" "$secs" "$log"
    grep -E '^not ok' "$log" | head -20 | sed 's/^/    /'
  else
    printf '%-40s %3d passed%s  (%ss)\n' "$name" "$ok" "$([ "$skip" -gt 0 ] && echo ", $skip skipped")" "$secs"
  fi
done

echo
[ ${#failures[@]} -gt 0 ] && echo "failed suites: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
