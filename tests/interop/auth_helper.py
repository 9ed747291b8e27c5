"""pyzmq clients for the authenticator interop tests (auth_interop_test.cpp): each command
connects one pyzmq DEALER to a server of the test, says how its handshake ended as libzmq's
monitor reports it, and on success sends a message and prints the server's answer. One
"name value" pair per line.

Run by tests/interop with /usr/bin/python3 -I -B -X utf8, values passed as arguments:

  plain_client ENDPOINT USER PASSWORD TIMEOUT_MS
  curve_client ENDPOINT CLIENT_SECRET_FILE SERVER_PUBLIC_FILE TIMEOUT_MS
      (the keys read with zmq.auth.load_certificate)

Prints:
  result accepted        then: reply <what the server answered to "hello from pyzmq">
  result refused <status>   (HANDSHAKE_FAILED_AUTH, with the ZAP status code)
  result failed <event> <value>   (any other end of the handshake)
  result timeout         (nothing within TIMEOUT_MS; exit status 3)

Exit status: 0 done (whatever the result), 2 bad usage, 3 timeout; an exception exits 1.
"""

import sys

import zmq
import zmq.auth
from zmq.utils.monitor import recv_monitor_message

HANDSHAKE_END = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


def run(configure, endpoint, timeout_ms):
    timeout_ms = int(timeout_ms)
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.linger = 0
    configure(socket)
    monitor = socket.get_monitor_socket(HANDSHAKE_END)
    try:
        socket.connect(endpoint)
        if not monitor.poll(timeout_ms):
            print("result timeout")
            return 3
        event = recv_monitor_message(monitor)
        if event["event"] == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            socket.send(b"hello from pyzmq")
            if not socket.poll(timeout_ms):
                print("result timeout")
                return 3
            print("result accepted")
            print("reply", socket.recv().decode("utf-8", "replace"))
        elif event["event"] == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            print("result refused", event["value"])
        else:
            print("result failed", event["event"], event["value"])
        return 0
    finally:
        # libzmq sends monitor events with blocking sends: stop the monitor before closing its
        # reader, then close the socket.
        socket.disable_monitor()
        monitor.close(linger=0)
        socket.close(linger=0)
        context.term()


def plain_client(endpoint, user, password, timeout_ms):
    def configure(socket):
        socket.plain_username = user.encode("utf-8")
        socket.plain_password = password.encode("utf-8")

    return run(configure, endpoint, timeout_ms)


def curve_client(endpoint, client_secret_file, server_public_file, timeout_ms):
    client_public, client_secret = zmq.auth.load_certificate(client_secret_file)
    server_public, _ = zmq.auth.load_certificate(server_public_file)
    if client_secret is None:
        print(client_secret_file, "holds no secret key", file=sys.stderr)
        return 1

    def configure(socket):
        socket.curve_secretkey = client_secret
        socket.curve_publickey = client_public
        socket.curve_serverkey = server_public

    return run(configure, endpoint, timeout_ms)


COMMANDS = {
    "plain_client": (plain_client, 4),
    "curve_client": (curve_client, 4),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    function, count = COMMANDS[argv[1]]
    args = argv[2:]
    if len(args) != count:
        print(__doc__, file=sys.stderr)
        return 2
    return function(*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
