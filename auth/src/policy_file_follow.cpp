// The authenticator's policy file: loaded, put in force in place of the whole configuration,
// and followed through the password files' watch (one inotify instance). A reload that fails
// keeps the policy in force and says why (file:line:column). Part of policy_publisher.
#include <exception>
#include <map>
#include <string>
#include <utility>

#include <spdlog/logger.h>

#include <zmqsec/auth/policy_file.hpp>
#include <zmqsec/core/text.hpp>

#include "password_follower.hpp"
#include "policy_file_resolve.hpp"
#include "policy_publisher.hpp"

namespace zmqsec::auth::detail {

using core::escape_for_log;

struct policy_publisher::loaded_policy {
  policy_config config;
  std::map<std::string, std::shared_ptr<certs::cert_store>, std::less<>> stores;
  std::map<std::string, std::pair<policy_file_source::kind, std::filesystem::path>, std::less<>>
      sources;  // what the file named for each store
};

/// Reads, parses and resolves file, opening its folders with logging (or, with
/// store_reuse::unchanged, keeping the store of a domain whose folder or key file the file names
/// as before: it follows its source, so it is as current as a new one, and a rewrite of the
/// policy does not read a million certificates again); touches no member but the log and, under
/// config_mutex_, the stores in force. Throws policy_file_error.
policy_publisher::loaded_policy policy_publisher::read_policy_file(
    const std::filesystem::path& file, store_reuse reuse) const {
  loaded_policy loaded;
  const policy_document document = parse_policy_document(detail::read_policy_file(file), file);
  decltype(stores_) reusable;
  decltype(file_store_sources_) reusable_sources;
  if (reuse == store_reuse::unchanged) {
    std::lock_guard lock(config_mutex_);
    reusable = stores_;
    reusable_sources = file_store_sources_;
  }
  loaded.config = resolve_policy_document(
      document, [&](std::string_view domain, const std::filesystem::path& folder,
                    policy_file_source::kind what) {
        std::shared_ptr<certs::cert_store> store;
        const auto source = reusable_sources.find(domain);
        const auto kept = reusable.find(domain);
        if (source != reusable_sources.end() && kept != reusable.end() &&
            source->second == std::pair{what, folder}) {
          store = kept->second;
        } else {
          store = open_store(domain, folder, {}, what == policy_file_source::kind::authorized_keys);
        }
        loaded.stores.insert_or_assign(std::string(domain), store);
        loaded.sources.insert_or_assign(std::string(domain), std::pair{what, folder});
        return std::shared_ptr<const certs::cert_store>(std::move(store));
      });
  return loaded;
}

/// Puts a loaded policy file in force (policy_file_mutex_ held by the caller).
void policy_publisher::install_policy_file(const std::filesystem::path& file,
                                           loaded_policy loaded) {
  check_transport(loaded.config);
  retired old;
  std::lock_guard lock(config_mutex_);
  follow_new_files_locked(loaded.config);
  loaded.config.on_decision(make_observer_locked(loaded.config));
  old.config = std::exchange(config_, std::move(loaded.config));
  old.stores = std::exchange(stores_, std::move(loaded.stores));
  file_store_sources_ = std::move(loaded.sources);
  policy_file_ = file;
  publish_locked(old);
  counters_.add_shared(&authenticator_stats::policy_loads);
}

void policy_publisher::load_policy_file(const std::filesystem::path& file) {
  std::lock_guard file_lock(policy_file_mutex_);
  // Watched before it is read, so that no change between the two goes unseen: the watch thread
  // reports it through file_changed(), which waits for policy_file_mutex_ and so for this load.
  files_->follow(file);
  loaded_policy loaded = read_policy_file(file, store_reuse::none);
  install_policy_file(file, std::move(loaded));
  log_->log(spdlog::level::info, "policy file {} loaded (policy generation {})",
            escape_for_log(file.string()), generation());
}

/// Loads file again (policy_file_mutex_ held by the caller); on failure keeps the policy in
/// force, counts and logs why.
bool policy_publisher::reload_policy_file(const std::filesystem::path& file,
                                          store_reuse reuse) noexcept {
  try {
    install_policy_file(file, read_policy_file(file, reuse));
    log_->log(spdlog::level::info, "policy file {} reloaded (policy generation {})",
              escape_for_log(file.string()), generation());
    return true;
  } catch (const std::exception& e) {
    counters_.add_shared(&authenticator_stats::policy_reload_failures);
    log_->log(spdlog::level::err, "policy file not reloaded, keeping the policy in force: {}",
              escape_for_log(e.what()));
    return false;
  }
}

void policy_publisher::file_changed(const std::filesystem::path& file) noexcept {
  try {
    std::unique_lock file_lock(policy_file_mutex_);
    bool is_policy_file = false;
    {
      std::lock_guard lock(config_mutex_);
      is_policy_file = policy_file_ == file;
    }
    if (is_policy_file) {
      reload_policy_file(file, store_reuse::unchanged);
      return;
    }
    file_lock.unlock();
    files_->reload(file);
  } catch (...) {  // a mutex that fails to lock: the next change tries again
  }
}

}  // namespace zmqsec::auth::detail
