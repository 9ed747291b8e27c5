// device: a proxy between a front and a back socket of any pattern libzmq's zmq_proxy serves,
// on a thread of its own, with what zmq_proxy leaves out: each side secured on its own terms
// (side_security), a capture stream of both directions (pyzmq's MonitoredQueue), a filter on
// what the front sends, and steering (zmq_proxy_steerable's PAUSE, RESUME, TERMINATE and
// STATISTICS) as calls from any thread.
//
//   zmq::context_t ctx;
//   zmqsec::auth::thread_authenticator auth(ctx);
//   auth.load_policy_file("/etc/zmq-gateway/policy.toml");
//   auth.start();
//   namespace zp = zmqsec::proxy;
//   zp::device gateway({.pattern = zp::pattern::router_dealer,
//                       .front = {.bind = {"tcp://*:5555"},
//                                 .security = zp::side_security::curve_server(cert, "gateway")},
//                       .back = {.connect = {"tcp://127.0.0.1:6000"},
//                                .security = zp::side_security::null_client()},
//                       .capture = {.bind = {"tcp://127.0.0.1:7000"},
//                                   .security = zp::side_security::open()},
//                       .context = &ctx});
//   gateway.pause();  ...  gateway.resume();  gateway.statistics().front.messages_received;
//
// Forwarding: each wake-up moves up to a batch of whole messages per direction without waiting
// (ZMQ_DONTWAIT), as libzmq's own proxy does. A side that cannot take a message (a DEALER or
// PUSH without a peer, or at its high-water mark) holds it, and the device stops reading the
// other side in that direction until it goes: nothing is dropped by the device itself (an XPUB
// drops for a slow subscriber, as everywhere). Capture: a PUB socket publishes every message
// forwarded as a frame "in" (front to back) or "out" (back to front) followed by its frames.
//
// Thread rules: the constructor binds and connects every socket (throwing zmqsec::error with the
// endpoint) before the thread starts; from then on the sockets belong to the thread. pause(),
// resume(), terminate() and statistics() may be called from any thread, the device's own
// included (its filter): there they do not wait for the thread, which is the caller; the filter
// may even destroy the device, which then goes once the message under way is done.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/proxy/security.hpp>

namespace zmqsec::proxy {

/// The socket types of the front and the back; messages flow each way the types allow.
enum class pattern : std::uint8_t {
  router_dealer,  ///< ROUTER front, DEALER back: REQ or DEALER clients, REP/ROUTER services
  xsub_xpub,      ///< publishers at the front, subscribers at the back (logging's proxy)
  xpub_xsub,      ///< subscribers at the front, publishers behind (a gateway before a PUB)
  pull_push,      ///< PUSH clients at the front, PULL workers behind
  push_pull,      ///< PULL clients at the front, a PUSH service behind
};

/// One side: where its socket binds and connects and how it is secured.
struct side_config {
  std::vector<std::string> bind = {};
  std::vector<std::string> connect = {};
  /// Must be chosen (the default, unset, makes the device throw).
  side_security security = {};
  /// Messages held per connection each way (ZMQ_SNDHWM, ZMQ_RCVHWM).
  int hwm = 1000;
};

/// Judges a message the front received, before it is forwarded: false drops the whole message
/// (counted in device_stats::filtered). Called on the device's thread with the first frame the
/// peer sent (a ROUTER front's routing id frame comes before it and carries no metadata), whose
/// metadata (zmq_msg_gets: "User-Id", "Peer-Address") says who sent it. Must be quick and must
/// not throw.
using message_filter = std::function<bool(zmq::message_t& first_frame)>;

struct device_config {
  proxy::pattern pattern = pattern::router_dealer;
  side_config front = {};
  side_config back = {};
  /// The capture PUB socket; no endpoints (the default): no capture. Its security must be
  /// chosen too when it has endpoints: it carries the traffic in clear.
  side_config capture = {};
  /// Empty: everything the front sends is forwarded.
  message_filter front_filter = {};
  /// Makes a filter that lives as long as the front socket, such as the check of an
  /// auth::session_guard (which watches the socket and must be attached before clients connect
  /// and go before the socket closes):
  ///   .make_front_filter = [&auth](zmq::socket_t& front) {
  ///     auto guard = std::make_shared<za::session_guard>(auth, front);
  ///     return zp::message_filter([guard](zmq::message_t& m) { return guard->check(m); });
  ///   }
  /// Called once, after configure and before the front binds or connects; the filter it returns
  /// is destroyed by terminate() (or the destructor) after the thread ended and before the
  /// sockets close. With front_filter as well, a message must pass both.
  std::function<message_filter(zmq::socket_t& front)> make_front_filter = {};
  /// Called with the front and back sockets after their security is set and before they bind
  /// or connect (further options: ZMQ_ROUTING_ID, keepalives, ...). Not ZMQ_ROUTER_MANDATORY:
  /// a reply to a client gone meanwhile would then be an error that ends the device.
  std::function<void(zmq::socket_t& front, zmq::socket_t& back)> configure = {};
  /// A context to make the sockets in (the one whose authenticator decides the server sides);
  /// nullptr gives the device a context of its own (no authenticator: server sides refuse all).
  zmq::context_t* context = nullptr;
  /// The thread's name (at most 15 characters are shown).
  std::string thread_name = "zmqsec-proxy";
};

/// What one socket carried, as zmq_proxy_steerable's STATISTICS reports it.
struct side_stats {
  std::uint64_t messages_received = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t messages_sent = 0;
  std::uint64_t bytes_sent = 0;
};

struct device_stats {
  side_stats front;
  side_stats back;
  std::uint64_t filtered = 0;  ///< messages from the front that front_filter dropped
  std::uint64_t captured = 0;  ///< messages published on the capture socket
  bool paused = false;
  bool running = false;
};

namespace detail {
struct device_state;
}

class device {
 public:
  /// Makes, secures, binds and connects the sockets, then starts forwarding. Throws
  /// zmqsec::error: invalid_argument for a side without endpoints or whose security is unset;
  /// libzmq's code, naming the endpoint, when one cannot be bound or connected.
  explicit device(device_config config);
  device(const device&) = delete;
  device& operator=(const device&) = delete;
  /// terminate().
  ~device();

  /// Stops reading either side until resume(); returns once the thread has stopped. Messages
  /// wait in libzmq's queues meanwhile (up to the high-water marks). Does nothing once ended.
  /// From the filter: returns at once, in force from the message after the one under way.
  void pause();
  /// Forwards again; returns once the thread has resumed (from the filter: as pause()).
  void resume();
  /// Stops forwarding for good and closes the sockets (lingering 0: what is queued is lost);
  /// libzmq frees their endpoints a moment later, on its I/O thread. Idempotent. From the
  /// filter: returns at once; the thread ends after the message under way and closes the
  /// sockets (the filter first) as it ends.
  void terminate();

  /// The counters, read without stopping the thread (each one a moment apart).
  device_stats statistics() const noexcept;
  /// Whether the thread forwards (or is paused): false after terminate() or a failure.
  bool running() const noexcept;
  /// What ended the thread, if it failed (a libzmq error while forwarding); null otherwise.
  std::exception_ptr failure() const;

  /// The endpoints bound, with the port a "*" or 0 stood for.
  const std::vector<std::string>& front_endpoints() const noexcept;
  const std::vector<std::string>& back_endpoints() const noexcept;
  const std::vector<std::string>& capture_endpoints() const noexcept;

 private:
  // Shared with the thread's body, so that the device may be destroyed by its own filter.
  std::shared_ptr<detail::device_state> state_;
};

}  // namespace zmqsec::proxy
