// Deferred decisions: a PLAIN or CURVE callback that answers later, e.g. after asking a
// database, through a completion handle, while the authenticator goes on with other handshakes.
// Only loop_authenticator takes them; anywhere else (thread_authenticator, decide() without a
// zap_deferral) such a request gets a 500 reply.
//
//   auth.configure_plain_deferred("*", [db](std::string_view domain, std::string_view user,
//                                           std::string_view password, za::zap_completion done) {
//     db->check_async(std::string(user), std::string(password), [done](bool ok) mutable {
//       if (ok) done.accept(); else done.refuse("wrong password");  // from any thread
//     });
//   });
//
// The views given to the callback are valid during the call only: copy what the answer needs.
// A completion answers once; copies share the answer (the first wins, later ones are ignored).
// If every copy is destroyed without an answer, the request is answered 500 ("deferred decision
// abandoned"); if no answer comes within the authenticator's deferred timeout, 500 ("deferred
// decision timed out"). The callback runs on the authenticator's loop: it must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/auth/zap.hpp>

namespace zmqsec::auth {

/// The answer to a deferred request.
struct deferred_verdict {
  zap_status status = zap_status::internal_error;
  std::string reason;   ///< status text ("OK" for success when empty)
  std::string user_id;  ///< for success; empty: the user name (PLAIN) or the User-Id hook / Z85
                        ///< key (CURVE), as an immediate decision would give
  /// ZAP metadata for success: (name, value) pairs the server reads with zmq_msg_gets. A
  /// property libzmq would refuse is left out and counted (decision::metadata_skipped).
  std::vector<std::pair<std::string, std::string>> metadata;

  /// 200, with the User-Id (empty: the default above) and metadata.
  static deferred_verdict accept(std::string user_id = {},
                                 std::vector<std::pair<std::string, std::string>> metadata = {}) {
    return {zap_status::success, "OK", std::move(user_id), std::move(metadata)};
  }
  /// 400 with reason as the status text.
  static deferred_verdict refuse(std::string reason = "refused") {
    return {zap_status::failure, std::move(reason), {}, {}};
  }
  /// 300: the client may try again.
  static deferred_verdict retry_later(std::string reason = "try again later") {
    return {zap_status::temporary_failure, std::move(reason), {}, {}};
  }
  /// 500.
  static deferred_verdict fail(std::string reason = "callback failed") {
    return {zap_status::internal_error, std::move(reason), {}, {}};
  }
};

/// The answer of a decider or a coroutine callback: za::verdict::accept(), refuse(), ...
using verdict = deferred_verdict;

/// Where a completion's answer goes: implemented by the transport (loop_authenticator).
class zap_answer_sink {
 public:
  virtual ~zap_answer_sink() = default;
  /// Called once per deferred request, from any thread.
  virtual void answer(std::uint64_t request, deferred_verdict verdict) noexcept = 0;
};

/// The handle a deferred callback answers through. Copyable; any thread.
class zap_completion {
 public:
  zap_completion(std::weak_ptr<zap_answer_sink> sink, std::uint64_t request);

  /// 200, with the User-Id (empty: the default, see deferred_verdict).
  bool accept(std::string user_id = {});
  /// 400 with reason as the status text.
  bool refuse(std::string reason = "refused by deferred callback");
  /// 300: the client may try again.
  bool retry_later(std::string reason = "try again later");
  /// 500.
  bool fail(std::string reason = "deferred callback failed");
  /// Any verdict. Returns false (and does nothing) if this completion was answered already. An
  /// answer that comes after the deferred timeout (or after the authenticator stopped) is
  /// ignored.
  bool complete(deferred_verdict verdict);

  bool answered() const noexcept;

 private:
  struct state;
  std::shared_ptr<state> state_;
};

/// Decides a PLAIN user later: domain, user name, password (views valid during the call).
using deferred_plain_callback =
    std::function<void(std::string_view domain, std::string_view username,
                       std::string_view password, zap_completion done)>;

/// Decides a CURVE key later: domain, the client's key in Z85 (40 characters).
using deferred_curve_callback =
    std::function<void(std::string_view domain, std::string_view z85_key, zap_completion done)>;

/// What decide() needs from a transport that takes deferred decisions.
class zap_deferral {
 public:
  /// A completion for the request being decided (called at most once per decide()).
  virtual zap_completion defer() = 0;

 protected:
  ~zap_deferral() = default;
};

}  // namespace zmqsec::auth
