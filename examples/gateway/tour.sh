#!/usr/bin/env bash
# The operator's act (run by scripts/demo after the secure service tour, and by ctest as
# gateway_tour): an unmodified plain pyzmq service, zmq-gateway putting CURVE and a policy file in
# front of it, alice allowed through it, bob refused (zmq-monitor and zmq-logtail show it),
# alice's certificate revoked while she is connected and her connection cut, and the metrics
# counting each step. Every step checks what it shows; exit 0 when all did. The
# programs come from the environment:
#   ZMQ_CERT=... ZMQ_LOGTAIL=... ZMQ_MONITOR=... ZMQ_GATEWAY=... CURVE_CLIENT=... tour.sh
set -euo pipefail
: "${ZMQ_CERT:?}" "${ZMQ_LOGTAIL:?}" "${ZMQ_MONITOR:?}" "${ZMQ_GATEWAY:?}" "${CURVE_CLIENT:?}"
tour_name="gateway tour"
# shellcheck source=../tour_helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tour_helpers.sh"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=/usr/bin/python3  # Debian's python3-zmq

# The sum of the samples of metric $1 whose labels contain each of $2... (name="value"), in a
# scrape of $metrics, as a whole number.
metric() {
  "$python" -c 'import sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
lines = [l for l in text.splitlines() if l.startswith(sys.argv[2] + "{")]
print(int(sum(float(l.split()[-1]) for l in lines if all(f in l for f in sys.argv[3:]))))' \
    "$metrics" "$@"
}

started=$(date +%s.%N)

enter_work_folder

step "6. The operator's act: a service that speaks plain ZeroMQ, which nobody may change"
printf '$ %s\n' "python3 plain_service.py &"
"$python" -I -B "$here/plain_service.py" >service.out 2>&1 &
pids+=($!)
wait_for service.out 10 "service "
service=$(sed -n 's/^service //p' service.out)
echo "plain REP service at $service (no CURVE, no authentication)"

step "7. zmq-gateway in front of it: CURVE, and a policy file that lists alice alone"
run zmq-cert generate gateway --meta name=gateway
run zmq-cert generate alice --meta name=alice
run zmq-cert generate bob --meta name=bob
run mkdir gateway-clients
run cp alice.key gateway-clients/
cat >policy.toml <<'TOML'
[log]
decisions = "all"
[domains.gateway]
curve = { certificates = "gateway-clients/" }
TOML
sed 's/^/  /' policy.toml
printf '%s\n' "\$ zmq-gateway --front 'tcp://127.0.0.1:*' --back $service --pattern req-rep \\" \
  "    --cert gateway.key_secret --policy policy.toml --log 'tcp://127.0.0.1:*' --metrics 0 &"
"$ZMQ_GATEWAY" --front 'tcp://127.0.0.1:*' --back "$service" --pattern req-rep \
  --cert gateway.key_secret --policy policy.toml --log 'tcp://127.0.0.1:*' --metrics 0 \
  2> >(tee gateway.err | sed -u 's/^/  [gateway] /') &
gateway_pid=$!
pids+=($gateway_pid)
wait_for gateway.err 10 "log stream at "
wait_for gateway.err 10 "metrics at "
front=$(sed -n 's/.*\] front \([^ ]*\) (CURVE.*/\1/p' gateway.err)
logs=$(sed -n 's/.*log stream at //p' gateway.err)
metrics=$(sed -n 's/.*metrics at //p' gateway.err)
echo "front $front, log stream $logs, metrics $metrics"
printf '$ %s\n' "zmq-logtail $logs &"
"$ZMQ_LOGTAIL" "$logs" --color never > >(tee logtail.out | sed -u 's/^/  [logtail] /') \
  2>logtail.err &
pids+=($!)
wait_for logtail.err 10 "connected"
# A subscription reaches the log stream a moment after the connection: SIGHUP (a policy reload)
# until zmq-logtail prints the gateway's "policy reloaded".
deadline=$((SECONDS + 10))
until grep -qF "policy reloaded" logtail.out; do
  [ $SECONDS -lt $deadline ] || fail "zmq-logtail saw no record of the gateway"
  kill -HUP "$gateway_pid"
  sleep 0.2
done

step "8. alice is allowed through the gateway: the plain service answers her"
run curve_client "$front" --server-key gateway.key --cert alice.key_secret --requests 3 \
  | tee alice.out
grep -q "reply: hello from a plain service: request 3" alice.out || fail "alice got no answer"
wait_for logtail.out 10 "ZAP 200"

step "9. bob is refused at the gateway: zmq-monitor shows the 400, zmq-logtail the reason"
run timeout 10 "$ZMQ_MONITOR" --connect "$front" --curve-server-key gateway.key \
  --cert bob.key_secret --event HANDSHAKE_FAILED_AUTH --count 1 | tee bob.out
grep -q "HANDSHAKE_FAILED_AUTH.*400" bob.out || fail "bob's monitor did not show the 400"
wait_for logtail.out 10 "ZAP 400"

step "10. alice's certificate is revoked while she is connected: the gateway cuts her off"
printf '$ %s\n' "zmq-monitor --connect $front --curve-server-key gateway.key --cert alice.key_secret &"
"$ZMQ_MONITOR" --connect "$front" --curve-server-key gateway.key --cert alice.key_secret \
  --event HANDSHAKE_SUCCEEDED --event DISCONNECTED --event HANDSHAKE_FAILED_AUTH \
  > >(tee alice-monitor.out | sed -u 's/^/  [alice monitor] /') 2>/dev/null &
alice_monitor=$!
pids+=($alice_monitor)
wait_for alice-monitor.out 10 "HANDSHAKE_SUCCEEDED"
echo "alice is connected; the operator removes her certificate from the followed folder"
run rm gateway-clients/alice.key
wait_for alice-monitor.out 10 "DISCONNECTED"
wait_for alice-monitor.out 10 "ZAP status 400"
wait_for logtail.out 10 "revoked"
kill "$alice_monitor" 2>/dev/null || true
grep -F "revoked" logtail.out | head -n 1 | sed 's/^/  the log stream: /'

step "11. The metrics count each step"
accepted=$(metric zmqsec_auth_decisions_total 'domain="gateway"' 'status="200"')
refused=$(metric zmqsec_auth_decisions_total 'domain="gateway"' 'status="400"')
revoked=$(metric zmqsec_auth_revocations_total)
forwarded=$(metric zmqsec_proxy_sent_messages_total 'side="back"')
answered=$(metric zmqsec_proxy_sent_messages_total 'side="front"')
echo "  accepted handshakes $accepted, refused $refused, revoked sessions $revoked," \
  "requests forwarded $forwarded, replies $answered"
[ "$accepted" -ge 2 ] && [ "$refused" -ge 2 ] || fail "the decisions were not counted"
[ "$revoked" -ge 1 ] || fail "the revocation was not counted"
[ "$forwarded" -eq 3 ] && [ "$answered" -eq 3 ] || fail "the proxy did not count alice's 3"

elapsed=$(echo "$(date +%s.%N) $started" | awk '{printf "%.1f", $1 - $2}')
step "Summary of the operator's act"
echo "  service         plain pyzmq REP on $service, unchanged"
echo "  gateway         CURVE on $front, policy.toml (gateway-clients/, followed live)"
echo "  alice           3 requests answered by the plain service through the gateway"
echo "  bob             refused with 400 (zmq-monitor and the log stream showed it)"
echo "  revoked         alice cut while connected when her certificate left the folder; her"
echo "                  reconnection refused with 400 (zmq-monitor, the log stream, the metrics)"
echo "  time            ${elapsed} s"
