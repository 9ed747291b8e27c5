// The configuring side of an authenticator: its policy_config under a mutex, the immutable
// policies published from it for the ZAP server to read without a lock, the certificate folders
// it opened, the logger, and (through password_follower) the password files it follows.
// Thread-safe. Private to zmqsec::auth.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/fwd.h>

#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/certs/cert_store.hpp>

#include "handler_state.hpp"
#include "shared_log.hpp"

namespace zmqsec::auth::detail {

class password_follower;

class policy_publisher {
 public:
  /// Publishes config (generation 1) and follows its password files. counters receives the
  /// password reloads. takes_deferred: whether the transport can answer later (configurations
  /// that need it are refused otherwise, naming transport).
  policy_publisher(policy_config config, std::shared_ptr<spdlog::logger> logger,
                   handler_counters& counters, bool takes_deferred, std::string transport);
  policy_publisher(const policy_publisher&) = delete;
  policy_publisher& operator=(const policy_publisher&) = delete;
  ~policy_publisher();

  /// Applies edit to a copy of the configuration and publishes it; all or nothing. Password
  /// files it configures are followed.
  void change(const std::function<void(policy_config&)>& edit);
  /// Publishes config in place of the whole configuration (the observer and logger stay);
  /// follows its password files. The certificate folders opened before are forgotten.
  void replace(policy_config config);
  /// The same for a CURVE change other than a folder: the domain's store is forgotten.
  void change_curve(std::string_view domain, const std::function<void(policy_config&)>& edit);
  void configure_plain_file(std::string_view domain, const std::filesystem::path& file);
  /// A certificate folder, or with keys_file an authorized-keys file.
  void configure_curve_folder(std::string_view domain, const std::filesystem::path& folder,
                              certs::cert_store_options options, bool keys_file);
  /// Loads a policy file and puts it in force in place of the whole configuration (as replace());
  /// follows it from then on. Throws policy_file_error or zmqsec::error; nothing changes then.
  void load_policy_file(const std::filesystem::path& file);
  void on_decision(decision_observer observer);
  void set_logger(std::shared_ptr<spdlog::logger> logger);
  bool reload();

  std::shared_ptr<const policy> current_policy() const;
  std::uint64_t generation() const noexcept;
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const;
  std::shared_ptr<const certs::cert_store> curve_store(std::string_view domain) const;

  // --- For the password follower ----------------------------------------------------------------
  /// A followed file may have changed: the policy file is loaded again, a password file read.
  void file_changed(const std::filesystem::path& file) noexcept;
  /// Whether file is still configured for some domain.
  bool configures(const std::filesystem::path& file) const;
  /// Gives the domains configured with file the table users and publishes, if there are any.
  void update_plain_file(const std::filesystem::path& file, const password_table& users);

  /// Where the ZAP server reads the policy in force.
  const policy_source& source() const noexcept { return source_; }
  /// The authenticator's own messages (handler started, stopped, failed).
  shared_log& log() noexcept { return *log_; }

 private:
  struct loaded_policy;
  /// Whether a reload keeps the stores of the folders and key files the file named before.
  enum class store_reuse : bool { none, unchanged };
  loaded_policy read_policy_file(const std::filesystem::path& file, store_reuse reuse) const;
  void install_policy_file(const std::filesystem::path& file, loaded_policy loaded);
  bool reload_policy_file(const std::filesystem::path& file, store_reuse reuse) noexcept;
  std::shared_ptr<certs::cert_store> open_store(std::string_view domain,
                                                const std::filesystem::path& path,
                                                certs::cert_store_options options,
                                                bool keys_file) const;
  // What a change replaced: the configuration, the policy and the stores. Declared before the
  // lock is taken, so released after it is: letting go of a store's last reference stops its
  // follower thread, which may be inside the store's on_change, in a call to this publisher that
  // waits for config_mutex_.
  struct retired {
    policy_config config;
    std::shared_ptr<const policy> published;
    std::map<std::string, std::shared_ptr<certs::cert_store>, std::less<>> stores;
  };
  decision_observer make_observer_locked(const policy_config& config) const;
  void publish_locked(retired& old);
  void follow_new_files_locked(policy_config& next);
  void forget_store_locked(std::string_view domain, retired& old);
  void check_transport(const policy_config& next) const;

  // Published policy (read by the ZAP server without a lock).
  policy_source source_;
  mutable std::mutex generation_mutex_;
  mutable std::condition_variable generation_changed_;

  // Configuration (never touched by the ZAP server).
  mutable std::mutex config_mutex_;
  policy_config config_;
  decision_observer user_observer_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<shared_log> log_;
  std::map<std::string, std::shared_ptr<certs::cert_store>, std::less<>> stores_;
  // What the policy file named for the stores it opened (by domain): a reload that names the
  // same folder or key file for a domain keeps that store, which follows its source live.
  std::map<std::string, std::pair<policy_file_source::kind, std::filesystem::path>, std::less<>>
      file_store_sources_;
  std::optional<std::filesystem::path> policy_file_;  // followed; forgotten by replace()

  // One policy file load at a time, from reading the file to publishing it (outside
  // config_mutex_: opening a large certificate folder takes a while).
  std::mutex policy_file_mutex_;
  handler_counters& counters_;
  bool takes_deferred_;
  std::string transport_;
  std::unique_ptr<password_follower> files_;  // last: its thread calls back into this
};

}  // namespace zmqsec::auth::detail
