#!/usr/bin/env bash
# amsclient's DTLS key cache, with the real CLI against ams-mini-server: a
# publish with the cache on by default writes $XDG_CACHE_HOME/amsclient/
# dtls-rsa2048.pem (directory 0700, file 0600, a valid RSA-2048 key); a
# second run uses it unchanged; --dtls-key-cache writes where it is told;
# --no-dtls-key-cache, and the same key in the config file, write nothing.
# Each run must reach publish_started (its DTLS handshake used the key).
#
# Loopback only, a free port, every process stopped by PID.
. "${AMS_TOP:?}/tests/lib/e2e.bash"

SLOW=${AMS_SLOW:-1}
[ -n "${AMS_VALGRIND:-}" ] && SLOW=8
ldd "$A" 2>/dev/null | grep -q libasan && [ -z "${AMS_SLOW:-}" ] && SLOW=4

printf '[server]\nstart-timeout-ms=%d\n' $((60000 * SLOW)) >"$tmp/server.conf"
start_miniserver "$tmp/server.conf" WebRTCAppEE

# publish NAME [ARGS...]: one publish until publish_started (then stopped);
# XDG_CACHE_HOME is $tmp/NAME.cache unless the caller's env says otherwise.
publish() {
  local name=$1; shift
  mkdir -p "$tmp/$name.cache"
  XDG_CACHE_HOME=${CACHE_HOME:-$tmp/$name.cache} "$A" publish --url "$url" --ice-filter loopback \
      --json --no-audio --stream "$name" "$@" >"$tmp/$name.json" 2>"$tmp/$name.err" &
  local pid=$!; pids="$pids $pid"
  if wait_for "$tmp/$name.json" '"event":"publish_started"' 60; then ok "$name: publish_started"
  else bad "$name: publish_started" "$(tail -5 "$tmp/$name.err")"; fi
  kill -INT "$pid" 2>/dev/null
  wait_pid "$pid" 30 >/dev/null
}
mode() { stat -c %a "$1" 2>/dev/null; }
rsa2048() { openssl pkey -in "$1" -noout -text 2>/dev/null | grep -q 'Private-Key: (2048 bit'; }

# 1. On by default: written under XDG_CACHE_HOME.
publish first
key=$tmp/first.cache/amsclient/dtls-rsa2048.pem
[ -f "$key" ] && ok "default: the key is written to \$XDG_CACHE_HOME/amsclient/dtls-rsa2048.pem" \
  || bad "default: the key is written" "$(ls -laR "$tmp/first.cache" 2>&1 | head -10)"
[ "$(mode "$key")" = 600 ] && [ "$(mode "${key%/*}")" = 700 ] && ok "default: file 0600, directory 0700" \
  || bad "default: file 0600, directory 0700" "file $(mode "$key"), directory $(mode "${key%/*}")"
rsa2048 "$key" && ok "default: the file holds an RSA-2048 private key" || bad "default: an RSA-2048 key" "$(head -c 200 "$key")"

# 2. The next run takes it and leaves it as it was.
cp "$key" "$tmp/key.before"
touch -d '1 minute ago' "$key"
stamp=$(stat -c %Y "$key")
CACHE_HOME=$tmp/first.cache publish second
cmp -s "$key" "$tmp/key.before" && [ "$(stat -c %Y "$key")" = "$stamp" ] \
  && ok "second run: the cached key is used, the file is not rewritten" \
  || bad "second run: the cached key is used" "the file changed"

# 3. --dtls-key-cache FILE, in a directory that does not exist yet.
publish explicit --dtls-key-cache "$tmp/elsewhere/deep/key.pem"
rsa2048 "$tmp/elsewhere/deep/key.pem" && [ "$(mode "$tmp/elsewhere/deep/key.pem")" = 600 ] \
  && [ ! -e "$tmp/explicit.cache/amsclient" ] && ok "--dtls-key-cache FILE: written there (0600), not to the default" \
  || bad "--dtls-key-cache FILE" "$(ls -laR "$tmp/elsewhere" "$tmp/explicit.cache" 2>&1 | head -10)"

# 4. --no-dtls-key-cache and the config key write nothing.
publish off --no-dtls-key-cache
[ ! -e "$tmp/off.cache/amsclient" ] && ok "--no-dtls-key-cache: nothing written" \
  || bad "--no-dtls-key-cache: nothing written" "$(ls -laR "$tmp/off.cache/amsclient")"
printf '[default]\nno-dtls-key-cache=true\n' >"$tmp/client.conf"
publish offconf --config "$tmp/client.conf"
[ ! -e "$tmp/offconf.cache/amsclient" ] && ok "no-dtls-key-cache=true in the config file: nothing written" \
  || bad "no-dtls-key-cache=true in the config file: nothing written" "$(ls -laR "$tmp/offconf.cache/amsclient")"

echo "1..$n"
exit $fail
