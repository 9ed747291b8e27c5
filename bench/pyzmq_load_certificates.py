"""The pyzmq reference of zmqsec_bench_store: zmq.auth.load_certificates(DIR), timed and weighed.

    /usr/bin/python3 pyzmq_load_certificates.py DIR

Prints one line, "count=N load_seconds=S cpu_seconds=C rss_bytes=B": wall-clock and CPU time of
the call, and the growth of this process's resident memory (VmRSS) across it, with the
interpreter and zmq.auth already loaded.
"""

import sys
import time

import zmq.auth


def resident_bytes():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pyzmq_load_certificates.py DIR")
    before = resident_bytes()
    cpu_start = time.process_time()
    start = time.perf_counter()
    certs = zmq.auth.load_certificates(sys.argv[1])
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    after = resident_bytes()
    print(
        f"count={len(certs)} load_seconds={seconds:.9f} cpu_seconds={cpu_seconds:.9f}"
        f" rss_bytes={after - before}"
    )


if __name__ == "__main__":
    main()
