// Internal: the configuration half that thread_authenticator and loop_authenticator share. The
// publisher keeps the policy_config, follows password files and certificate folders, logs, and
// publishes immutable policies for a handler to read without a lock; configurable<Derived>
// gives both authenticators the same configuring calls (documented here once).
#pragma once

#include <chrono>
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

#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/passwords.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::auth::detail {

struct policy_source;
class policy_publisher_impl;

/// The configuration of an authenticator and the policies it publishes. Thread-safe.
class policy_publisher {
 public:
  policy_publisher(policy_config config, std::shared_ptr<spdlog::logger> logger);
  policy_publisher(const policy_publisher&) = delete;
  policy_publisher& operator=(const policy_publisher&) = delete;
  ~policy_publisher();

  /// Applies edit to a copy of the configuration and publishes it; all or nothing. Password
  /// files it configures are followed.
  void change(const std::function<void(policy_config&)>& edit);
  /// The same for a CURVE change other than a folder: the domain's store is forgotten.
  void change_curve(std::string_view domain, const std::function<void(policy_config&)>& edit);
  void configure_plain_file(std::string_view domain, const std::filesystem::path& file);
  void configure_curve_folder(std::string_view domain, const std::filesystem::path& folder,
                              certs::cert_store_options options);
  void on_decision(decision_observer observer);
  void set_logger(std::shared_ptr<spdlog::logger> logger);
  bool reload();

  std::shared_ptr<const policy> current_policy() const;
  std::uint64_t generation() const noexcept;
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const;
  std::shared_ptr<const certs::cert_store> curve_store(std::string_view domain) const;
  std::uint64_t password_reloads() const noexcept;
  std::uint64_t password_reload_failures() const noexcept;

  /// Where a handler reads the policy in force.
  policy_source& source() noexcept;
  /// The authenticator's own messages (handler started, stopped, failed), to its logger.
  void log_info(std::string_view message) noexcept;
  void log_warn(std::string_view message) noexcept;
  void log_error(std::string_view message) noexcept;

 private:
  std::unique_ptr<policy_publisher_impl> impl_;
};

/// The configuring calls of an authenticator. Derived provides
/// `policy_publisher* publisher() const noexcept` (null once moved from) to this base.
template <class Derived>
class configurable {
 public:
  // --- Addresses (for all domains and mechanisms; see address_rules.hpp for the syntax) --------
  Derived& allow(std::string_view address) {
    return edit([&](policy_config& c) { c.allow(address); });
  }
  Derived& deny(std::string_view address) {
    return edit([&](policy_config& c) { c.deny(address); });
  }
  /// Many at once (any range of strings), as one change: all or nothing.
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view> Derived& allow(
      const R& addresses) {
    std::vector<std::string_view> views(std::ranges::begin(addresses), std::ranges::end(addresses));
    return allow_all(views);
  }
  template <std::ranges::input_range R>
  requires std::convertible_to<std::ranges::range_reference_t<R>, std::string_view> Derived& deny(
      const R& addresses) {
    std::vector<std::string_view> views(std::ranges::begin(addresses), std::ranges::end(addresses));
    return deny_all(views);
  }
  Derived& allow_all(std::span<const std::string_view> addresses) {
    return edit([&](policy_config& c) { c.allow_all(addresses); });
  }
  Derived& deny_all(std::span<const std::string_view> addresses) {
    return edit([&](policy_config& c) { c.deny_all(addresses); });
  }

  // --- PLAIN ------------------------------------------------------------------------------------
  /// A fixed table for domain ("*": every domain without a PLAIN table of its own).
  Derived& configure_plain(std::string_view domain, password_table users) {
    return edit([&](policy_config& c) { c.configure_plain(domain, std::move(users)); });
  }
  /// A password file, read now (throws password_file_error) and followed from then on (throws
  /// zmqsec::error if its folder cannot be watched).
  Derived& configure_plain_file(std::string_view domain, const std::filesystem::path& file) {
    pub().configure_plain_file(domain, file);
    return self();
  }

  // --- CURVE ------------------------------------------------------------------------------------
  Derived& configure_curve(std::string_view domain, curve_allow_any_t any) {
    return edit_curve(domain, [&](policy_config& c) { c.configure_curve(domain, any); });
  }
  /// A folder of public certificates, read now and followed live by a cert_store (throws
  /// zmqsec::error if the folder cannot be opened or watched). Problems with its files are
  /// logged. The store is available through curve_store(domain).
  Derived& configure_curve(std::string_view domain, const std::filesystem::path& folder,
                           certs::cert_store_options options = {}) {
    pub().configure_curve_folder(domain, folder, std::move(options));
    return self();
  }
  /// A store the caller made (a folder or an in-memory store), shared.
  Derived& configure_curve(std::string_view domain,
                           std::shared_ptr<const certs::cert_store> store) {
    return edit_curve(domain,
                      [&](policy_config& c) { c.configure_curve(domain, std::move(store)); });
  }
  /// An explicit list of keys.
  Derived& configure_curve(std::string_view domain, std::vector<certs::public_key> keys) {
    return edit_curve(domain,
                      [&](policy_config& c) { c.configure_curve(domain, std::move(keys)); });
  }
  /// An explicit list of keys in Z85 (throws zmqsec::error for a bad key).
  Derived& configure_curve(std::string_view domain,
                           std::initializer_list<std::string_view> z85_keys) {
    return edit_curve(domain, [&](policy_config& c) { c.configure_curve(domain, z85_keys); });
  }
  /// callback(domain, z85_key) decides each key, on the handler's thread: it must be quick and
  /// must not wait for anything the handler does. An exception it throws gives a 500 reply.
  Derived& configure_curve_callback(std::string_view domain, curve_callback callback) {
    return edit_curve(
        domain, [&](policy_config& c) { c.configure_curve_callback(domain, std::move(callback)); });
  }
  /// Chooses the User-Id of accepted CURVE clients (empty: their Z85 key).
  Derived& configure_curve_user_id(curve_user_id_hook hook) {
    return edit([&](policy_config& c) { c.configure_curve_user_id(std::move(hook)); });
  }

  // --- GSSAPI -----------------------------------------------------------------------------------
  Derived& configure_gssapi(std::string_view domain) {
    return edit([&](policy_config& c) { c.configure_gssapi(domain); });
  }

  // --- Several changes as one -------------------------------------------------------------------
  /// Calls edit with a copy of the configuration and publishes the result as one policy; if edit
  /// throws, nothing changes (and the exception propagates). Password files it configures are
  /// followed like those of configure_plain_file; an observer it sets is replaced by the
  /// authenticator's (see on_decision()). Must not call back into this authenticator.
  Derived& configure(const std::function<void(policy_config&)>& change) { return edit(change); }

  // --- Observation ------------------------------------------------------------------------------
  /// Receives every decision on the handler's thread (empty: none). It must be quick; exceptions
  /// it throws are caught and counted (policy::observer_errors()).
  Derived& on_decision(decision_observer observer) {
    pub().on_decision(std::move(observer));
    return self();
  }
  /// Replaces the logger (null: none).
  Derived& set_logger(std::shared_ptr<spdlog::logger> logger) {
    pub().set_logger(std::move(logger));
    return self();
  }

  /// Reads every password file again and reloads every certificate folder opened by
  /// configure_curve(domain, folder), on the calling thread (e.g. on SIGHUP). Failures are logged
  /// and keep what was loaded before; returns false if there was any.
  bool reload() { return pub().reload(); }

  /// The policy in force (the handler uses it for every request it reads from now on).
  std::shared_ptr<const policy> current_policy() const { return pub().current_policy(); }
  /// The generation of current_policy(): 1 for the constructor's, one more for each one
  /// published since (by a configuring call or a password file reload).
  std::uint64_t generation() const noexcept {
    auto* p = derived().publisher();
    return p ? p->generation() : 0;
  }
  /// Waits until a policy of generation at_least or later is published (so any request the
  /// handler reads from then on is decided by it), or timeout passes; returns whether it was.
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const {
    return pub().wait_for_generation(at_least, timeout);
  }
  /// The store configure_curve(domain, folder) opened for domain, if that is what domain has for
  /// CURVE now (as far as this authenticator's configure_curve* calls tell: a change made through
  /// configure() is not seen here); otherwise null.
  std::shared_ptr<const certs::cert_store> curve_store(std::string_view domain) const {
    return pub().curve_store(domain);
  }

 protected:
  configurable() = default;
  ~configurable() = default;

  Derived& edit(const std::function<void(policy_config&)>& change) {
    pub().change(change);
    return self();
  }
  Derived& edit_curve(std::string_view domain, const std::function<void(policy_config&)>& change) {
    pub().change_curve(domain, change);
    return self();
  }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
  const Derived& derived() const noexcept { return static_cast<const Derived&>(*this); }
  policy_publisher& pub() const {
    policy_publisher* p = derived().publisher();
    if (p == nullptr) {
      throw zmqsec::error(errc::invalid_argument, "authenticator: used after being moved from");
    }
    return *p;
  }
};

}  // namespace zmqsec::auth::detail
