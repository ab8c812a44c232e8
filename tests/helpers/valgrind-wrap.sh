#!/bin/sh
# valgrind-wrap.sh PROGRAM [ARGS...]: runs PROGRAM under memcheck for the
# end-to-end suites of `make valgrind` (tests/run-tests.sh points
# $AMSCLIENT_BIN and $MINISERVER_BIN at small scripts that exec this one).
#
# exec keeps the PID: the suites' kill/wait reach the program itself, and
# a SIGTERM/SIGINT the program handles still ends with the leak check.
#
# Each process writes its own log, AMS_VALGRIND_LOGDIR/NAME.PID.log;
# run-tests.sh fails the suite when any log's ERROR SUMMARY is not 0
# (memory errors or definite leaks), whatever exit status the suite
# expected. --error-exitcode=99 makes such a run visible to the suite too.
# Not --fair-sched=yes: it keeps one busy thread from starving the others
# (the server's DTLS-key prewarm, ~20 s of RSA keygen under valgrind, held
# off its main loop), but slowed the media pipelines past every bound; the
# suites' waits scale with AMS_SLOW instead.
# Possible/reachable leaks are not errors (GLib and GStreamer keep type
# data and thread pools until exit) and are not printed.
prog=$1
shift
logdir=${AMS_VALGRIND_LOGDIR:-${TMPDIR:-/tmp}}
mkdir -p "$logdir"
exec valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --num-callers=40 --track-origins=no \
  --suppressions="${AMS_TOP:?}/tests/valgrind.supp" \
  --log-file="$logdir/$(basename "$prog").%p.log" "$prog" "$@"
