"""A pyzmq server with pyzmq's own ThreadAuthenticator, for the monitor tests (auth_test.cpp):
a ROUTER with PLAIN bound at ENDPOINT, the authenticator knowing one user. It says how the first
handshake ended, as its own monitor (pyzmq's helpers) reports it, and exits.

Run with /usr/bin/python3 -I -B:

  pyzmq_server.py ENDPOINT USER PASSWORD TIMEOUT_MS

Prints "bound ENDPOINT", then "server_event EVENT VALUE" (the numbers of the first
handshake-ending event) or "timeout" (exit status 3). Exit status 2: bad usage.
"""

import sys

import zmq
from zmq.auth.thread import ThreadAuthenticator
from zmq.utils.monitor import recv_monitor_message

HANDSHAKE_END = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    endpoint, user, password, timeout_ms = argv[1], argv[2], argv[3], int(argv[4])
    context = zmq.Context()
    auth = ThreadAuthenticator(context)
    auth.start()
    auth.configure_plain(domain="*", passwords={user: password})
    server = context.socket(zmq.ROUTER)
    server.linger = 0
    server.plain_server = True
    monitor = server.get_monitor_socket(HANDSHAKE_END)
    try:
        server.bind(endpoint)
        print("bound", endpoint, flush=True)
        if not monitor.poll(timeout_ms):
            print("timeout", flush=True)
            return 3
        event = recv_monitor_message(monitor)
        print("server_event", event["event"], event["value"], flush=True)
        return 0
    finally:
        server.disable_monitor()
        monitor.close(linger=0)
        server.close(linger=0)
        auth.stop()
        context.term()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
