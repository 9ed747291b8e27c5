// What every ZAP authenticator offers (thread_authenticator, loop_authenticator): its
// configuration, the policy in force, and its counters. Documented here once.
//
//   za::thread_authenticator auth{ctx};                     // or loop_authenticator{ctx, loop}
//   auth.allow("127.0.0.1").deny("192.0.2.0/24");          // see address_rules.hpp
//   auth.configure_plain("*", {{"admin", "secret"}});
//   auth.configure_plain_file("*", "/etc/app/passwords");  // followed when it changes
//   auth.configure_curve("*", "/etc/app/clients");          // a folder of public certificates
//   auth.start();
//
// Configuration: every configuring call may be made from any thread at any time, before or after
// start(). It changes the authenticator's policy_config, builds a new immutable policy from it
// and publishes it; the handler takes the new policy for the next request it reads (one atomic
// load per request; no lock, no disk access and no waiting on either side). A call that throws
// (a bad address rule, an unreadable file or folder) changes nothing. Each published policy has
// a generation one higher than the one before (the first, published by the constructor, is 1).
// A moved-from authenticator throws zmqsec::error from its configuring calls.
#pragma once

#include <chrono>
#include <concepts>
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

#include <zmqsec/auth/authenticator_stats.hpp>
#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/keys.hpp>

namespace zmqsec::auth {

namespace detail {
struct authenticator_core;
}
class session_guard;

class authenticator {
 public:
  // --- Addresses (for all domains and mechanisms; see address_rules.hpp for the syntax) --------
  authenticator& allow(std::string_view address);
  authenticator& deny(std::string_view address);
  /// Many at once (any range of strings), as one change: all or nothing.
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view> authenticator&
  allow(const R& addresses) {
    std::vector<std::string_view> views(std::ranges::begin(addresses), std::ranges::end(addresses));
    return allow_all(views);
  }
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view> authenticator&
  deny(const R& addresses) {
    std::vector<std::string_view> views(std::ranges::begin(addresses), std::ranges::end(addresses));
    return deny_all(views);
  }
  authenticator& allow_all(std::span<const std::string_view> addresses);
  authenticator& deny_all(std::span<const std::string_view> addresses);
  /// Removes a rule added by allow() / deny() (see policy_config::remove_allow).
  authenticator& remove_allow(std::string_view address);
  authenticator& remove_deny(std::string_view address);
  /// Removes every address rule.
  authenticator& clear_addresses();
  /// Forgets everything configured for domain (its requests then get what "*" has).
  authenticator& clear(std::string_view domain);

  // --- NULL and deciders (see decider.hpp) ------------------------------------------------------
  authenticator& configure_null(std::string_view domain, null_access access);
  authenticator& refuse_null(std::string_view domain);
  /// decider decides every request of domain after the address rules (on the handler's thread;
  /// it must be quick). loop_authenticator also takes deciders that answer later.
  authenticator& configure_decider(std::string_view domain, decider fn);

  // --- PLAIN ------------------------------------------------------------------------------------
  /// A fixed table for domain ("*": every domain without a PLAIN table of its own).
  authenticator& configure_plain(std::string_view domain, password_table users);
  /// A password file, read now (throws password_file_error) and followed from then on (throws
  /// zmqsec::error if its folder cannot be watched): a write (closed after writing, so a
  /// same-size rewrite within one second is seen), a rename over the file, a change of its
  /// attributes, or its removal makes the authenticator read it again and publish a policy with
  /// the new table. A file that cannot be read or parsed keeps the table loaded before, and the
  /// log says so.
  authenticator& configure_plain_file(std::string_view domain, const std::filesystem::path& file);
  /// callback(domain, user, password) decides each PLAIN client on the handler's thread: it must
  /// be quick (a slow check belongs in loop_authenticator's deferred or coroutine callbacks). An
  /// exception it throws gives a 500 reply.
  authenticator& configure_plain_callback(std::string_view domain, plain_callback callback);

  // --- CURVE ------------------------------------------------------------------------------------
  authenticator& configure_curve(std::string_view domain, curve_allow_any_t any);
  /// A folder of public certificates, read now and followed live by a cert_store (throws
  /// zmqsec::error if the folder cannot be opened or watched). Problems with its files are
  /// logged. The store is available through curve_store(domain).
  authenticator& configure_curve(std::string_view domain, const std::filesystem::path& folder,
                                 certs::cert_store_options options = {});
  /// An authorized-keys file (one key per line with its metadata; certs/authorized_keys.hpp),
  /// read now and followed live by a cert_store (throws zmqsec::error if it cannot be read or
  /// its folder watched). Skipped lines are logged with their numbers; reload() reads it again;
  /// the store is available through curve_store(domain). Metadata and User-Id as for a folder.
  authenticator& configure_curve_keys_file(std::string_view domain,
                                           const std::filesystem::path& file,
                                           certs::cert_store_options options = {});
  /// A store the caller made (a folder or an in-memory store), shared.
  authenticator& configure_curve(std::string_view domain,
                                 std::shared_ptr<const certs::cert_store> store);
  /// An explicit list of keys.
  authenticator& configure_curve(std::string_view domain, std::vector<certs::public_key> keys);
  /// An explicit list of keys in Z85 (throws zmqsec::error for a bad key).
  authenticator& configure_curve(std::string_view domain,
                                 std::initializer_list<std::string_view> z85_keys);
  /// callback(domain, z85_key) decides each key, on the handler's thread: it must be quick and
  /// must not wait for anything the handler does. An exception it throws gives a 500 reply.
  authenticator& configure_curve_callback(std::string_view domain, curve_callback callback);
  /// Chooses the User-Id of accepted CURVE clients (empty: their Z85 key).
  authenticator& configure_curve_user_id(curve_user_id_hook hook);

  // --- GSSAPI -----------------------------------------------------------------------------------
  authenticator& configure_gssapi(std::string_view domain);

  // --- Throttling of failed authentication (see throttle.hpp) -----------------------------------
  /// After config.max_failures refused credentials from one address (IPv6: one /64) within
  /// config.window, its requests are refused (400 "throttled") without any check or callback
  /// for a back-off that doubles with each block; max_failures = 0 turns it off (the default).
  /// Throws zmqsec::error for bad settings; nothing changes then. The settings are part of the
  /// policy (replace() and a policy file's [throttle] set them too); what the handler knows of
  /// the addresses stays when they change. stats().throttled counts the refusals.
  authenticator& configure_throttle(throttle_config config);

  // --- Several changes as one -------------------------------------------------------------------
  /// Calls change with a copy of the configuration and publishes the result as one policy; if it
  /// throws, nothing changes (and the exception propagates). Password files it configures are
  /// followed like those of configure_plain_file; an observer it sets is replaced by the
  /// authenticator's (see on_decision()). Must not call back into this authenticator.
  authenticator& configure(const std::function<void(policy_config&)>& change);

  /// Puts config in force in place of the whole policy, as one change: the next request the
  /// handler reads is decided entirely by it. Its password files are followed; the observer and
  /// logger of this authenticator stay. thread_authenticator refuses (zmqsec::error) a
  /// configuration with deferred callbacks (policy_config::needs_deferral()); nothing changes
  /// then.
  authenticator& replace(policy_config config);

  // --- A policy file (see policy_file.hpp and docs/auth.md for the format) -----------------------
  /// Loads file now (throws policy_file_error, or zmqsec::error if its folder cannot be watched;
  /// nothing changes then), puts it in force in place of the whole policy (as replace()), and
  /// follows it from then on, with the password files (one inotify instance): a write (a
  /// same-size rewrite within one second too), a rename over it (an editor's save) or its
  /// removal and return makes the authenticator load it again, and the next handshake after that
  /// is decided by it. A file that cannot be read or is invalid keeps the policy in force; the
  /// log says why (file:line:column) and stats().policy_reload_failures counts it. A rewrite
  /// keeps the store of each certificate folder or authorized-keys file it names for the same
  /// domain as before (the store follows its source already), so editing a rule does not read a
  /// million keys again. reload() loads it again too, and reads every folder and key file anew.
  /// Configuring calls made after it change the policy in force until the file's next load, which
  /// replaces the whole policy with the file's again; replace() puts a policy in its place and
  /// stops following the file.
  authenticator& load_policy_file(const std::filesystem::path& file);

  // --- Observation ------------------------------------------------------------------------------
  /// Receives every decision on the handler's thread (empty: none). It must be quick; exceptions
  /// it throws are caught and counted (policy::observer_errors()).
  authenticator& on_decision(decision_observer observer);
  /// Replaces the logger (null: none). It receives every decision (domain, address, mechanism,
  /// User-Id, status and reason; info for 200, warn for refusals, error for 500), the start and
  /// stop of the handler, password file reloads and certificate folder problems. Passwords and
  /// secret keys never reach it; text that comes from the network is escaped.
  authenticator& set_logger(std::shared_ptr<spdlog::logger> logger);

  /// Reads every password file again and reloads every certificate folder and authorized-keys
  /// file opened by configure_curve(domain, folder) or configure_curve_keys_file, on the calling
  /// thread (e.g. on SIGHUP). Failures are logged and keep what was loaded before; returns false if
  /// there was any. With a policy file (load_policy_file), loads that file again instead, with
  /// everything it names.
  bool reload();

  /// The policy in force (the handler uses it for every request it reads from now on).
  std::shared_ptr<const policy> current_policy() const;
  /// The generation of current_policy(): 1 for the constructor's, one more for each one
  /// published since (by a configuring call or a password file reload). 0 once moved from.
  std::uint64_t generation() const noexcept;
  /// Waits until a policy of generation at_least or later is published (so any request the
  /// handler reads from then on is decided by it), or timeout passes; returns whether it was.
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const;
  /// The store configure_curve(domain, folder) or configure_curve_keys_file opened for domain, if
  /// that is what domain has for CURVE now (as far as this authenticator's configure_curve* calls
  /// tell: a change made through configure() is not seen here); otherwise null.
  std::shared_ptr<const certs::cert_store> curve_store(std::string_view domain) const;

  /// The counters (each read on its own, without a lock). All zero once moved from.
  authenticator_stats stats() const noexcept;
  /// The decisions by domain, status and mechanism, and their times (for an exporter). Empty
  /// once moved from.
  authenticator_decision_stats decision_stats() const;

 protected:
  /// Whether the variant can answer a request later (deferred callbacks and deciders).
  enum class answers_later : bool { no, yes };
  /// config's password files are followed; logger may be null. Throws zmqsec::error if config
  /// needs deferral and the variant does not answer later.
  authenticator(policy_config config, std::shared_ptr<spdlog::logger> logger,
                answers_later deferral);
  authenticator(authenticator&&) noexcept;
  authenticator& operator=(authenticator&&) noexcept;
  authenticator(const authenticator&) = delete;
  authenticator& operator=(const authenticator&) = delete;
  /// Not virtual: an authenticator is not destroyed through this base.
  ~authenticator();

  /// What the handler shares with the configuration: the variants' handlers hold it too, so it
  /// outlives them whatever the order of destruction or move. Throws zmqsec::error once moved
  /// from.
  const std::shared_ptr<detail::authenticator_core>& core() const;

 private:
  friend class session_guard;  // follows the sessions this authenticator accepted
  std::shared_ptr<detail::authenticator_core> core_;  // null only when moved from
};

}  // namespace zmqsec::auth
