// The ZAP authenticator on a thread of its own: pyzmq's ThreadAuthenticator and CZMQ's zauth,
// with the policy of policy.hpp.
//
//   zmq::context_t ctx;
//   za::thread_authenticator auth{ctx};                     // optionally: {ctx, spdlog_logger}
//   auth.allow("127.0.0.1");                                // or "10.0.0.0/8", "::1", "fd00::/8"
//   auth.deny("192.0.2.0/24");
//   auth.configure_plain("*", {{"admin", "secret"}});
//   auth.configure_plain_file("*", "/etc/app/passwords");  // reloaded when it changes
//   auth.configure_curve("*", "/etc/app/clients");          // a folder of public certificates
//   auth.start();                                           // bound when it returns
//   // ... sockets of ctx set zap_domain / plain_server / curve_server as usual ...
//   auth.stop();                                            // also done by the destructor
//
// The handler: start() starts a thread that owns a ROUTER socket bound at zap_endpoint
// (inproc://zeromq.zap.01) in the context, which is where libzmq sends the ZAP requests of every
// socket of that context. Each wake-up drains the socket until it has no more requests, decides
// them with decide() and sends the replies. A ZAP endpoint serves one handler per context: if
// another one holds it (a second authenticator, pyzmq's or CZMQ's), start() throws.
//
// Configuration (allow, deny, configure_plain, configure_plain_file, configure_curve, ...,
// on_decision, set_logger, reload, current_policy, generation, stats): see authenticator.hpp,
// shared with loop_authenticator. Any thread, any time, before or after start().
//
// Logging: the logger (see authenticator::set_logger) also hears when the handler starts, stops
// and fails.
//
// Lifetime: the context must outlive the authenticator's start() and stop() calls. If the
// context is shut down or terminated (zmq_ctx_shutdown, ctx.close(), ~context_t) while the
// handler runs, the handler closes its socket and ends (is_alive() turns false), so the
// termination does not wait for the authenticator; stop() and the destructor then return at once.
#pragma once

#include <memory>

#include <spdlog/fwd.h>
#include <zmq.hpp>

#include <zmqsec/auth/authenticator.hpp>
#include <zmqsec/auth/authenticator_stats.hpp>
#include <zmqsec/auth/policy.hpp>

namespace zmqsec::auth {

/// What a thread_authenticator has done since it was constructed.
using thread_authenticator_stats = authenticator_stats;

namespace detail {
class thread_authenticator_impl;
}

/// A ZAP handler for one context, on a thread of its own. See the top of this header.
class thread_authenticator : public authenticator {
 public:
  /// An authenticator for the sockets of context, with an empty policy (NULL allowed from every
  /// address; PLAIN, CURVE and GSSAPI refused until configured). Does not start the handler.
  /// logger, if not null, receives every decision (see authenticator::set_logger).
  explicit thread_authenticator(zmq::context_t& context,
                                std::shared_ptr<spdlog::logger> logger = nullptr);
  /// The same with a configuration prepared beforehand (its password files are followed). The
  /// authenticator decides who observes decisions: an observer set on config with on_decision()
  /// is not kept; give it to this->on_decision() instead.
  thread_authenticator(zmq::context_t& context, policy_config config,
                       std::shared_ptr<spdlog::logger> logger = nullptr);

  thread_authenticator(thread_authenticator&& other) noexcept;
  /// Stops this authenticator's handler first.
  thread_authenticator& operator=(thread_authenticator&& other) noexcept;
  thread_authenticator(const thread_authenticator&) = delete;
  thread_authenticator& operator=(const thread_authenticator&) = delete;
  /// stop(), and stops following files.
  ~thread_authenticator();

  /// Starts the handler and returns once its socket is bound at zap_endpoint. Does nothing if
  /// the handler is running. Throws zmqsec::error (with libzmq's code: EADDRINUSE when another
  /// handler holds the endpoint, ETERM when the context is terminated, EMFILE when the context
  /// has no socket left) and leaves the authenticator stopped.
  void start();
  /// Stops the handler: it closes its socket (linger 0) and its thread ends; requests not yet
  /// answered are left to libzmq's handshake timeout. Returns promptly, also under full load and
  /// while the context is being terminated. Does nothing if the handler is not running.
  /// start() may be called again afterwards. Called from a callback on the handler's own thread
  /// (an observer, a CURVE callback), it returns at once and the handler ends after the requests
  /// it is deciding.
  void stop() noexcept;
  /// True while the handler runs: from start() until stop(), or until the context is terminated.
  bool is_alive() const noexcept;

 private:
  std::unique_ptr<detail::thread_authenticator_impl> impl_;  // null only when moved from
};

}  // namespace zmqsec::auth
