"""pyzmq peers on either side of a zmqsec proxy: an unmodified plain service behind it and the
clients in front of it. Run by tests/proxy and tests/cli with /usr/bin/python3 -I -B -X utf8:

  service KIND ENDPOINT COUNT TIMEOUT_MS
      a plain (NULL) socket that binds ENDPOINT ("@tcp://127.0.0.1:*" or without the "@"), or
      connects to it (">tcp://..."), and prints "bound <endpoint>" (bound or connected). rep, router: answers COUNT
      requests with "re:" + the request, then exits 0. pull: prints "got <text>" for each of
      COUNT messages, then exits 0. pub: publishes "news <n>" every 5 ms until TIMEOUT_MS passes
      (exits 0). Exits 3 ("timeout") when COUNT do not arrive within TIMEOUT_MS.
  client KIND ENDPOINT COUNT TIMEOUT_MS [SERVER_KEY PUBLIC_KEY SECRET_KEY]
      connects (a CURVE client with those Z85 keys when given) and: req, dealer: sends
      "hello <n>" COUNT times, each answered before the next; push: sends COUNT messages
      "hello <n>"; sub: receives COUNT messages. Prints "ok COUNT" and exits 0, or "timeout" and
      exits 3 when an answer does not arrive within TIMEOUT_MS.

Exit status: 0 done, 2 bad usage, 3 timed out; an exception exits 1 with a trace.
"""

import sys
import time

import zmq


def service(kind, endpoint, count, timeout_ms, *curve_secret):
    count, timeout_ms = int(count), int(timeout_ms)
    context = zmq.Context()
    socket = context.socket(getattr(zmq, kind.upper()))
    socket.linger = 1000
    if curve_secret:  # a CURVE server (no ZAP handler: any client key is let in)
        socket.curve_server = True
        socket.curve_secretkey = curve_secret[0].encode()
    if endpoint.startswith(">"):
        socket.connect(endpoint[1:])
        print("bound", endpoint[1:], flush=True)
    else:
        socket.bind(endpoint.lstrip("@"))
        print("bound", socket.last_endpoint.decode(), flush=True)
    if kind == "pub":
        deadline = time.monotonic() + timeout_ms / 1000
        n = 0
        while time.monotonic() < deadline:
            socket.send_string("news %d" % n)
            n += 1
            time.sleep(0.005)
        return 0
    for _ in range(count):
        if not socket.poll(timeout_ms):
            print("timeout", flush=True)
            return 3
        frames = socket.recv_multipart()
        if kind == "pull":
            print("got", frames[-1].decode(), flush=True)
        else:
            socket.send_multipart(frames[:-1] + [b"re:" + frames[-1]])
    socket.close()
    context.term()
    return 0


def client(kind, endpoint, count, timeout_ms, *keys):
    count, timeout_ms = int(count), int(timeout_ms)
    context = zmq.Context()
    socket = context.socket(getattr(zmq, kind.upper()))
    socket.linger = timeout_ms
    if keys:
        socket.curve_serverkey = keys[0].encode()
        socket.curve_publickey = keys[1].encode()
        socket.curve_secretkey = keys[2].encode()
    if kind == "sub":
        socket.setsockopt(zmq.SUBSCRIBE, b"")
    socket.connect(endpoint)
    for n in range(count):
        if kind == "sub":
            if not socket.poll(timeout_ms):
                print("timeout", flush=True)
                return 3
            socket.recv()
            continue
        if not socket.poll(timeout_ms, zmq.POLLOUT):
            print("timeout", flush=True)
            return 3
        socket.send_string("hello %d" % n)
        if kind == "push":
            continue
        if not socket.poll(timeout_ms):
            print("timeout", flush=True)
            return 3
        answer = socket.recv_string()
        if answer != "re:hello %d" % n:
            print("wrong", answer, flush=True)
            return 1
    print("ok", count, flush=True)
    socket.close()
    context.term()
    return 0


def main(argv):
    commands = {"service": service, "client": client}
    if len(argv) < 6 or argv[1] not in commands:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[1]](*argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
