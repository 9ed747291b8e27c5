#include "policy_publisher.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include <zmqsec/core/text.hpp>

#include "decision_log.hpp"
#include "password_follower.hpp"

namespace zmqsec::auth::detail {

namespace {

using core::escape_for_log;

// What a certificate folder holds now, and what is wrong with its files.
void log_store(shared_log& log, const std::filesystem::path& folder, std::string_view domain,
               const certs::cert_snapshot& snapshot) {
  constexpr std::size_t listed = 10;  // problems named one by one; the rest are counted
  log.log(spdlog::level::info, "CURVE certificates of domain \"{}\": {} keys from {}{}",
          escape_for_log(domain), snapshot.size(), escape_for_log(folder.string()),
          snapshot.stale() ? " (folder unreadable: keeping the keys loaded before)" : "");
  const auto& problems = snapshot.problems();
  for (std::size_t i = 0; i < problems.size() && i < listed; ++i) {
    const std::string line = problems[i].line > 0 ? ":" + std::to_string(problems[i].line) : "";
    log.log(spdlog::level::warn, "CURVE certificates: {}{}: {}",
            escape_for_log(problems[i].path.string()), line, escape_for_log(problems[i].reason));
  }
  if (problems.size() > listed) {
    log.log(spdlog::level::warn, "CURVE certificates: {} more problems in {}",
            problems.size() - listed, escape_for_log(folder.string()));
  }
}

}  // namespace

policy_publisher::policy_publisher(policy_config config, std::shared_ptr<spdlog::logger> logger,
                                   handler_counters& counters, bool takes_deferred,
                                   std::string transport)
    : log_(std::make_shared<shared_log>()),
      counters_(counters),
      takes_deferred_(takes_deferred),
      transport_(std::move(transport)) {
  check_transport(config);
  files_ = std::make_unique<password_follower>(*this, counters, log_);
  retired old;
  std::lock_guard lock(config_mutex_);
  logger_ = std::move(logger);
  log_->set(logger_);
  follow_new_files_locked(config);
  config.on_decision(make_observer_locked(config));
  config_ = std::move(config);
  publish_locked(old);
}

policy_publisher::~policy_publisher() {
  // Stopped, not reset: a change being handled goes on through file_changed(), which uses
  // files_ (reset() would null it first) and may wait for config_mutex_ (not held here).
  files_->stop();
}

void policy_publisher::change(const std::function<void(policy_config&)>& edit) {
  retired old;
  std::lock_guard lock(config_mutex_);
  policy_config next = config_;
  edit(next);
  check_transport(next);
  follow_new_files_locked(next);
  next.on_decision(make_observer_locked(next));
  old.config = std::exchange(config_, std::move(next));
  publish_locked(old);
}

void policy_publisher::replace(policy_config config) {
  check_transport(config);
  retired old;
  std::lock_guard lock(config_mutex_);
  follow_new_files_locked(config);
  config.on_decision(make_observer_locked(config));
  old.config = std::exchange(config_, std::move(config));
  old.stores = std::exchange(stores_, {});
  file_store_sources_.clear();
  policy_file_.reset();  // a whole policy given in its place: the file no longer applies
  publish_locked(old);
}

void policy_publisher::change_curve(std::string_view domain,
                                    const std::function<void(policy_config&)>& edit) {
  retired old;
  std::lock_guard lock(config_mutex_);
  policy_config next = config_;
  edit(next);
  check_transport(next);
  old.config = std::exchange(config_, std::move(next));
  forget_store_locked(domain, old);
  publish_locked(old);
}

void policy_publisher::configure_plain_file(std::string_view domain,
                                            const std::filesystem::path& file) {
  retired old;
  std::lock_guard lock(config_mutex_);
  // Watched before it is read, so that no change between the two goes unseen.
  files_->follow(file);
  config_.configure_plain_file(domain, file);
  publish_locked(old);
}

void policy_publisher::configure_curve_folder(std::string_view domain,
                                              const std::filesystem::path& folder,
                                              certs::cert_store_options options, bool keys_file) {
  // Loaded outside the lock: a large folder takes a while.
  auto store = open_store(domain, folder, std::move(options), keys_file);
  retired old;
  std::lock_guard lock(config_mutex_);
  policy_config next = config_;
  next.configure_curve(domain, std::shared_ptr<const certs::cert_store>(store));
  old.config = std::exchange(config_, std::move(next));
  forget_store_locked(domain, old);
  stores_.emplace(std::string(domain), std::move(store));
  publish_locked(old);
}

/// The store of a certificate folder or an authorized-keys file, whose loads (now and whenever
/// it changes) are logged.
std::shared_ptr<certs::cert_store> policy_publisher::open_store(std::string_view domain,
                                                                const std::filesystem::path& folder,
                                                                certs::cert_store_options options,
                                                                bool keys_file) const {
  auto user_callback = std::move(options.on_change);
  options.on_change = [log = log_, folder, name = std::string(domain),
                       user_callback](const std::shared_ptr<const certs::cert_snapshot>& s) {
    if (s) log_store(*log, folder, name, *s);
    if (user_callback) user_callback(s);
  };
  auto store = keys_file ? std::make_shared<certs::cert_store>(
                               certs::cert_store::from_authorized_keys(folder, std::move(options)))
                         : std::make_shared<certs::cert_store>(folder, std::move(options));
  log_store(*log_, keys_file ? store->keys_file() : store->folder(), domain, *store->current());
  return store;
}

void policy_publisher::on_decision(decision_observer observer) {
  retired old;
  std::lock_guard lock(config_mutex_);
  user_observer_ = std::move(observer);
  config_.on_decision(make_observer_locked(config_));
  publish_locked(old);
}

void policy_publisher::set_logger(std::shared_ptr<spdlog::logger> logger) {
  retired old;
  std::lock_guard lock(config_mutex_);
  logger_ = std::move(logger);
  log_->set(logger_);
  config_.on_decision(make_observer_locked(config_));
  publish_locked(old);
}

bool policy_publisher::reload() {
  {
    std::lock_guard file_lock(policy_file_mutex_);
    std::optional<std::filesystem::path> file;
    {
      std::lock_guard lock(config_mutex_);
      file = policy_file_;
    }
    // The policy file names every password file and folder in force: reading it again reads
    // them all again (and replaces what configuring calls changed since).
    // Asked for (SIGHUP, say): every folder and key file is read anew, as when first loaded.
    if (file) return reload_policy_file(*file, store_reuse::none);
  }
  std::vector<std::filesystem::path> files;
  std::vector<std::shared_ptr<certs::cert_store>> stores;
  {
    std::lock_guard lock(config_mutex_);
    files = config_.plain_files();
    for (const auto& [domain, store] : stores_) stores.push_back(store);
  }
  bool ok = true;
  for (const auto& file : files) ok = files_->reload(file) && ok;
  for (const auto& store : stores) {
    if (store->reload()->stale()) ok = false;  // the store's on_change logs what it found
  }
  return ok;
}

std::shared_ptr<const policy> policy_publisher::current_policy() const {
  return source_.current.load(std::memory_order_acquire);
}

std::uint64_t policy_publisher::generation() const noexcept {
  return source_.generation.load(std::memory_order_acquire);
}

bool policy_publisher::wait_for_generation(std::uint64_t at_least,
                                           std::chrono::milliseconds timeout) const {
  std::unique_lock lock(generation_mutex_);
  return generation_changed_.wait_for(lock, timeout, [&] { return generation() >= at_least; });
}

std::shared_ptr<const certs::cert_store> policy_publisher::curve_store(
    std::string_view domain) const {
  std::lock_guard lock(config_mutex_);
  auto found = stores_.find(domain);
  return found == stores_.end() ? nullptr : found->second;
}

bool policy_publisher::configures(const std::filesystem::path& file) const {
  std::lock_guard lock(config_mutex_);
  const auto files = config_.plain_files();
  return std::find(files.begin(), files.end(), file) != files.end();
}

void policy_publisher::update_plain_file(const std::filesystem::path& file,
                                         const password_table& users) {
  retired old;
  std::lock_guard lock(config_mutex_);
  if (config_.update_plain_file(file, users) != 0) publish_locked(old);
}

decision_observer policy_publisher::make_observer_locked(const policy_config& config) const {
  return logging_observer(logger_, user_observer_, config.logged_decisions());
}

void policy_publisher::publish_locked(retired& old) {
  old.published = source_.current.exchange(config_.build(), std::memory_order_acq_rel);
  {
    std::lock_guard lock(generation_mutex_);
    source_.generation.store(source_.generation.load() + 1, std::memory_order_release);
  }
  generation_changed_.notify_all();
}

/// Watches the password files of next that are not watched yet, then reads them again into next
/// (they were read before the watch began). Throws, changing nothing that matters, if a file
/// cannot be watched or read.
void policy_publisher::follow_new_files_locked(policy_config& next) {
  for (const auto& file : next.plain_files()) {
    if (files_->follows(file)) continue;
    files_->follow(file);
    next.update_plain_file(file, load_password_file(file));
  }
}

void policy_publisher::check_transport(const policy_config& next) const {
  if (takes_deferred_ || !next.needs_deferral()) return;
  throw zmqsec::error(errc::invalid_argument,
                      transport_ +
                          " cannot answer a ZAP request later: deferred and coroutine callbacks "
                          "(configure_*_deferred, configure_*_async) need loop_authenticator");
}

void policy_publisher::forget_store_locked(std::string_view domain, retired& old) {
  if (auto found = stores_.find(domain); found != stores_.end()) {
    old.stores.insert(stores_.extract(found));
  }
  if (auto found = file_store_sources_.find(domain); found != file_store_sources_.end()) {
    file_store_sources_.erase(found);
  }
}

}  // namespace zmqsec::auth::detail
