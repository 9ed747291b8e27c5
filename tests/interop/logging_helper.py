"""pyzmq's side of the logging interop tests: a pyzmq SUB that reads zmqsec's pub_sink, and pyzmq's
own PUBHandler publishing records for zmqsec's subscriber and zmq-logtail.

Run by tests/interop with /usr/bin/python3 -I -B -X utf8:

  sub ENDPOINT COUNT TIMEOUT_MS [TOPIC ...]
      connects a SUB socket to ENDPOINT, subscribed to each TOPIC ("" if none), and prints each of
      the COUNT messages it receives as one line "frames <hex> <hex> ..."; prints timeout and
      exits 3 if they do not all arrive within TIMEOUT_MS
  pubhandler ENDPOINT ROOT_TOPIC SUBSCRIPTIONS TIMEOUT_MS
      connects an XPUB socket to ENDPOINT (a subscriber that binds), waits for SUBSCRIPTIONS
      subscribe requests, then logs through a PUBHandler on that socket with its default
      formatters: debug "dbg", info "hello", warning "disk::low space", error "boom",
      critical "net.tcp::down", info "unicode ✓ ü"; prints "line <n>" with the line number of
      the debug call and exits 3 if the subscriptions do not arrive within TIMEOUT_MS

Exit status: 0 done, 2 bad usage, 3 timed out; an exception exits 1 with a trace.
"""

import inspect
import logging
import sys

import zmq
from zmq.log.handlers import PUBHandler


def sub(endpoint, count, timeout_ms, *topics):
    context = zmq.Context()
    socket = context.socket(zmq.SUB)
    socket.linger = 0
    for topic in topics or ("",):
        socket.setsockopt(zmq.SUBSCRIBE, topic.encode("utf8"))
    socket.connect(endpoint)
    for _ in range(int(count)):
        if not socket.poll(int(timeout_ms)):
            print("timeout")
            return 3
        frames = socket.recv_multipart()
        print("frames", " ".join(frame.hex() for frame in frames))
    socket.close()
    context.term()
    return 0


def pubhandler(endpoint, root_topic, subscriptions, timeout_ms):
    context = zmq.Context()
    socket = context.socket(zmq.XPUB)
    socket.connect(endpoint)
    # XPUB: the subscriptions have reached us, so the records will reach the subscriber.
    for _ in range(int(subscriptions)):
        if not socket.poll(int(timeout_ms)):
            print("timeout")
            return 3
        socket.recv()

    handler = PUBHandler(socket)
    handler.root_topic = root_topic
    logger = logging.getLogger("interop")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    line = sys._getframe().f_lineno + 1
    logger.debug("dbg")
    logger.info("hello")
    logger.warning("disk::low space")
    logger.error("boom")
    logger.critical("net.tcp::down")
    logger.info("unicode ✓ ü")
    print("line", line)
    socket.close(linger=5000)  # what is queued still leaves
    context.term()
    return 0


COMMANDS = {"sub": sub, "pubhandler": pubhandler}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print("usage: logging_helper.py sub|pubhandler ARGS...", file=sys.stderr)
        return 2
    command = COMMANDS[argv[1]]
    try:
        inspect.signature(command).bind(*argv[2:])
    except TypeError as e:
        print("bad arguments:", e, file=sys.stderr)
        return 2
    return command(*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
