#!/usr/bin/env bash
# security: the checks of issue 9 item 5 that a running system can show.
#  - wss:// verification is on by default (the client unit test that proves
#    a self-signed certificate is refused is run here, not duplicated);
#  - tokens and secrets never appear in logs: server --verbose, amsclient
#    with every GLib debug message on, --json output and --print-config;
#  - ams-mini-server listens on 127.0.0.1 unless told otherwise (ss);
#  - refused tokens say nothing about why beyond the definition.
# Limits on connections and message rate are in abusive-clients.sh; the
# constant-time comparisons are checked by reading sdk/server/ams-tokens.c.
. "$(dirname "$0")/common.bash"

build_probe || { not_ok "build ws-probe"; finish; exit; }

# ------------------------------------------------------------ wss
TEST_CLIENT=$BUILD/tests/test-client
if [ -x "$TEST_CLIENT" ]; then
  "$TEST_CLIENT" -p /client/tls/refused-by-default --tap >"$TMP/tls.tap" 2>&1; rc=$?
  check "wss: a self-signed certificate is refused by default (test-client /client/tls/refused-by-default, exit $rc)" \
    bash -c '[ "$0" = 0 ] && grep -q "^ok 1 /client/tls/refused-by-default" "$1"' "$rc" "$TMP/tls.tap"
  grep -q "SKIP" "$TMP/tls.tap" && echo "# note: $(grep SKIP "$TMP/tls.tap" | head -1)"
else
  not_ok "wss: $TEST_CLIENT is built (make tests)"
fi
check "wss: the default is documented as verifying (amsclient(1) --insecure is opt-in)" \
  grep -q 'Accept a self\\-signed server certificate' "$AMS_TOP/man/amsclient.1"

# ------------------------------------------------------------ secrets in logs
# Distinctive values, so that a grep cannot match anything else.
JWT_SECRET=jwtsecret5f3a9c1e HASH_SECRET=hashsecret8b2d7e4f TOTP_SECRET=JBSWY3DPEHPK3PXPQ4ZA
AUTH_KEY=authkey7c9e1a3b OTT=onetime2e8f6d4c
cat >"$TMP/secrets.conf" <<EOF
[tokens]
one-time-play=true
one-time=$OTT:sec1:play
jwt-publish=true
jwt-secret=$JWT_SECRET
hash-secret=$HASH_SECRET
totp-secret=$TOTP_SECRET
subscriber-auth-key=$AUTH_KEY
EOF
if ! start_server --verbose --config "$TMP/secrets.conf"; then
  not_ok "ams-mini-server --verbose starts with secrets configured"; show "$SRV_LOG.err"; finish; exit
fi
# A JWT signed with the secret, for stream sec1, publish (HS256 by hand with openssl).
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
hdr=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
pay=$(printf '{"streamId":"sec1","type":"publish","exp":%d}' $(( $(date +%s) + 600 )) | b64url)
sig=$(printf '%s.%s' "$hdr" "$pay" | openssl dgst -sha256 -hmac "$JWT_SECRET" -binary | b64url)
JWT="$hdr.$pay.$sig"
BAD_TOKEN=wrongtoken4d1c9a7e

# Clients with every debug message on, carrying the tokens.
export G_MESSAGES_DEBUG=all
printf '{"command":"publish","streamId":"sec1","token":"%s"}\n!sleep 300\n{"command":"stop","streamId":"sec1"}\n{"command":"play","streamId":"sec1","token":"%s"}\n{"command":"publish","streamId":"sec2","token":"%s"}\n!sleep 500\n!close\n' \
  "$JWT" "$BAD_TOKEN" "$BAD_TOKEN" | "$PROBE" "$URL" 5 >"$TMP/probe.out"
check "the JWT is accepted (start) and the bad ones refused (unauthorized_access)" \
  bash -c 'grep -q "\"command\":\"start\",\"streamId\":\"sec1\"" "$0" && [ "$(grep -c unauthorized_access "$0")" = 2 ]' \
  "$TMP/probe.out"
"$AMSCLIENT_BIN" info --url "$URL" --stream sec1 --token "$BAD_TOKEN" --json >"$TMP/info.json" 2>"$TMP/info.err"
"$AMSCLIENT_BIN" play --url "$URL" --stream sec1 --token "$OTT" --json --ice-filter loopback --frames 1 \
  --connect-timeout 5 >"$TMP/play.json" 2>"$TMP/play.err" &
PLAY=$!; PIDS+=("$PLAY")
printf '%s\n' "$JWT" >"$TMP/token-file"
"$AMSCLIENT_BIN" publish --url "$URL" --stream sec1 --token-file "$TMP/token-file" --json \
  --ice-filter loopback --frames 10 >"$TMP/pub.json" 2>"$TMP/pub.err"
sleep 0.5; kill -INT "$PLAY" 2>/dev/null; wait "$PLAY" 2>/dev/null
check "amsclient publish with the JWT from --token-file is accepted (publish_started)" \
  has_msg "$TMP/pub.json" event=publish_started streamId=sec1
"$AMSCLIENT_BIN" publish --stream sec1 --token "$BAD_TOKEN" --print-config >"$TMP/print.out" 2>&1
AMSCLIENT_TOKEN=$BAD_TOKEN "$AMSCLIENT_BIN" publish --stream sec1 --print-config >"$TMP/print-env.out" 2>&1
unset G_MESSAGES_DEBUG
stop_server

logs=("$SRV_LOG" "$SRV_LOG.err" "$TMP/info.json" "$TMP/info.err" "$TMP/play.json" "$TMP/play.err"
      "$TMP/pub.json" "$TMP/pub.err" "$TMP/print.out" "$TMP/print-env.out")
echo "# log sizes (bytes): $(wc -c "${logs[@]}" | tail -1)"
check "the server's --verbose log is on stderr and not empty (the check looks at something)" \
  grep -q "connection 1 opened" "$SRV_LOG.err"
check "the server's stdout is only the 'listening on' line, even with --verbose" \
  bash -c '[ "$(grep -vc "^listening on " "$0")" = 0 ]' "$SRV_LOG"
check "amsclient --json stdout stays JSON lines with every debug message on" \
  python3 -c 'import json, sys
for path in sys.argv[1:]:
    for line in open(path):
        json.loads(line)' "$TMP/pub.json" "$TMP/play.json" "$TMP/info.json"
for name in JWT_SECRET HASH_SECRET TOTP_SECRET AUTH_KEY OTT JWT BAD_TOKEN; do
  value=${!name}
  hits=$(grep -lF -- "$value" "${logs[@]}" 2>/dev/null | sed "s|$TMP/||" | tr '\n' ' ')
  check "$name appears in no log, output or --print-config${hits:+ (found in: $hits)}" test -z "$hits"
done
check "--print-config says a token is set without printing it" \
  bash -c 'grep -qi "token" "$0"' "$TMP/print.out"

# ------------------------------------------------------------ bind address
if start_server; then
  listen=$(ss -Htlnp 2>/dev/null | grep "pid=$SRV_PID," | awk '{ print $4 }' | sort -u | tr '\n' ' ')
  echo "# TCP listening sockets of the server: $listen"
  check "by default the server listens on 127.0.0.1:$PORT only (ss: $listen)" \
    test "$listen" = "127.0.0.1:$PORT "
  # The media relay's UDP sockets during a publish, for the record: ICE
  # gathers on every local address by default ([media] ice-address).
  "$AMSCLIENT_BIN" publish --url "$URL" --stream bind1 --json --ice-filter loopback \
    >"$TMP/bind-pub.json" 2>&1 &
  BPUB=$!; PIDS+=("$BPUB")
  wait_msg "$TMP/bind-pub.json" $((15 * SLOW)) event=publish_started streamId=bind1
  udp=$(ss -Huanp 2>/dev/null | grep "pid=$SRV_PID," | awk '{ print $4 }' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
  echo "# UDP sockets of the server's relay during a publish (default ice-address): ${udp:-none}"
  kill -INT "$BPUB"; wait "$BPUB" 2>/dev/null
  stop_server
else
  not_ok "ams-mini-server starts"
fi
{ cat "$SLOW_CONF"; printf '[media]\nice-address=127.0.0.1\n'; } >"$TMP/loop.conf"
if start_server --config "$TMP/loop.conf"; then
  "$AMSCLIENT_BIN" publish --url "$URL" --stream bind2 --json --ice-filter loopback \
    >"$TMP/bind2-pub.json" 2>&1 &
  BPUB=$!; PIDS+=("$BPUB")
  if wait_msg "$TMP/bind2-pub.json" $((15 * SLOW)) event=publish_started streamId=bind2; then
    udp=$(ss -Huanp 2>/dev/null | grep "pid=$SRV_PID," | awk '{ print $4 }' | sed 's/:[0-9]*$//' | sort -u | tr '\n' ' ')
    check "with [media] ice-address=127.0.0.1 every UDP socket of the relay is on loopback (${udp:-none})" \
      bash -c '[ -n "$0" ] && ! printf "%s\n" $0 | grep -vq "^127\."' "$udp"
  else
    not_ok "publish_started with [media] ice-address=127.0.0.1"; show "$TMP/bind2-pub.json" 5
  fi
  kill -INT "$BPUB"; wait "$BPUB" 2>/dev/null
  stop_server
fi
# Told otherwise: --bind 0.0.0.0 is honoured (and only then).
if start_server --bind 0.0.0.0; then
  listen=$(ss -Htlnp 2>/dev/null | grep "pid=$SRV_PID," | awk '{ print $4 }' | sort -u | tr '\n' ' ')
  check "--bind 0.0.0.0 listens on every address when asked ($listen)" test "$listen" = "0.0.0.0:$PORT "
  stop_server
fi
finish
