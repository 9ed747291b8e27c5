// What the ZAP authenticator benchmark (zmqsec_bench_auth) shares between its parts.
//
// The load generators and the always-200 anchor handler are plain C functions (auth_drivers.cpp)
// so that the very same code drives every handler: it is linked into zmqsec_bench_auth, which
// measures ours and CZMQ's zauth, and built as a shared module that auth_pyzmq.py loads with
// ctypes into the python3 child that hosts pyzmq's ThreadAuthenticator (a ZAP handler serves
// only the context it is bound in, so the driver has to live in the handler's process). ctypes
// releases the GIL for the duration of a foreign call, so the driver does not compete with
// pyzmq's authenticator thread for it: pyzmq is measured at its best, driven exactly as ours is.
#pragma once

#ifdef __cplusplus
extern "C" {
#endif

/// What one run of a load generator did.
struct zmqsec_bench_result {
  double seconds;    ///< length of the measured interval (after the warm-up)
  double completed;  ///< ZAP replies (or handshakes) completed in that interval
  double total;      ///< completed over the whole run, warm-up and drain included
  double failures;   ///< replies that were not a well-formed 200, timeouts, errors (whole run)
  char first_failure[240];  ///< what the first failure was, NUL-terminated, or empty
  double longest_gap;       ///< longest time between two completions in the interval (seconds)
};

/// Raw ZAP load: a DEALER connected to inproc://zeromq.zap.01 in ctx (a libzmq context)
/// keeps in_flight CURVE ZAP requests pipelined (empty delimiter frame, then the RFC 27 frames:
/// "1.0", a unique request id, domain "", an address, routing id "", "CURVE", a 32-byte key) and
/// checks that every reply is "1.0", a request id in flight, status "200". The keys cycle
/// through keys_file (Z85, the first word of each line: keys the handler must accept), the
/// addresses through addresses_file (one per line: addresses the handler must let pass); with
/// max_lines > 0 only that many lines of each are read (a first request that does not leave
/// the driver's memory in the handler's figure). With one_cpu nonzero, every thread of the
/// process (driver, handler, libzmq's) is confined to the CPU the caller runs on for the run, and
/// set free again afterwards: the rate is then what one core does, driver and handler together,
/// and does not swing with how the scheduler spreads the two threads over a shared machine.
/// Runs warmup seconds, then counts the replies of the next seconds, then drains the requests
/// still in flight. Returns 0, or -1 when it could not run at all (out->first_failure says why).
int zmqsec_bench_zap_drive(void* ctx, const char* keys_file, const char* addresses_file,
                           int max_lines, int one_cpu, double warmup, double seconds, int in_flight,
                           struct zmqsec_bench_result* out);

/// CURVE handshake load over tcp on 127.0.0.1: a CURVE server ROUTER in server_ctx (so the ZAP
/// handler of that context, if any, is asked about every client) echoes each message; clients
/// in a context of their own keep in_flight connections going, each a new DEALER with a client
/// keypair from clients_file (lines "PUBLIC SECRET", Z85) that connects, sends one message and
/// closes as soon as the echo arrives (which proves the handshake succeeded). A client that
/// gets no echo within 30 s counts as a failure. Warm-up, measured interval and return value as
/// for zmqsec_bench_zap_drive.
int zmqsec_bench_handshake_drive(void* server_ctx, const char* server_public_z85,
                                 const char* server_secret_z85, const char* clients_file,
                                 double warmup, double seconds, int in_flight,
                                 struct zmqsec_bench_result* out);

/// The anchor: a minimal ZAP handler on a thread of its own, a ROUTER bound at
/// inproc://zeromq.zap.01 in ctx that answers every request "200 OK" without looking at it
/// (beyond echoing its request id). Returns a handle for zmqsec_bench_floor_stop, or null
/// (errno set) when the endpoint cannot be bound.
void* zmqsec_bench_floor_start(void* ctx);
/// The same anchor, spinning busy_ns nanoseconds on each request before it answers: what a
/// handler that spends that much CPU per decision costs in the same harness (see --anchor-busy).
void* zmqsec_bench_floor_start_busy(void* ctx, long busy_ns);
/// Stops the anchor handler and unbinds the endpoint.
void zmqsec_bench_floor_stop(void* handle);

#ifdef __cplusplus
}
#endif
