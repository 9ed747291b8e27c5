// The configuration half of the authenticators (see detail/configurable.hpp): the
// policy_config under a mutex, password files followed with inotify, certificate folders
// followed by their stores, the logger, and the policies published for a handler to read.
#include <zmqsec/auth/detail/configurable.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include <spdlog/logger.h>

#include "file_watch.hpp"
#include "thread_handler.hpp"

namespace zmqsec::auth {

namespace detail {

namespace {

// Text from the network or a file name, fit for one log line: printable ASCII as is, anything
// else (control characters, bytes of other encodings, the quote and the backslash) as \xNN.
std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += hex[byte >> 4];
      out += hex[byte & 0xf];
    }
  }
  return out;
}

void log_decision(spdlog::logger& logger, const decision& d) {
  spdlog::level::level_enum level = spdlog::level::warn;
  if (d.outcome == zap_outcome::reply) {
    switch (d.status) {
      case zap_status::success:
        level = spdlog::level::info;
        break;
      case zap_status::temporary_failure:
      case zap_status::failure:
        level = spdlog::level::warn;
        break;
      case zap_status::internal_error:
        level = spdlog::level::err;
        break;
    }
  }
  if (!logger.should_log(level)) return;

  std::string credentials;
  if (!d.username.empty()) credentials += " user=\"" + printable(d.username) + "\"";
  if (!d.client_key.empty()) credentials += " key=" + printable(d.client_key);
  if (d.outcome != zap_outcome::reply) {
    logger.log(level, "ZAP request dropped ({}): domain=\"{}\" address=\"{}\" mechanism=\"{}\"{}",
               printable(d.reason), printable(d.domain), printable(d.address),
               printable(d.mechanism), credentials);
    return;
  }
  std::string user_id =
      d.status == zap_status::success ? " user_id=\"" + printable(d.user_id) + "\"" : "";
  std::string skipped;
  if (d.metadata_skipped != 0) {
    skipped = " metadata_skipped=" + std::to_string(d.metadata_skipped) + " (\"" +
              printable(d.first_skipped_name) +
              "\": " + std::string(to_string(d.first_skipped_problem)) + ")";
  }
  logger.log(level, "ZAP {} {}: domain=\"{}\" address=\"{}\" mechanism=\"{}\"{}{}{}{}",
             status_code(d.status), printable(d.reason), printable(d.domain), printable(d.address),
             printable(d.mechanism), credentials, user_id, d.malformed ? " malformed" : "",
             skipped);
}

// The logger of the threads that are not the handler's (file follower, cert store followers):
// shared with their callbacks, which may outlive the authenticator (a store a user keeps).
struct log_box {
  std::mutex mutex;
  std::shared_ptr<spdlog::logger> logger;

  std::shared_ptr<spdlog::logger> get() {
    std::lock_guard lock(mutex);
    return logger;
  }
  void set(std::shared_ptr<spdlog::logger> next) {
    std::lock_guard lock(mutex);
    logger = std::move(next);
  }
  template <class... Args>
  void log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> format,
           Args&&... args) noexcept {
    try {
      if (auto l = get()) l->log(level, format, std::forward<Args>(args)...);
    } catch (...) {  // never throw from a log call
    }
  }
};

void log_store(log_box& log, const std::filesystem::path& folder, std::string_view domain,
               const certs::cert_snapshot& snapshot) {
  constexpr std::size_t listed = 10;  // problems named one by one; the rest are counted
  log.log(spdlog::level::info, "CURVE certificates of domain \"{}\": {} keys from {}{}",
          printable(domain), snapshot.size(), printable(folder.string()),
          snapshot.stale() ? " (folder unreadable: keeping the keys loaded before)" : "");
  const auto& problems = snapshot.problems();
  for (std::size_t i = 0; i < problems.size() && i < listed; ++i) {
    log.log(spdlog::level::warn, "CURVE certificates: {}: {}", printable(problems[i].path.string()),
            printable(problems[i].reason));
  }
  if (problems.size() > listed) {
    log.log(spdlog::level::warn, "CURVE certificates: {} more problems in {}",
            problems.size() - listed, printable(folder.string()));
  }
}

}  // namespace

class policy_publisher_impl {
 public:
  policy_publisher_impl(policy_config config, std::shared_ptr<spdlog::logger> logger)
      : log_(std::make_shared<log_box>()) {
    std::lock_guard lock(config_mutex_);
    logger_ = std::move(logger);
    log_->set(logger_);
    follow_new_files_locked(config);
    config.on_decision(make_observer_locked());
    config_ = std::move(config);
    publish_locked();
  }

  ~policy_publisher_impl() {
    watch_.reset();  // its thread may be waiting for config_mutex_: not held here
  }

  // --- Configuration ----------------------------------------------------------------------------

  /// Applies edit to the configuration and publishes the result; all or nothing.
  template <class Edit>
  void change(Edit&& edit) {
    std::lock_guard lock(config_mutex_);
    policy_config next = config_;
    edit(next);
    follow_new_files_locked(next);
    next.on_decision(make_observer_locked());
    config_ = std::move(next);
    publish_locked();
  }

  void configure_plain_file(std::string_view domain, const std::filesystem::path& file) {
    std::lock_guard lock(config_mutex_);
    // Watched before it is read, so that no change between the two goes unseen.
    watch_locked().add(file);
    config_.configure_plain_file(domain, file);
    publish_locked();
  }

  void configure_curve_folder(std::string_view domain, const std::filesystem::path& folder,
                              certs::cert_store_options options) {
    // Loaded outside the lock: a large folder takes a while.
    auto user_callback = std::move(options.on_change);
    options.on_change = [log = log_, folder, name = std::string(domain),
                         user_callback](const std::shared_ptr<const certs::cert_snapshot>& s) {
      if (s) log_store(*log, folder, name, *s);
      if (user_callback) user_callback(s);
    };
    auto store = std::make_shared<certs::cert_store>(folder, std::move(options));
    log_store(*log_, store->folder(), domain, *store->current());
    std::lock_guard lock(config_mutex_);
    policy_config next = config_;
    next.configure_curve(domain, std::shared_ptr<const certs::cert_store>(store));
    config_ = std::move(next);
    forget_store_locked(domain);
    stores_.emplace(std::string(domain), std::move(store));
    publish_locked();
  }

  /// A CURVE configuration other than a folder replaces the domain's store.
  template <class Edit>
  void change_curve(std::string_view domain, Edit&& edit) {
    std::lock_guard lock(config_mutex_);
    policy_config next = config_;
    edit(next);
    config_ = std::move(next);
    forget_store_locked(domain);
    publish_locked();
  }

  void on_decision(decision_observer observer) {
    std::lock_guard lock(config_mutex_);
    user_observer_ = std::move(observer);
    config_.on_decision(make_observer_locked());
    publish_locked();
  }

  void set_logger(std::shared_ptr<spdlog::logger> logger) {
    std::lock_guard lock(config_mutex_);
    logger_ = std::move(logger);
    log_->set(logger_);
    config_.on_decision(make_observer_locked());
    publish_locked();
  }

  bool reload() {
    bool ok = true;
    std::vector<std::filesystem::path> files;
    std::vector<std::shared_ptr<certs::cert_store>> stores;
    {
      std::lock_guard lock(config_mutex_);
      files = config_.plain_files();
      for (const auto& [domain, store] : stores_) stores.push_back(store);
    }
    for (const auto& file : files) ok = reload_file(file) && ok;
    for (const auto& store : stores) {
      // The store's on_change logs what it found.
      if (store->reload()->stale()) ok = false;
    }
    return ok;
  }

  // --- Introspection ----------------------------------------------------------------------------

  std::shared_ptr<const policy> current_policy() const {
    return source_.current.load(std::memory_order_acquire);
  }
  std::uint64_t generation() const noexcept {
    return source_.generation.load(std::memory_order_acquire);
  }
  bool wait_for_generation(std::uint64_t at_least, std::chrono::milliseconds timeout) const {
    std::unique_lock lock(generation_mutex_);
    return generation_changed_.wait_for(lock, timeout, [&] { return generation() >= at_least; });
  }

  std::shared_ptr<const certs::cert_store> curve_store(std::string_view domain) const {
    std::lock_guard lock(config_mutex_);
    auto found = stores_.find(domain);
    if (found == stores_.end()) return nullptr;
    return found->second;
  }

  std::uint64_t password_reloads() const noexcept {
    return password_reloads_.load(std::memory_order_relaxed);
  }
  std::uint64_t password_reload_failures() const noexcept {
    return password_reload_failures_.load(std::memory_order_relaxed);
  }
  policy_source& source() noexcept { return source_; }
  log_box& log() noexcept { return *log_; }

 private:
  decision_observer make_observer_locked() const {
    if (!logger_ && !user_observer_) return {};
    return [logger = logger_, user = user_observer_](const decision& d) {
      if (logger) {
        try {
          log_decision(*logger, d);
        } catch (...) {  // logging never fails a decision
        }
      }
      if (user) user(d);
    };
  }

  void publish_locked() {
    std::shared_ptr<const policy> next = config_.build();
    source_.current.store(std::move(next), std::memory_order_release);
    {
      std::lock_guard lock(generation_mutex_);
      source_.generation.store(source_.generation.load() + 1, std::memory_order_release);
    }
    generation_changed_.notify_all();
  }

  file_watch& watch_locked() {
    if (!watch_) {
      watch_ = std::make_unique<file_watch>(
          [this](std::span<const std::filesystem::path> changed) {
            for (const auto& file : changed) reload_file(file);
          },
          [log = log_](const std::string& warning) {
            log->log(spdlog::level::warn, "password files: {}", printable(warning));
          });
    }
    return *watch_;
  }

  /// Watches the password files of next that are not watched yet, then reads them again into
  /// next (they were read before the watch began). Throws, changing nothing that matters, if a
  /// file cannot be watched or read.
  void follow_new_files_locked(policy_config& next) {
    for (const auto& file : next.plain_files()) {
      if (watch_ && watch_->contains(file)) continue;
      watch_locked().add(file);
      next.update_plain_file(file, load_password_file(file));
    }
  }

  /// Reads a password file again and publishes it; keeps the last good table on failure.
  bool reload_file(const std::filesystem::path& file) noexcept {
    try {
      if (!still_configured(file)) return true;  // replaced since: nothing to keep up to date
      password_table users = load_password_file(file);
      std::size_t domains = 0;
      {
        std::lock_guard lock(config_mutex_);
        domains = config_.update_plain_file(file, users);
        if (domains != 0) publish_locked();
      }
      password_reloads_.fetch_add(1, std::memory_order_relaxed);
      log_->log(spdlog::level::info, "password file {} reloaded: {} users",
                printable(file.string()), users.size());
      return true;
    } catch (const std::exception& e) {
      password_reload_failures_.fetch_add(1, std::memory_order_relaxed);
      log_->log(spdlog::level::err,
                "password file {} not reloaded, keeping the table loaded "
                "before: {}",
                printable(file.string()), printable(e.what()));
      return false;
    }
  }

  bool still_configured(const std::filesystem::path& file) const {
    std::lock_guard lock(config_mutex_);
    auto files = config_.plain_files();
    return std::find(files.begin(), files.end(), file) != files.end();
  }

  void forget_store_locked(std::string_view domain) {
    if (auto found = stores_.find(domain); found != stores_.end()) stores_.erase(found);
  }

  // Published policy (read by the handler without a lock).
  policy_source source_;
  mutable std::mutex generation_mutex_;
  mutable std::condition_variable generation_changed_;

  // Configuration (never touched by the handler).
  mutable std::mutex config_mutex_;
  policy_config config_;
  decision_observer user_observer_;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<log_box> log_;
  std::map<std::string, std::shared_ptr<certs::cert_store>, std::less<>> stores_;
  std::unique_ptr<file_watch> watch_;
  std::atomic<std::uint64_t> password_reloads_{0};
  std::atomic<std::uint64_t> password_reload_failures_{0};
};

policy_publisher::policy_publisher(policy_config config, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<policy_publisher_impl>(std::move(config), std::move(logger))) {}
policy_publisher::~policy_publisher() = default;

void policy_publisher::change(const std::function<void(policy_config&)>& edit) {
  impl_->change(edit);
}
void policy_publisher::change_curve(std::string_view domain,
                                    const std::function<void(policy_config&)>& edit) {
  impl_->change_curve(domain, edit);
}
void policy_publisher::configure_plain_file(std::string_view domain,
                                            const std::filesystem::path& file) {
  impl_->configure_plain_file(domain, file);
}
void policy_publisher::configure_curve_folder(std::string_view domain,
                                              const std::filesystem::path& folder,
                                              certs::cert_store_options options) {
  impl_->configure_curve_folder(domain, folder, std::move(options));
}
void policy_publisher::on_decision(decision_observer observer) {
  impl_->on_decision(std::move(observer));
}
void policy_publisher::set_logger(std::shared_ptr<spdlog::logger> logger) {
  impl_->set_logger(std::move(logger));
}
bool policy_publisher::reload() {
  return impl_->reload();
}
std::shared_ptr<const policy> policy_publisher::current_policy() const {
  return impl_->current_policy();
}
std::uint64_t policy_publisher::generation() const noexcept {
  return impl_->generation();
}
bool policy_publisher::wait_for_generation(std::uint64_t at_least,
                                           std::chrono::milliseconds timeout) const {
  return impl_->wait_for_generation(at_least, timeout);
}
std::shared_ptr<const certs::cert_store> policy_publisher::curve_store(
    std::string_view domain) const {
  return impl_->curve_store(domain);
}
std::uint64_t policy_publisher::password_reloads() const noexcept {
  return impl_->password_reloads();
}
std::uint64_t policy_publisher::password_reload_failures() const noexcept {
  return impl_->password_reload_failures();
}
policy_source& policy_publisher::source() noexcept {
  return impl_->source();
}
void policy_publisher::log_info(std::string_view message) noexcept {
  impl_->log().log(spdlog::level::info, "{}", message);
}
void policy_publisher::log_warn(std::string_view message) noexcept {
  impl_->log().log(spdlog::level::warn, "{}", message);
}
void policy_publisher::log_error(std::string_view message) noexcept {
  impl_->log().log(spdlog::level::err, "{}", message);
}

}  // namespace detail

}  // namespace zmqsec::auth
