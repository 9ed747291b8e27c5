#!/usr/bin/env bash
# The secure service tour (run by scripts/demo after it builds, and by ctest as
# secure_service_tour): certificates from zmq-cert, secure_service with its authenticator and
# CURVE log stream, zmq-logtail reading it, alice allowed, bob refused then admitted live.
# Every step checks what it shows; exit 0 when all did. The programs come from the environment:
#   ZMQ_CERT=... ZMQ_LOGTAIL=... SECURE_SERVICE=... CURVE_CLIENT=... tour.sh
set -euo pipefail
: "${ZMQ_CERT:?}" "${ZMQ_LOGTAIL:?}" "${SECURE_SERVICE:?}" "${CURVE_CLIENT:?}"
tour_name="tour"
# shellcheck source=../tour_helpers.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tour_helpers.sh"

started=$(date +%s.%N)
enter_work_folder

step "1. Certificates: a server, two clients and an operator; alice and the operator are allowed"
run zmq-cert generate server --meta name=demo-server
run zmq-cert generate alice --meta name=alice
run zmq-cert generate bob --meta name=bob
run zmq-cert generate operator --meta name=operator
run zmq-cert verify server.key_secret
run mkdir allowed
run cp alice.key operator.key allowed/
run zmq-cert list allowed

step "2. The server, and zmq-logtail on its CURVE-secured log stream"
printf '$ %s\n' "secure_service --cert server.key_secret --clients allowed &"
"$SECURE_SERVICE" --cert server.key_secret --clients allowed >endpoints 2>server.log &
pids+=($!)
wait_for endpoints 10 "logs "
service=$(sed -n 's/^service //p' endpoints)
logs=$(sed -n 's/^logs //p' endpoints)
echo "service at $service, log stream at $logs"
printf '$ %s\n' "zmq-logtail $logs --curve-server-key server.key --curve-cert operator.key_secret &"
"$ZMQ_LOGTAIL" "$logs" --curve-server-key server.key --curve-cert operator.key_secret \
  --color never > >(tee logtail.out | sed -u 's/^/  [logtail] /') 2>&1 &
pids+=($!)
# The authenticator's decision for the operator is in the server's own log (stderr) at once.
wait_for server.log 10 'ZAP 200 OK: domain="logs"'

step "3. alice is allowed: her requests are answered and the log names her"
run curve_client "$service" --server-key server.key --cert alice.key_secret --requests 3 \
  | tee alice.out
grep -q "reply: hello alice: request 3" alice.out || fail "alice got no answer"
wait_for logtail.out 10 "from alice: request 3"

step "4. bob is refused: his monitor shows HANDSHAKE_FAILED_AUTH 400, the log says why"
if run curve_client "$service" --server-key server.key --cert bob.key_secret | tee bob.out; then
  fail "bob was let in without a certificate in the folder"
fi
grep -q "HANDSHAKE_FAILED_AUTH.*400" bob.out || fail "bob's monitor did not show the 400"
wait_for logtail.out 10 "ZAP 400"

step "5. bob's certificate is added while everything runs; bob is accepted at his next try"
printf '$ %s\n' "curve_client $service --server-key server.key --cert bob.key_secret --retry-for 20 &"
"$CURVE_CLIENT" "$service" --server-key server.key --cert bob.key_secret \
  --retry-for 20 >bob-retry.out 2>&1 &
bob_pid=$!
pids+=($bob_pid)
wait_for bob-retry.out 10 "HANDSHAKE_FAILED_AUTH"
run cp bob.key allowed/
wait "$bob_pid" || { cat bob-retry.out; fail "bob was not accepted after his certificate was added"; }
grep -E "HANDSHAKE_SUCCEEDED|reply:" bob-retry.out
wait_for logtail.out 10 "from bob: request 3"

elapsed=$(echo "$(date +%s.%N) $started" | awk '{printf "%.1f", $1 - $2}')
step "Summary"
alice_key=$(zmq-cert show alice.key | sed -n 's/^public key: //p')
bob_key=$(zmq-cert show bob.key | sed -n 's/^public key: //p')
echo "  server          CURVE on $service, thread_authenticator over allowed/ (followed live)"
echo "  log stream      CURVE pub_sink on $logs, read by zmq-logtail as 'operator'"
echo "  alice           $alice_key: 3 requests answered, named from her certificate"
echo "  bob             $bob_key: refused with 400 (his monitor and the log showed it),"
echo "                  then accepted after bob.key was copied into allowed/, no restart"
echo "  log records     $(wc -l <logtail.out) received by zmq-logtail"
echo "  time            ${elapsed} s"
