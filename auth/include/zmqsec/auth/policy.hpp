// The authentication policy: an immutable value built by policy_config, and the decision
// function that applies it to a ZAP request. Pure apart from user callbacks and reading the
// certificate stores' current snapshots: no socket, no lock, no disk, no allocation beyond the
// reply's strings (none in steady state when the transport reuses its zap_reply).
//
//   za::policy_config config;
//   config.allow("127.0.0.1").deny("192.0.2.0/24");
//   config.configure_plain("*", {{"admin", "secret"}});
//   config.configure_curve("*", "/etc/app/clients");       // a cert_store, followed live
//   std::shared_ptr<const za::policy> policy = config.build();
//
//   za::zap_reply reply;                                    // reused from request to request
//   if (za::decide(*policy, body_frames, reply) == za::zap_outcome::reply) send(reply.frames());
//
// The rules:
// - Addresses (global, all domains): a request from an address in a deny rule is refused; when
//   there are allow rules, so is one from an address in none of them. An address that is not an
//   IP address (empty, or the ":uid:gid:pid" libzmq sends for an ipc peer) is in no rule: it
//   passes when there are no allow rules and is refused when there are.
// - A domain's decider (configure_decider) sees the request next; its verdict is the answer,
//   unless it returns nullopt (see decider.hpp).
// - NULL is allowed when the address passes (libzmq asks only for sockets with a ZAP domain),
//   unless the domain says otherwise (configure_null, refuse_null), with its User-Id and metadata.
// - PLAIN, CURVE and GSSAPI must also authenticate, even from an allowed address, by what the
//   request's domain has configured for that mechanism; a domain with nothing configured for a
//   mechanism uses what "*" has for it; with neither, the request is refused.
// - PLAIN: the user name and password must match the domain's password_table (or satisfy its
//   configure_plain_callback). User-Id = user.
// - CURVE: the key must be accepted by the domain's choice: any key, a certificate store (the
//   certificate's metadata goes into the reply), a key list, or a callback. User-Id = the key in
//   Z85 unless configure_curve_user_id says otherwise.
// - Deferred (configure_plain_deferred, configure_curve_deferred; see deferred.hpp): the
//   callback answers later through a completion; decide() then returns pending and the
//   transport finishes the request with complete_deferred(). Only with a zap_deferral.
// - GSSAPI: configure_gssapi(domain) accepts the principal GSSAPI authenticated. User-Id = it.
// - Throttling (configure_throttle; an authenticator's, see throttle.hpp): a request from an
//   address blocked for its failed attempts is refused (400 "throttled") before anything else
//   is checked.
// - Any other mechanism is refused. A malformed request gets 400; a callback or hook that throws
//   gives 500 ("internal error"); a request with no usable request id is dropped.
//
// Thread safety: a policy is immutable and may be used by any number of threads at once (the
// callbacks it holds are then called concurrently). A policy_config is an ordinary value: guard
// it yourself if several threads configure it.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/auth/address_rules.hpp>
#include <zmqsec/auth/decider.hpp>
#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/deferred.hpp>
#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/auth/store_snapshots.hpp>
#include <zmqsec/auth/throttle.hpp>
#include <zmqsec/auth/zap.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::auth {

/// configure_curve(domain, curve_allow_any): every CURVE key is accepted (the handshake still
/// proves the client holds the key's secret half).
struct curve_allow_any_t {
  explicit constexpr curve_allow_any_t() = default;
};
inline constexpr curve_allow_any_t curve_allow_any{};

/// Which decisions an authenticator's logger is told of (policy_config::log_decisions).
enum class decision_logging : std::uint8_t {
  all,       ///< every decision (info for 200, warn for refusals, error for 500)
  refusals,  ///< everything but the 200s
  none,      ///< no decision (the observer set by on_decision() still sees every one)
};

/// Decides a CURVE key: domain as requested, z85_key the client's public key (40 characters).
using curve_callback = std::function<bool(std::string_view domain, std::string_view z85_key)>;

/// What the User-Id hook knows about an accepted CURVE client.
struct curve_client {
  std::string_view domain;
  std::string_view z85_key;                            ///< 40 characters
  std::span<const unsigned char, curve_key_size> key;  ///< raw
  const certs::cert_view* cert = nullptr;  ///< the store's certificate, when a store accepted it
};

/// Chooses the User-Id of an accepted CURVE client (by default its Z85 key).
using curve_user_id_hook = std::function<std::string(const curve_client& client)>;

namespace detail {
struct policy_data;
struct config_data;
struct policy_access;
}  // namespace detail

/// An immutable authentication policy. Build one with policy_config::build().
class policy {
 public:
  /// The address rules in force.
  const address_rules& addresses() const noexcept;

  /// Whether a request of mechanism m in domain would find a configuration (its own or "*"'s).
  /// NULL is, unless the domain refuses it (refuse_null); unknown never.
  bool configured(std::string_view domain, mechanism m) const noexcept;

  /// How many times the observer threw (each time caught and ignored).
  std::uint64_t observer_errors() const noexcept;

  /// The throttling settings (see throttle.hpp); the state is the authenticator's.
  const throttle_config& throttle() const noexcept;

 private:
  friend class policy_config;
  friend struct detail::policy_access;  // the decision reads data_ through it
  explicit policy(std::shared_ptr<const detail::policy_data> data) noexcept;

  std::shared_ptr<const detail::policy_data> data_;  // never null
};

/// Builds policies. Each configuring call replaces what the domain had for that mechanism.
/// Calls that take a rule, file or folder check it at once and throw zmqsec::error, leaving the
/// configuration unchanged.
class policy_config {
 public:
  policy_config();
  policy_config(const policy_config& other);
  policy_config& operator=(const policy_config& other);
  policy_config(policy_config&&) noexcept;
  policy_config& operator=(policy_config&&) noexcept;
  ~policy_config();

  // --- Addresses (see address_rules.hpp for the syntax) ----------------------------------------
  policy_config& allow(std::string_view address);
  policy_config& deny(std::string_view address);
  /// Many at once (any range of strings); all or nothing.
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view> policy_config&
  allow(const R& addresses) {
    return allow_all(to_views(addresses));
  }
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view> policy_config&
  deny(const R& addresses) {
    return deny_all(to_views(addresses));
  }
  policy_config& allow_all(std::span<const std::string_view> addresses);
  policy_config& deny_all(std::span<const std::string_view> addresses);
  /// Removes a rule added by allow() / deny() (the same network after parsing; a range that
  /// contains it stays). Removing a rule that is not there does nothing; text that is not a rule
  /// throws zmqsec::error.
  policy_config& remove_allow(std::string_view address);
  policy_config& remove_deny(std::string_view address);
  /// Removes every address rule (every address passes again).
  policy_config& clear_addresses();
  /// Forgets everything configured for domain (every mechanism, its NULL rule, its decider); its
  /// requests then get what "*" has. clear("*") forgets "*"'s own configuration.
  policy_config& clear(std::string_view domain);
  /// Everything back to a new policy_config's (the observer stays).
  policy_config& clear_all();

  // --- NULL --------------------------------------------------------------------------------------
  /// How domain treats NULL clients (by default: admitted when their address passes, with no
  /// User-Id). Throws zmqsec::error for metadata libzmq would refuse or misread.
  policy_config& configure_null(std::string_view domain, null_access access);
  /// NULL clients of domain are refused (400 "NULL not allowed for the domain").
  policy_config& refuse_null(std::string_view domain);

  // --- Any mechanism
  // ------------------------------------------------------------------------------
  /// A decider for every request of domain, after the address rules (see decider.hpp).
  policy_config& configure_decider(std::string_view domain, decider fn);
  /// A decider that answers later (loop_authenticator only; see deferred.hpp).
  policy_config& configure_decider_deferred(std::string_view domain, deferred_decider fn);

  // --- PLAIN -------------------------------------------------------------------------------------
  /// A fixed table, e.g. configure_plain("*", {{"admin", "secret"}}).
  policy_config& configure_plain(std::string_view domain, password_table users);
  /// A password file, loaded now (throws password_file_error). The file stays associated with
  /// the domain so that a transport can follow it: see plain_files() and update_plain_file().
  policy_config& configure_plain_file(std::string_view domain, const std::filesystem::path& file);

  /// The distinct password files configured (as given to configure_plain_file).
  std::vector<std::filesystem::path> plain_files() const;
  /// Gives every domain configured with file (still, and not since replaced by another table)
  /// a new table, e.g. after load_password_file(file) succeeded. Returns how many domains.
  std::size_t update_plain_file(const std::filesystem::path& file, const password_table& users);

  /// A callback decides each user name and password, on the thread that decides the request.
  policy_config& configure_plain_callback(std::string_view domain, plain_callback callback);
  /// A callback that answers later (see deferred.hpp).
  policy_config& configure_plain_deferred(std::string_view domain,
                                          deferred_plain_callback callback);

  // --- CURVE -------------------------------------------------------------------------------------
  policy_config& configure_curve(std::string_view domain, curve_allow_any_t);
  /// A folder of public certificates, followed live (a certs::cert_store with options; throws
  /// zmqsec::error if the folder cannot be opened or watched).
  policy_config& configure_curve(std::string_view domain, const std::filesystem::path& folder,
                                 certs::cert_store_options options = {});
  /// An authorized-keys file (one key per line with its metadata; certs/authorized_keys.hpp),
  /// followed live (certs::cert_store::from_authorized_keys with options; throws zmqsec::error if
  /// the file cannot be read or its folder watched). Its metadata and User-Id work as a
  /// certificate folder's.
  policy_config& configure_curve_keys_file(std::string_view domain,
                                           const std::filesystem::path& file,
                                           certs::cert_store_options options = {});
  /// A store the caller made (a folder or in-memory store); the policy shares it.
  policy_config& configure_curve(std::string_view domain,
                                 std::shared_ptr<const certs::cert_store> store);
  /// An explicit key list.
  policy_config& configure_curve(std::string_view domain, std::vector<certs::public_key> keys);
  /// An explicit key list in Z85 (throws zmqsec::error for a bad key).
  policy_config& configure_curve(std::string_view domain,
                                 std::initializer_list<std::string_view> z85_keys);
  /// A callback decides each key (on the thread that decides the request).
  policy_config& configure_curve_callback(std::string_view domain, curve_callback callback);
  /// A callback that answers later (see deferred.hpp).
  policy_config& configure_curve_deferred(std::string_view domain,
                                          deferred_curve_callback callback);
  /// Chooses the User-Id of accepted CURVE clients, for all domains (empty: the Z85 key).
  policy_config& configure_curve_user_id(curve_user_id_hook hook);

  // --- GSSAPI ------------------------------------------------------------------------------------
  policy_config& configure_gssapi(std::string_view domain);

  // --- Throttling of failed authentication (see throttle.hpp) ------------------------------------
  /// Settings for an authenticator's throttling (max_failures = 0: off, as in a new config).
  /// Throws zmqsec::error for a bad exempt rule, a window or back-off that is not positive, or a
  /// capacity out of range; nothing changes then. decide() alone does not throttle: the state
  /// belongs to an authenticator.
  policy_config& configure_throttle(throttle_config config);
  const throttle_config& throttle() const noexcept;

  // --- Observation -------------------------------------------------------------------------------
  /// Called with every decision (empty: none).
  policy_config& on_decision(decision_observer observer);
  /// Which decisions an authenticator logs (by default all). A policy built here without an
  /// authenticator logs nothing: this only tells the authenticator's logging observer.
  policy_config& log_decisions(decision_logging which);
  decision_logging logged_decisions() const noexcept;

  /// Whether some domain has a callback or decider that answers later (configure_*_deferred):
  /// only a transport that takes deferred decisions (loop_authenticator) can serve it.
  bool needs_deferral() const;

  /// An immutable policy of the configuration as it is now. Later changes to this config do not
  /// affect it. Cheap: tables, stores and rules are shared, not copied.
  std::shared_ptr<const policy> build() const;

 private:
  template <class R>
  static std::vector<std::string_view> to_views(const R& range) {
    std::vector<std::string_view> out;
    for (const auto& item : range) out.emplace_back(item);
    return out;
  }
  std::unique_ptr<detail::config_data> data_;  // never null (except moved-from)
};

/// Parses, decides and encodes one request: body = the frames after the envelope. Fills reply
/// (reusing its buffers) when the outcome is reply, and calls the policy's observer. Never
/// throws: a failing callback gives a 500 reply; when even a reply cannot be built (out of
/// memory) the outcome is drop.
zap_outcome decide(const policy& p, std::span<const std::string_view> body,
                   zap_reply& reply) noexcept;

/// The same, for a transport that takes deferred decisions: a deferred callback gets a
/// completion from deferral, and the outcome is pending (nothing is observed yet). Without a
/// deferral (null) such a request gets a 500 reply.
zap_outcome decide(const policy& p, std::span<const std::string_view> body, zap_reply& reply,
                   zap_deferral* deferral) noexcept;

/// The same, for a thread that decides many requests: certificate stores are read through
/// snapshots (see store_snapshots.hpp), which keeps the latest snapshot of each between calls.
/// The overloads without it use a fresh one per call.
zap_outcome decide(const policy& p, std::span<const std::string_view> body, zap_reply& reply,
                   zap_deferral* deferral, store_snapshots& snapshots) noexcept;

/// Finishes a request decide() left pending: body the same frames, verdict the callback's
/// answer. Fills reply and calls the observer; the outcome is reply (or drop when out of memory).
zap_outcome complete_deferred(const policy& p, std::span<const std::string_view> body,
                              const deferred_verdict& verdict, zap_reply& reply) noexcept;

/// The same for a request parsed already (parse_status::ok).
zap_outcome decide(const policy& p, const zap_request& request, zap_reply& reply) noexcept;

/// Convenience: the reply, or nullopt when the request is dropped.
std::optional<zap_reply> decide(const policy& p, std::span<const std::string_view> body);

}  // namespace zmqsec::auth
