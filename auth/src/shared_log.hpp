// The authenticator's logger as the threads other than the ZAP server's see it (the password
// file follower, certificate store followers, start and stop): replaceable at any time, shared
// with callbacks that may outlive the authenticator (a store a user keeps). Never throws.
// Private to zmqsec::auth.
#pragma once

#include <memory>
#include <mutex>
#include <string_view>
#include <utility>

#include <spdlog/logger.h>

namespace zmqsec::auth::detail {

class shared_log {
 public:
  std::shared_ptr<spdlog::logger> get() const {
    std::lock_guard lock(mutex_);
    return logger_;
  }
  void set(std::shared_ptr<spdlog::logger> next) {
    std::lock_guard lock(mutex_);
    logger_ = std::move(next);
  }

  template <class... Args>
  void log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> format,
           Args&&... args) noexcept {
    try {
      if (auto l = get()) l->log(level, format, std::forward<Args>(args)...);
    } catch (...) {  // never throw from a log call
    }
  }
  void info(std::string_view message) noexcept { log(spdlog::level::info, "{}", message); }
  void warn(std::string_view message) noexcept { log(spdlog::level::warn, "{}", message); }
  void error(std::string_view message) noexcept { log(spdlog::level::err, "{}", message); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace zmqsec::auth::detail
