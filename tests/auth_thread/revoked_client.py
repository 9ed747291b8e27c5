"""A pyzmq client whose session the test revokes (session_guard_test.cpp): it connects a DEALER
with PLAIN credentials, says how its handshake ended, sends one message, then reports what its
monitor sees until the connection is cut and libzmq's reconnection is refused. One
"name value" pair per line, flushed as it happens.

  /usr/bin/python3 -I -B revoked_client.py ENDPOINT USER PASSWORD TIMEOUT_MS

Prints "handshake accepted" (then sends "hello from pyzmq"), "event disconnected", and
"reconnect refused <status>"; "handshake failed <event> <value>" or "timeout" otherwise.
Exit status: 0 once the reconnection was refused, 1 on an exception, 3 on a timeout.
"""

import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message


def say(*words):
    print(*words, flush=True)


def main(endpoint, user, password, timeout_ms):
    deadline = time.monotonic() + int(timeout_ms) / 1000.0
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.linger = 0
    socket.plain_username = user.encode("utf-8")
    socket.plain_password = password.encode("utf-8")
    monitor = socket.get_monitor_socket()
    accepted = False
    try:
        socket.connect(endpoint)
        while True:
            left = int((deadline - time.monotonic()) * 1000)
            if left <= 0 or not monitor.poll(left):
                say("timeout")
                return 3
            event = recv_monitor_message(monitor)
            kind, value = event["event"], event["value"]
            if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED and not accepted:
                accepted = True
                say("handshake accepted")
                socket.send(b"hello from pyzmq")
            elif kind == zmq.EVENT_DISCONNECTED and accepted:
                say("event disconnected")
            elif kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH and accepted:
                say("reconnect refused", value)
                return 0
            elif kind in (zmq.EVENT_HANDSHAKE_FAILED_AUTH, zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                          zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL):
                say("handshake failed", kind, value)
                return 0
    finally:
        # libzmq sends monitor events with blocking sends: stop the monitor before closing its
        # reader, then close the socket.
        socket.disable_monitor()
        monitor.close(linger=0)
        socket.close(linger=0)
        context.term()


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
