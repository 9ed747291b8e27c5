#include <zmqsec/auth/thread_authenticator.hpp>

#include <sys/eventfd.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <exception>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
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

class thread_authenticator_impl {
 public:
  thread_authenticator_impl(zmq::context_t& context, policy_config config,
                            std::shared_ptr<spdlog::logger> logger)
      : context_(context.handle()),
        log_(std::make_shared<log_box>()),
        stop_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
    if (stop_fd_ < 0) throw zmqsec::error::from_errno(errno, "thread_authenticator: eventfd");
    if (context_ == nullptr) {
      ::close(stop_fd_);
      throw zmqsec::error(errc::invalid_argument, "thread_authenticator: the context is closed");
    }
    try {
      std::lock_guard lock(config_mutex_);
      logger_ = std::move(logger);
      log_->set(logger_);
      follow_new_files_locked(config);
      config.on_decision(make_observer_locked());
      config_ = std::move(config);
      publish_locked();
    } catch (...) {
      ::close(stop_fd_);
      throw;
    }
  }

  thread_authenticator_impl(const thread_authenticator_impl&) = delete;
  thread_authenticator_impl& operator=(const thread_authenticator_impl&) = delete;

  ~thread_authenticator_impl() {
    stop();
    watch_.reset();  // its thread may be waiting for config_mutex_: not held here
    ::close(stop_fd_);
  }

  // --- The handler ------------------------------------------------------------------------------

  void start() {
    std::lock_guard lock(lifecycle_mutex_);
    if (thread_.joinable()) {
      if (alive_.load()) return;
      thread_.join();  // it ended by itself (the context was terminated)
    }
    if (context_terminated_.load()) {
      throw zmqsec::error(std::error_code(ETERM, std::generic_category()),
                          "thread_authenticator: cannot start: the context is terminated");
    }
    std::uint64_t ignored = 0;
    while (::read(stop_fd_, &ignored, sizeof ignored) > 0) {
    }
    stop_flag_.store(false);

    std::promise<void> bound;
    std::future<void> ready = bound.get_future();
    alive_.store(true);
    try {
      thread_ = std::thread([this, bound = std::move(bound)]() mutable { run(bound); });
    } catch (...) {
      alive_.store(false);
      throw;
    }
    try {
      ready.get();
    } catch (...) {
      thread_.join();
      alive_.store(false);
      throw;
    }
    log_->log(spdlog::level::info, "ZAP handler bound at {}", zap_endpoint);
  }

  void stop() noexcept {
    if (std::this_thread::get_id() == handler_id_.load()) {
      // From a callback on the handler's own thread: it cannot wait for itself. The handler
      // ends after the requests it is deciding; the next start(), stop() or the destructor
      // joins it.
      stop_flag_.store(true);
      std::uint64_t one = 1;
      [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
      return;
    }
    std::lock_guard lock(lifecycle_mutex_);
    if (!thread_.joinable()) return;
    bool was_alive = alive_.load();
    stop_flag_.store(true);
    std::uint64_t one = 1;
    [[maybe_unused]] auto written = ::write(stop_fd_, &one, sizeof one);
    thread_.join();
    if (was_alive) log_->log(spdlog::level::info, "ZAP handler stopped");
  }

  bool is_alive() const noexcept { return alive_.load(); }

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

  thread_authenticator_stats stats() const noexcept {
    thread_authenticator_stats s;
    auto get = [](const std::atomic<std::uint64_t>& c) {
      return c.load(std::memory_order_relaxed);
    };
    s.requests = get(counters_.requests);
    s.accepted = get(counters_.accepted);
    s.temporary_failures = get(counters_.temporary_failures);
    s.refused = get(counters_.refused);
    s.internal_errors = get(counters_.internal_errors);
    s.dropped = get(counters_.dropped);
    s.send_failures = get(counters_.send_failures);
    s.password_reloads = get(password_reloads_);
    s.password_reload_failures = get(password_reload_failures_);
    return s;
  }

 private:
  void run(std::promise<void>& bound) noexcept {
    handler_id_.store(std::this_thread::get_id());
    struct forget_id {
      std::atomic<std::thread::id>& id;
      ~forget_id() { id.store(std::thread::id()); }
    } forget{handler_id_};
    void* socket = zmq_socket(context_, ZMQ_ROUTER);
    if (socket == nullptr) {
      int err = errno;
      if (err == ETERM) context_terminated_.store(true);
      alive_.store(false);
      bound.set_exception(std::make_exception_ptr(
          zmqsec::error::from_errno(err, "thread_authenticator: cannot create the ZAP socket")));
      return;
    }
    int zero = 0;
    zmq_setsockopt(socket, ZMQ_LINGER, &zero, sizeof zero);
    const std::string endpoint(zap_endpoint);
    if (zmq_bind(socket, endpoint.c_str()) != 0) {
      int err = errno;
      zmq_close(socket);
      if (err == ETERM) context_terminated_.store(true);
      alive_.store(false);
      std::string what = "thread_authenticator: cannot bind " + endpoint;
      if (err == EADDRINUSE) {
        what +=
            ": another ZAP handler (a second authenticator, or pyzmq's or CZMQ's) holds it in "
            "this context";
      }
      bound.set_exception(std::make_exception_ptr(zmqsec::error::from_errno(err, what)));
      return;
    }
    bound.set_value();

    handler_end end = run_zap_handler(socket, stop_fd_, stop_flag_, source_, counters_);
    int err = errno;
    // Not alive from here on, and said so before the socket closes: closing it is what lets a
    // terminating context return, and whoever waited for that must see the handler gone.
    if (end == handler_end::terminated) context_terminated_.store(true);
    alive_.store(false);
    // Closing alone frees the endpoint later, on libzmq's reaper thread; unbinding frees it now,
    // so that a start() right after stop() (of this or another authenticator) can bind it.
    zmq_unbind(socket, endpoint.c_str());
    zmq_close(socket);
    if (end == handler_end::terminated) {
      log_->log(spdlog::level::warn, "ZAP handler stopped: the context is terminated");
    } else if (end == handler_end::failed) {
      log_->log(spdlog::level::err, "ZAP handler failed: {}", zmq_strerror(err));
    }
  }

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

  void* context_;

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

  // The handler.
  std::mutex lifecycle_mutex_;
  std::thread thread_;
  std::atomic<bool> alive_{false};
  std::atomic<bool> stop_flag_{false};
  std::atomic<bool> context_terminated_{false};
  std::atomic<std::thread::id> handler_id_{};
  int stop_fd_;
  handler_counters counters_;
};

}  // namespace detail

namespace {
detail::thread_authenticator_impl& checked(
    const std::unique_ptr<detail::thread_authenticator_impl>& impl) {
  if (!impl) {
    throw zmqsec::error(errc::invalid_argument,
                        "thread_authenticator: used after being moved from");
  }
  return *impl;
}
}  // namespace

thread_authenticator::thread_authenticator(zmq::context_t& context,
                                           std::shared_ptr<spdlog::logger> logger)
    : thread_authenticator(context, policy_config{}, std::move(logger)) {}

thread_authenticator::thread_authenticator(zmq::context_t& context, policy_config config,
                                           std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<detail::thread_authenticator_impl>(context, std::move(config),
                                                                std::move(logger))) {}

thread_authenticator::thread_authenticator(thread_authenticator&& other) noexcept = default;
thread_authenticator& thread_authenticator::operator=(thread_authenticator&& other) noexcept =
    default;
thread_authenticator::~thread_authenticator() = default;

void thread_authenticator::start() {
  checked(impl_).start();
}
void thread_authenticator::stop() noexcept {
  if (impl_) impl_->stop();
}
bool thread_authenticator::is_alive() const noexcept {
  return impl_ && impl_->is_alive();
}

thread_authenticator& thread_authenticator::allow(std::string_view address) {
  checked(impl_).change([&](policy_config& c) { c.allow(address); });
  return *this;
}
thread_authenticator& thread_authenticator::deny(std::string_view address) {
  checked(impl_).change([&](policy_config& c) { c.deny(address); });
  return *this;
}
thread_authenticator& thread_authenticator::allow_all(std::span<const std::string_view> addresses) {
  checked(impl_).change([&](policy_config& c) { c.allow_all(addresses); });
  return *this;
}
thread_authenticator& thread_authenticator::deny_all(std::span<const std::string_view> addresses) {
  checked(impl_).change([&](policy_config& c) { c.deny_all(addresses); });
  return *this;
}

thread_authenticator& thread_authenticator::configure_plain(std::string_view domain,
                                                            password_table users) {
  checked(impl_).change([&](policy_config& c) { c.configure_plain(domain, std::move(users)); });
  return *this;
}
thread_authenticator& thread_authenticator::configure_plain_file(
    std::string_view domain, const std::filesystem::path& file) {
  checked(impl_).configure_plain_file(domain, file);
  return *this;
}

thread_authenticator& thread_authenticator::configure_curve(std::string_view domain,
                                                            curve_allow_any_t any) {
  checked(impl_).change_curve(domain, [&](policy_config& c) { c.configure_curve(domain, any); });
  return *this;
}
thread_authenticator& thread_authenticator::configure_curve(std::string_view domain,
                                                            const std::filesystem::path& folder,
                                                            certs::cert_store_options options) {
  checked(impl_).configure_curve_folder(domain, folder, std::move(options));
  return *this;
}
thread_authenticator& thread_authenticator::configure_curve(
    std::string_view domain, std::shared_ptr<const certs::cert_store> store) {
  checked(impl_).change_curve(
      domain, [&](policy_config& c) { c.configure_curve(domain, std::move(store)); });
  return *this;
}
thread_authenticator& thread_authenticator::configure_curve(std::string_view domain,
                                                            std::vector<certs::public_key> keys) {
  checked(impl_).change_curve(
      domain, [&](policy_config& c) { c.configure_curve(domain, std::move(keys)); });
  return *this;
}
thread_authenticator& thread_authenticator::configure_curve(
    std::string_view domain, std::initializer_list<std::string_view> z85_keys) {
  checked(impl_).change_curve(domain,
                              [&](policy_config& c) { c.configure_curve(domain, z85_keys); });
  return *this;
}
thread_authenticator& thread_authenticator::configure_curve_callback(std::string_view domain,
                                                                     curve_callback callback) {
  checked(impl_).change_curve(
      domain, [&](policy_config& c) { c.configure_curve_callback(domain, std::move(callback)); });
  return *this;
}
thread_authenticator& thread_authenticator::configure_curve_user_id(curve_user_id_hook hook) {
  checked(impl_).change([&](policy_config& c) { c.configure_curve_user_id(std::move(hook)); });
  return *this;
}
thread_authenticator& thread_authenticator::configure_gssapi(std::string_view domain) {
  checked(impl_).change([&](policy_config& c) { c.configure_gssapi(domain); });
  return *this;
}

thread_authenticator& thread_authenticator::configure(
    const std::function<void(policy_config&)>& edit) {
  checked(impl_).change([&](policy_config& c) { edit(c); });
  return *this;
}

thread_authenticator& thread_authenticator::on_decision(decision_observer observer) {
  checked(impl_).on_decision(std::move(observer));
  return *this;
}
thread_authenticator& thread_authenticator::set_logger(std::shared_ptr<spdlog::logger> logger) {
  checked(impl_).set_logger(std::move(logger));
  return *this;
}

bool thread_authenticator::reload() {
  return checked(impl_).reload();
}

std::shared_ptr<const policy> thread_authenticator::current_policy() const {
  return checked(impl_).current_policy();
}
std::uint64_t thread_authenticator::generation() const noexcept {
  return impl_ ? impl_->generation() : 0;
}
bool thread_authenticator::wait_for_generation(std::uint64_t at_least,
                                               std::chrono::milliseconds timeout) const {
  return checked(impl_).wait_for_generation(at_least, timeout);
}
std::shared_ptr<const certs::cert_store> thread_authenticator::curve_store(
    std::string_view domain) const {
  return checked(impl_).curve_store(domain);
}
thread_authenticator_stats thread_authenticator::stats() const noexcept {
  return impl_ ? impl_->stats() : thread_authenticator_stats{};
}

}  // namespace zmqsec::auth
