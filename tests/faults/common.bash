# common.bash: the fault suites' helpers, shared with the end-to-end suites
# in tests/lib/common.bash (sourced here so that every fault suite keeps
# sourcing "$(dirname "$0")/common.bash").
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.bash"

# SLOW scales the fault suites' waits and the server's publish start
# timeout (10 s by default; a sanitised publisher on a loaded machine may
# not have its media up by then): programs built with sanitizers run 2-4x
# slower, under valgrind 20-50x. AMS_SLOW=N sets it by hand. The latency
# bounds a suite asserts (e.g. "within 5 s") keep their normal-build value
# when SLOW is 1.
if [ -n "${AMS_SLOW:-}" ]; then SLOW=$AMS_SLOW
elif [ -n "${AMS_VALGRIND:-}" ]; then SLOW=8
elif [ -n "${SANITIZE:-}" ] || ldd "$AMSCLIENT_BIN" 2>/dev/null | grep -q libasan; then SLOW=4
else SLOW=1; fi
# A server configuration with that start timeout ([server] start-timeout-ms),
# written once; suites pass --config "$SLOW_CONF" (or copy its line).
SLOW_CONF=$TMP/slow.conf
printf '[server]\nstart-timeout-ms=%d\n' $((10000 * SLOW)) >"$SLOW_CONF"
