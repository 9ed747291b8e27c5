"""A service that speaks plain ZeroMQ and knows nothing of CURVE: a pyzmq REP socket on
127.0.0.1 that answers every request with "hello from a plain service: <request>". It prints
"service ENDPOINT" once bound, and runs until stopped. zmq-gateway puts CURVE in front of it.

  /usr/bin/python3 plain_service.py [ENDPOINT]     (default tcp://127.0.0.1:*)
"""

import signal
import sys

import zmq


def main(argv):
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    context = zmq.Context()
    socket = context.socket(zmq.REP)
    socket.linger = 0
    socket.bind(argv[1] if len(argv) > 1 else "tcp://127.0.0.1:*")
    print("service", socket.last_endpoint.decode(), flush=True)
    while True:
        request = socket.recv()
        socket.send(b"hello from a plain service: " + request)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
