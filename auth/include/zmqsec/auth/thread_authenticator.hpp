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
// Configuration: every configuring call may be made from any thread at any time, before or after
// start(). It changes the authenticator's policy_config, builds a new immutable policy from it
// and publishes it; the handler takes the new policy for the next request it reads (one atomic
// load per request; no lock, no disk access and no waiting on either side). A call that throws
// (a bad address rule, an unreadable file or folder) changes nothing. Each published policy has
// a generation one higher than the one before (the first, published by the constructor, is 1).
//
// Following files: password files given to configure_plain_file are watched (inotify on their
// folder): a write (closed after writing, so a same-size rewrite within one second is seen), a
// rename over the file, a change of its attributes, or its removal makes the authenticator read
// it again and publish a policy with the new table. A file that cannot be read or parsed keeps
// the table loaded before, and the log says so. Certificate folders given to configure_curve are
// followed by their certs::cert_store (see cert_store.hpp); the policy reads the store's latest
// snapshot at each request, so a change there needs no new policy.
//
// Logging: an optional spdlog logger receives every decision (domain, address, mechanism,
// User-Id, status and reason; info for 200, warn for refusals, error for 500), the start and
// stop of the handler, password file reloads and certificate folder problems. Passwords and
// secret keys never reach it; text that comes from the network is escaped. The observer set with
// on_decision() receives the same decisions as values.
//
// Lifetime: the context must outlive the authenticator's start() and stop() calls. If the
// context is shut down or terminated (zmq_ctx_shutdown, ctx.close(), ~context_t) while the
// handler runs, the handler closes its socket and ends (is_alive() turns false), so the
// termination does not wait for the authenticator; stop() and the destructor then return at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <ranges>
#include <span>
#include <string_view>
#include <vector>

#include <spdlog/fwd.h>
#include <zmq.hpp>

#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::auth {

/// What a thread_authenticator has done since it was constructed.
struct thread_authenticator_stats {
  std::uint64_t requests = 0;            ///< messages read from the ZAP socket
  std::uint64_t accepted = 0;            ///< replies with status 200
  std::uint64_t temporary_failures = 0;  ///< replies with status 300
  std::uint64_t refused = 0;             ///< replies with status 400 (malformed requests included)
  std::uint64_t internal_errors = 0;     ///< replies with status 500
  std::uint64_t dropped = 0;             ///< messages that got no reply (no envelope or request id)
  std::uint64_t send_failures = 0;       ///< replies libzmq did not take
  std::uint64_t password_reloads = 0;    ///< password files read again successfully
  std::uint64_t password_reload_failures = 0;  ///< ... that could not be read or parsed
};

namespace detail {
class thread_authenticator_impl;
}

/// A ZAP handler for one context, on a thread of its own. See the top of this header.
class thread_authenticator {
 public:
  /// An authenticator for the sockets of context, with an empty policy (NULL allowed from every
  /// address; PLAIN, CURVE and GSSAPI refused until configured). Does not start the handler.
  /// logger, if not null, receives every decision (see above).
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

  // --- The handler ------------------------------------------------------------------------------
  /// Starts the handler and returns once its socket is bound at zap_endpoint. Does nothing if
  /// the handler is running. Throws zmqsec::error (with the errno: EADDRINUSE when another
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

  // --- Addresses (for all domains and mechanisms; see address_rules.hpp for the syntax) --------
  thread_authenticator& allow(std::string_view address);
  thread_authenticator& deny(std::string_view address);
  /// Many at once (any range of strings), as one change: all or nothing.
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>
      thread_authenticator& allow(const R& addresses) {
    std::vector<std::string_view> views(std::ranges::begin(addresses), std::ranges::end(addresses));
    return allow_all(views);
  }
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view>
      thread_authenticator& deny(const R& addresses) {
    std::vector<std::string_view> views(std::ranges::begin(addresses), std::ranges::end(addresses));
    return deny_all(views);
  }
  thread_authenticator& allow_all(std::span<const std::string_view> addresses);
  thread_authenticator& deny_all(std::span<const std::string_view> addresses);

  // --- PLAIN ------------------------------------------------------------------------------------
  /// A fixed table for domain ("*": every domain without a PLAIN table of its own).
  thread_authenticator& configure_plain(std::string_view domain, password_table users);
  /// A password file, read now (throws password_file_error) and followed from then on (throws
  /// zmqsec::error if its folder cannot be watched).
  thread_authenticator& configure_plain_file(std::string_view domain,
                                             const std::filesystem::path& file);

  // --- CURVE ------------------------------------------------------------------------------------
  thread_authenticator& configure_curve(std::string_view domain, curve_allow_any_t);
  /// A folder of public certificates, read now and followed live by a cert_store (throws
  /// zmqsec::error if the folder cannot be opened or watched). Problems with its files are
  /// logged. The store is available through curve_store(domain).
  thread_authenticator& configure_curve(std::string_view domain,
                                        const std::filesystem::path& folder,
                                        certs::cert_store_options options = {});
  /// A store the caller made (a folder or an in-memory store), shared.
  thread_authenticator& configure_curve(std::string_view domain,
                                        std::shared_ptr<const certs::cert_store> store);
  /// An explicit list of keys.
  thread_authenticator& configure_curve(std::string_view domain,
                                        std::vector<certs::public_key> keys);
  /// An explicit list of keys in Z85 (throws zmqsec::error for a bad key).
  thread_authenticator& configure_curve(std::string_view domain,
                                        std::initializer_list<std::string_view> z85_keys);
  /// callback(domain, z85_key) decides each key, on the handler's thread: it must be quick and
  /// must not wait for anything the handler does. An exception it throws gives a 500 reply.
  thread_authenticator& configure_curve_callback(std::string_view domain, curve_callback callback);
  /// Chooses the User-Id of accepted CURVE clients (empty: their Z85 key).
  thread_authenticator& configure_curve_user_id(curve_user_id_hook hook);

  // --- GSSAPI -----------------------------------------------------------------------------------
  thread_authenticator& configure_gssapi(std::string_view domain);

  // --- Several changes as one -------------------------------------------------------------------
  /// Calls edit with a copy of the configuration and publishes the result as one policy; if edit
  /// throws, nothing changes (and the exception propagates). Password files it configures are
  /// followed like those of configure_plain_file; an observer it sets is replaced by the
  /// authenticator's (see on_decision()). Must not call back into this authenticator.
  thread_authenticator& configure(const std::function<void(policy_config&)>& edit);

  // --- Observation ------------------------------------------------------------------------------
  /// Receives every decision on the handler's thread (empty: none). It must be quick; exceptions
  /// it throws are caught and counted (policy::observer_errors()).
  thread_authenticator& on_decision(decision_observer observer);
  /// Replaces the logger (null: none).
  thread_authenticator& set_logger(std::shared_ptr<spdlog::logger> logger);

  /// Reads every password file again and reloads every certificate folder opened by
  /// configure_curve(domain, folder), on the calling thread (e.g. on SIGHUP). Failures are logged
  /// and keep what was loaded before; returns false if there was any.
  bool reload();

  /// The policy in force (the handler uses it for every request it reads from now on).
  std::shared_ptr<const policy> current_policy() const;
  /// The generation of current_policy(): 1 for the constructor's, one more for each one
  /// published since (by a configuring call or a password file reload).
  std::uint64_t generation() const noexcept;
  /// Waits until a policy of generation at_least or later is published (so any request the
  /// handler reads from then on is decided by it), or timeout passes; returns whether it was.
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const;

  /// The store configure_curve(domain, folder) opened for domain, if that is what domain has for
  /// CURVE now (as far as this authenticator's configure_curve* calls tell: a change made through
  /// configure() is not seen here); otherwise null.
  std::shared_ptr<const certs::cert_store> curve_store(std::string_view domain) const;

  /// The counters (each read on its own, without a lock).
  thread_authenticator_stats stats() const noexcept;

 private:
  std::unique_ptr<detail::thread_authenticator_impl> impl_;  // null only when moved from
};

}  // namespace zmqsec::auth
