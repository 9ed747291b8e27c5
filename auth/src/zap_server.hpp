// The ZAP server step both authenticators drive: receive a batch of requests from the ROUTER
// bound at the ZAP endpoint, decide them with the policy in force, count them, send the replies.
// thread_authenticator calls step() from its poll loop, loop_authenticator from a socket_watch.
// One thread at a time (the one that owns the socket). Private to zmqsec::auth.
//
//   zap_server server(source, counters);
//   server.open(context, "thread_authenticator");   // throws like start()
//   while (server.step() == zap_step::served) {}      // then wait for the socket's fd
//   server.close();
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string_view>

#include <zmqsec/auth/deferred.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/store_snapshots.hpp>

#include "handler_state.hpp"
#include "session_registry.hpp"
#include "shared_log.hpp"
#include "throttle_step.hpp"
#include "zap_io.hpp"

namespace zmqsec::auth::detail {

/// What a step did.
enum class zap_step {
  served,      ///< received and answered requests: step again before waiting
  idle,        ///< nothing to receive (the last call was a receive that said EAGAIN: the socket's
               ///< fd may be waited on now)
  closed,      ///< the socket was closed during the step (a callback stopped the authenticator)
  terminated,  ///< the context is being terminated (ETERM)
  failed,      ///< an unexpected libzmq error; errno says which
};

/// Where the requests a deferred callback took go (loop_authenticator). Called on the server's
/// thread only when a deferred callback took a completion: never on the path of other requests.
class deferred_requests : public zap_deferral {
 public:
  /// Keeps slot until the completion answers (then reply() sends it). Returns false if it cannot
  /// (out of memory): the request is then counted as dropped and left to libzmq's timeout.
  virtual bool keep(std::unique_ptr<zap_slot> slot,
                    std::shared_ptr<const policy> decided_by) noexcept = 0;

 protected:
  ~deferred_requests() = default;
};

class zap_server {
 public:
  /// Requests received and decided before their replies are sent. Small: replies go out soon, so
  /// the clients (often on the same core) keep their requests coming; measured against 64 with
  /// the raw ZAP benchmark (one CPU), 8 answered more requests per second.
  static constexpr std::size_t batch_size = 8;

  /// Reads the policy in force from source, counts into counters; deferred (may be null: a
  /// deferred callback's request then gets 500) takes what deferred callbacks take.
  /// sessions (may be null) records the accepted sessions while a session_guard is attached.
  zap_server(const policy_source& source, handler_counters& counters,
             deferred_requests* deferred = nullptr, session_registry* sessions = nullptr);
  zap_server(const zap_server&) = delete;
  zap_server& operator=(const zap_server&) = delete;
  ~zap_server();

  /// Binds a ROUTER of context at zap_endpoint. Throws zmqsec::error (core::zmq_error: EADDRINUSE
  /// when another handler holds it, ETERM, EMFILE); owner names the authenticator in the text.
  void open(void* context, std::string_view owner);
  /// Unbinds and closes the socket (linger 0). Idempotent.
  void close() noexcept;
  bool is_open() const noexcept { return socket_ != nullptr; }
  /// The socket (for a socket_watch, or ZMQ_FD); null when closed.
  void* socket() const noexcept { return socket_; }

  /// One batch: receive and decide up to batch_size requests, count them, send their replies.
  zap_step step() noexcept;

  /// Counts and sends the reply of a request a deferred callback answered (slot as given to
  /// keep(), its reply filled by complete_deferred()). Returns step's words for the send.
  zap_step reply(zap_slot& slot, zap_outcome outcome) noexcept;

  /// Who failed and who is blocked (throttle.hpp): kept for as long as the server lives, through
  /// every change of policy; complete_deferred() of a deferred request takes it too.
  throttle_state& throttle() noexcept { return throttle_; }

 private:
  const policy& refresh_policy() noexcept;
  std::size_t receive_and_decide(zap_step& result) noexcept;
  void decide_slot(std::size_t index) noexcept;
  void count(std::size_t received) noexcept;
  zap_step send_replies(std::size_t received) noexcept;
  void count_decision(const zap_slot& slot, std::size_t index) noexcept;
  void record_session(const policy& decided_by, std::span<const std::string_view> body,
                      zap_reply& reply) noexcept;

  /// What the detailed counters (decision_counters) need of a request besides its reply.
  struct request_labels {
    std::size_t domain_row = 0;
    std::size_t mechanism = 0;  // auth::mechanism as a column index
    bool malformed = false;
  };
  request_labels label(std::span<const std::string_view> body, bool refused) noexcept;

  void* socket_ = nullptr;
  const policy_source& source_;
  handler_counters& counters_;
  deferred_requests* deferred_;
  session_registry* sessions_;
  std::array<std::unique_ptr<zap_slot>, batch_size> slots_;  // allocated once, reused
  std::array<request_labels, batch_size> labels_{};          // of the request in each slot
  message_frame scratch_;
  // The policy in force as of the last request, and the certificate snapshots it read: both
  // belong to the server (one thread), so the decision itself keeps no state.
  std::shared_ptr<const policy> policy_;
  std::uint64_t generation_ = 0;
  store_snapshots snapshots_;
  throttle_state throttle_;  // its settings follow policy_
};

/// The log line for a server that ended by itself (terminated or failed; err: the errno).
void log_server_end(shared_log& log, zap_step end, int err) noexcept;

}  // namespace zmqsec::auth::detail
