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
# --fair-sched=yes: valgrind runs one thread at a time, and its default lock
# lets a busy thread keep it; the server's DTLS-key prewarm thread (an RSA
# keygen, ~20 s under valgrind) then starved its main loop, which served no
# connection meanwhile (server-signalling's probes got no answer).
# Possible/reachable leaks are not errors (GLib and GStreamer keep type
# data and thread pools until exit) and are not printed.
prog=$1
shift
logdir=${AMS_VALGRIND_LOGDIR:-${TMPDIR:-/tmp}}
mkdir -p "$logdir"
exec valgrind --fair-sched=yes --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite --num-callers=40 --track-origins=no \
  --suppressions="${AMS_TOP:?}/tests/valgrind.supp" \
  --log-file="$logdir/$(basename "$prog").%p.log" "$prog" "$@"
