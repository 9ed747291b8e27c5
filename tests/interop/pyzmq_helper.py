"""pyzmq's side of the interop tests: each command does one thing with zmq.auth and prints what
pyzmq sees, one "name value" pair per line (Z85 keys hold no spaces).

Run by tests/interop with /usr/bin/python3 -I -B -X utf8, paths and values passed as arguments:

  load_certificate FILE            public <z85> / secret <z85 or None>
  load_certificates DIR            count <n>, then public <z85> per key, sorted
  create_certificates DIR NAME [META_NAME=VALUE ...]
                                   public, secret (the keypair pyzmq generated), public_file,
                                   secret_file (what create_certificates returned)
  curve_client CLIENT_SECRET_FILE SERVER_PUBLIC_FILE ENDPOINT TIMEOUT_MS MESSAGE
                                   loads both certificates with zmq.auth.load_certificate, sends
                                   MESSAGE over a CURVE REQ socket and prints reply <text>; prints
                                   timeout and exits 3 if no reply comes within TIMEOUT_MS

Exit status: 0 done, 2 bad usage, 3 CURVE client timed out; an exception exits 1 with a trace.
"""

import sys

import zmq
import zmq.auth


def text(key):
    return "None" if key is None else key.decode("ascii")


def load_certificate(path):
    public, secret = zmq.auth.load_certificate(path)
    print("public", text(public))
    print("secret", text(secret))
    return 0


def load_certificates(directory):
    keys = zmq.auth.load_certificates(directory)
    print("count", len(keys))
    for key in sorted(keys):
        print("public", text(key))
    return 0


def create_certificates(directory, name, *pairs):
    metadata = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            print("metadata must be NAME=VALUE:", pair, file=sys.stderr)
            return 2
        metadata[key] = value

    # create_certificates returns only the file names; record the keypair it generates so the
    # test compares our reading of the files with what pyzmq meant to write.
    generated = []
    original = zmq.curve_keypair

    def recording_keypair():
        pair = original()
        generated.append(pair)
        return pair

    zmq.curve_keypair = recording_keypair
    try:
        public_file, secret_file = zmq.auth.create_certificates(directory, name, metadata)
    finally:
        zmq.curve_keypair = original
    if len(generated) != 1:
        print("create_certificates generated", len(generated), "keypairs", file=sys.stderr)
        return 1
    public, secret = generated[0]
    print("public", text(public))
    print("secret", text(secret))
    print("public_file", public_file)
    print("secret_file", secret_file)
    return 0


def curve_client(client_secret_file, server_public_file, endpoint, timeout_ms, message):
    client_public, client_secret = zmq.auth.load_certificate(client_secret_file)
    server_public, _ = zmq.auth.load_certificate(server_public_file)
    if client_secret is None:
        print(client_secret_file, "holds no secret key", file=sys.stderr)
        return 1
    context = zmq.Context()
    socket = context.socket(zmq.REQ)
    try:
        socket.linger = 0
        socket.rcvtimeo = int(timeout_ms)
        socket.sndtimeo = int(timeout_ms)
        socket.curve_secretkey = client_secret
        socket.curve_publickey = client_public
        socket.curve_serverkey = server_public
        socket.connect(endpoint)
        socket.send_string(message)
        try:
            reply = socket.recv_string()
        except zmq.Again:
            print("timeout")
            return 3
        print("reply", reply)
        return 0
    finally:
        socket.close(linger=0)
        context.term()


COMMANDS = {
    "load_certificate": (load_certificate, 1, 1),
    "load_certificates": (load_certificates, 1, 1),
    "create_certificates": (create_certificates, 2, None),
    "curve_client": (curve_client, 5, 5),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    function, least, most = COMMANDS[argv[1]]
    args = argv[2:]
    if len(args) < least or (most is not None and len(args) > most):
        print(__doc__, file=sys.stderr)
        return 2
    return function(*args)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
