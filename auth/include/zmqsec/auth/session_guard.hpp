// Revocation of live sessions: when a credential an authenticator accepted stops being allowed
// (a certificate removed from a followed folder, a password line removed or changed, a deny rule
// added, a policy replaced or its file rewritten), the guard closes every connection of the
// server socket that was authenticated with it, within 100 ms of the change taking effect, and
// check() refuses every message such a connection sent.
//
//   za::thread_authenticator auth{ctx};
//   auth.configure_curve("*", "/etc/app/clients");
//   auth.start();
//   zmq::socket_t server{ctx, zmq::socket_type::router};   // ROUTER, REP, DEALER, PULL, SUB, XPUB
//   za::make_curve_server(server, server_cert, "api");
//   za::session_guard guard{auth, server};                 // before the clients connect
//   server.bind("tcp://*:5555");
//   std::vector<zmq::message_t> message;                   // [routing id][body]
//   while (zmq::recv_multipart(server, std::back_inserter(message))) {
//     if (guard.check(message)) handle(message);           // false: a revoked session's message
//     message.clear();
//   }
//   guard.revocations();                                   // sessions this guard cut or refused
//
// On an event loop, guard.filter(stream) drops a revoked session's messages before on_recv:
//
//   zmqsec::loop::stream server{loop, zmq::socket_t{ctx, zmq::socket_type::router}};
//   za::session_guard guard{auth, server.socket()};
//   guard.filter(server);
//
// How a connection is found (libzmq cannot disconnect one peer; it does notice a TCP connection
// that is shut down):
// - The authenticator gives every session it accepts while a guard is attached an id, in the
//   ZAP reply's metadata as the property "X-Zmqsec-Session" (reserved: certificate metadata and
//   verdicts cannot set it; their own properties are kept). check() reads it and the message's
//   source fd (ZMQ_SRCFD) and so ties the fd to the session exactly, even with many clients on
//   one address.
// - The guard monitors the socket (zmq_socket_monitor, on a thread of its own): ACCEPTED gives
//   each connection's fd (its peer address from getpeername), DISCONNECTED forgets it.
// - Every 20 ms the guard's thread asks the authenticator whether the policy or a certificate
//   store in force changed; if so the sessions are decided again by the new policy, purely (no
//   callback, no throttling, no observer). Sessions of a domain with a decider, and of a PLAIN
//   or CURVE callback, are kept as long as the address rules allow them: user code decided them
//   and cannot be asked again. A PLAIN session is revoked when its user's line is removed or
//   changed in any way (the table keeps a stamp of each line, never the password).
// - A revoked session's fds are shut down (shutdown(SHUT_RDWR), after checking that the fd still
//   has the peer address it was accepted with); libzmq sees the connection close, the client
//   reconnects and the new handshake is decided by the new policy.
// - A connection that sent nothing since the guard began has no session tied to it yet: it is
//   cut by its peer address when no session still allowed came from that address (a handshake
//   in progress there is cut too, and reconnects); otherwise it stays until its first message,
//   which check() refuses and which then cuts it.
//
// Limits: sessions accepted while no guard of the authenticator exists are not tracked; a guard
// takes the socket's monitor (libzmq 4.3 has one per socket: zmq_socket_monitor on the same socket
// afterwards replaces it); the guard refuses messages only through check() or filter(); up to
// 2^18 sessions (the oldest are forgotten first) and the last 4096 revocations are remembered.
// Reports: each connection closed, and each session whose message check() refused, goes to the
// authenticator's decision observer and logger as a decision with revoked = true (reason,
// credential, address, closed_fd), on the guard's thread or the one calling check(); the logger
// also has one line per revoked session, and stats().revocations (zmqsec_auth_revocations_total)
// counts them.
//
// Threads: construct, check() and destroy on the thread that owns the server socket; destroy the
// guard before the socket (and before the authenticator's context is terminated).
// revocations() from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/authenticator.hpp>

namespace zmqsec::auth {

namespace detail {
class guard_state;
}

class session_guard {
 public:
  /// Watches server_socket (a socket of the authenticator's context) for sessions auth accepts
  /// from now on. Throws zmqsec::error if the socket cannot be monitored.
  session_guard(authenticator& auth, zmq::socket_ref server_socket);
  session_guard(const session_guard&) = delete;
  session_guard& operator=(const session_guard&) = delete;
  /// Stops the monitor and the guard's thread.
  ~session_guard();

  /// Whether frame (a frame of a message received from the server socket that carries the
  /// connection's properties: not a ROUTER's routing id frame, which has none) may reach the
  /// application: false for a message of a revoked session (its connection is cut if it was
  /// not yet). Also ties the message's fd to its session. Messages without a session (no ZAP,
  /// inproc) pass.
  bool check(const zmq::message_t& frame);
  /// The same for a whole message (its last frame decides).
  bool check(const std::vector<zmq::message_t>& frames);

  /// Makes stream (zmqsec::loop::stream, or anything with set_filter taking a predicate on a
  /// vector of frames) drop the messages check() refuses. The filter keeps what check() needs:
  /// after the guard is gone it still refuses the sessions revoked until then.
  template <class Stream>
  void filter(Stream& stream) {
    stream.set_filter(
        [state = state_](const std::vector<zmq::message_t>& m) { return check(*state, m); });
  }

  /// Revoked sessions this guard found on its socket (cut, or refused by check()).
  std::uint64_t revocations() const noexcept;

 private:
  static bool check(detail::guard_state& state, const std::vector<zmq::message_t>& frames);
  std::shared_ptr<detail::guard_state> state_;
};

}  // namespace zmqsec::auth
