// The ZAP authenticator on an event loop (the embedded reactor, Asio, libuv): the same
// configuration and policy as thread_authenticator, no thread of its own, and deferred
// decisions (deferred.hpp). Target zmqsec::auth_loop (zmqsec::auth itself needs no loop).
//
//   zmqsec::loop::reactor loop;                            // or asio_loop{io}, uv_loop{uv}
//   za::loop_authenticator auth{ctx, loop};
//   auth.allow("127.0.0.1");
//   auth.configure_curve_deferred("*", [&](std::string_view, std::string_view key,
//                                          za::zap_completion done) {
//     directory.lookup(std::string(key), [done](bool known) mutable {  // answers later
//       known ? done.accept() : done.refuse("unknown key");
//     });
//   });
//   auth.start();                                          // bound when it returns
//   loop.run();
//
// The handler: a ROUTER bound at zap_endpoint in the context, watched by a socket_watch; each
// turn serves a few batches of requests as thread_authenticator does (receive, decide with the
// policy in force, reply), except those a deferred callback took: they wait (their frames kept)
// until the completion answers, from any thread, through a task posted to the loop, or until the
// deferred timeout answers 500 for it. Other requests go on meanwhile: ROUTER replies in any order.
//
// Threads: configuring calls may come from any thread at any time (as for
// thread_authenticator). start(), stop() and the destructor belong to the loop's thread, or to
// any thread while the loop does not run; the event_loop must outlive the authenticator.
// Decisions, observers and deferred callbacks run on the loop's thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/fwd.h>
#include <zmq.hpp>

#include <zmqsec/auth/authenticator.hpp>
#include <zmqsec/auth/authenticator_stats.hpp>
#include <zmqsec/auth/deferred.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/certs/secure_memory.hpp>
#include <zmqsec/loop/event_loop.hpp>
#include <zmqsec/loop/task.hpp>

namespace zmqsec::auth {

namespace detail {
class loop_authenticator_impl;
}

/// What a coroutine PLAIN callback decides on: copies it owns.
struct plain_request {
  std::string domain;
  std::string user;
  certs::secret_string password;  ///< wiped when the request goes
};

/// What a coroutine CURVE callback decides on.
struct curve_request {
  std::string domain;
  std::string z85_key;  ///< the client's public key, 40 characters
};

/// What a coroutine decider decides on: a copy of decider_request it owns.
struct decider_call {
  std::string domain;
  std::string address;
  std::string routing_id;
  mechanism mech = mechanism::unknown;
  std::string mechanism_name;
  std::string username;           ///< PLAIN
  certs::secret_string password;  ///< PLAIN, wiped when the call goes
  std::string z85_key;            ///< CURVE
  std::string principal;          ///< GSSAPI
};

using async_plain_callback = std::function<loop::task<verdict>(plain_request)>;
using async_curve_callback = std::function<loop::task<verdict>(curve_request)>;
using async_decider = std::function<loop::task<verdict>(decider_call)>;

class loop_authenticator : public authenticator {
 public:
  /// How long a deferred callback has to answer before the request is answered 500.
  static constexpr std::chrono::milliseconds default_deferred_timeout{5000};

  /// An authenticator for the sockets of context, handling ZAP on loop; an empty policy (see
  /// thread_authenticator). Does not start the handler.
  loop_authenticator(zmq::context_t& context, loop::event_loop& loop,
                     std::shared_ptr<spdlog::logger> logger = nullptr);
  loop_authenticator(zmq::context_t& context, loop::event_loop& loop, policy_config config,
                     std::shared_ptr<spdlog::logger> logger = nullptr);
  loop_authenticator(loop_authenticator&&) noexcept;
  /// Stops this authenticator's handler first.
  loop_authenticator& operator=(loop_authenticator&&) noexcept;
  loop_authenticator(const loop_authenticator&) = delete;
  loop_authenticator& operator=(const loop_authenticator&) = delete;
  /// stop().
  ~loop_authenticator();

  // --- The handler ------------------------------------------------------------------------------
  /// Binds the ZAP socket and starts watching it. Does nothing if running. Throws zmqsec::error
  /// like thread_authenticator::start() (EADDRINUSE: another handler holds the endpoint).
  void start();
  /// Answers the deferred requests still waiting with 500, closes the socket. May be called from
  /// a callback of the authenticator (an observer, a deferred callback). Does nothing if stopped.
  void stop() noexcept;
  /// True from start() until stop(), or until the context is terminated.
  bool is_alive() const noexcept;

  // --- Deferred decisions (see deferred.hpp) ----------------------------------------------------
  loop_authenticator& configure_plain_deferred(std::string_view domain,
                                               deferred_plain_callback callback);
  loop_authenticator& configure_curve_deferred(std::string_view domain,
                                               deferred_curve_callback callback);
  /// Coroutines that decide (C++20; zmqsec::loop's task), e.g. after asking a database:
  ///   auth.configure_plain_async("*", [&](auto req) -> zl::task<za::verdict> {
  ///     co_return co_await db.check(req.user, req.password);
  ///   });
  /// Each request's coroutine runs on the loop (spawned); its verdict answers the request, an
  /// exception it throws answers 500, the deferred timeout applies. The request is a copy the
  /// coroutine owns (the password in wiped memory).
  loop_authenticator& configure_plain_async(std::string_view domain, async_plain_callback callback);
  loop_authenticator& configure_curve_async(std::string_view domain, async_curve_callback callback);
  /// A decider for every request of domain (see decider.hpp) that answers later, through a
  /// completion or as a coroutine:
  ///   auth.configure_decider_async("ops", [&](za::decider_call call) -> zl::task<za::verdict> {
  ///     co_return co_await directory.decide(call.mech, call.z85_key, call.username);
  ///   });
  loop_authenticator& configure_decider_deferred(std::string_view domain, deferred_decider fn);
  loop_authenticator& configure_decider_async(std::string_view domain, async_decider fn);
  /// For requests deferred from now on. Any thread.
  loop_authenticator& set_deferred_timeout(std::chrono::milliseconds timeout);
  /// Deferred requests waiting for their answer (loop thread, or while the loop does not run).
  std::size_t pending() const noexcept;

  // Configuration (allow, deny, configure_plain, configure_plain_file, configure_curve, ...)
  // and stats(): see authenticator.hpp (shared with thread_authenticator).

 private:
  detail::loop_authenticator_impl& checked_impl(const char* what) const;
  std::unique_ptr<detail::loop_authenticator_impl> impl_;  // null only when moved from
};

}  // namespace zmqsec::auth
