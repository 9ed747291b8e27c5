"""pyzmq's PUBHandler under load, for zmqsec_bench_logging: the reference for pub_sink's rate.

  /usr/bin/python3 logging_pyzmq.py ENDPOINT COUNT

Connects an XPUB socket to ENDPOINT (the benchmark's SUB, which binds), waits for its
subscription, then logs COUNT records through a PUBHandler on that socket with the pattern the
benchmark gives every sink ("[time] [logger] [level] request N served in 17 us"). Prints
"start=S" with time.monotonic() (CLOCK_MONOTONIC, the benchmark's steady_clock) when the first
record is logged, so the benchmark times from there to the last record it receives. Exits 3 if
no subscription arrives within 10 s.
"""

import logging
import sys
import time

import zmq
from zmq.log.handlers import PUBHandler


def main(endpoint, count):
    count = int(count)
    context = zmq.Context()
    socket = context.socket(zmq.XPUB)
    socket.connect(endpoint)
    if not socket.poll(10000):
        print("no subscription", file=sys.stderr)
        return 3
    socket.recv()

    handler = PUBHandler(socket)
    handler.setFormatter(
        logging.Formatter("[%(asctime)s.%(msecs)03d] [%(name)s] [%(levelname)s] %(message)s\n",
                          "%Y-%m-%d %H:%M:%S"))
    logger = logging.getLogger("bench")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)

    start = time.monotonic()
    for i in range(count):
        logger.info("request %d served in %d us", i, 17)
    print("start=%.9f" % start, flush=True)
    socket.close(linger=10000)
    context.term()
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))
