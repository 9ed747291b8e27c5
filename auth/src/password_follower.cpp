#include "password_follower.hpp"

#include <exception>
#include <span>
#include <string>

#include <zmqsec/core/text.hpp>

#include "policy_publisher.hpp"

namespace zmqsec::auth::detail {

using core::escape_for_log;

password_follower::password_follower(policy_publisher& publisher, handler_counters& counters,
                                     std::shared_ptr<shared_log> log)
    : publisher_(publisher), counters_(counters), log_(std::move(log)) {}

password_follower::~password_follower() = default;

void password_follower::stop() noexcept {
  if (!watch_) return;
  log_->log(spdlog::level::debug, "followed files: no longer followed");
  watch_->stop();
}

void password_follower::follow(const std::filesystem::path& file) {
  if (!watch_) {
    watch_ = std::make_unique<core::file_watch>(
        [this](std::span<const std::filesystem::path> changed) {
          for (const auto& path : changed) publisher_.file_changed(path);
        },
        [log = log_](const std::string& warning) {
          log->log(spdlog::level::warn, "followed files: {}", escape_for_log(warning));
        });
  }
  watch_->add(file);
}

bool password_follower::follows(const std::filesystem::path& file) const {
  return watch_ && watch_->contains(file);
}

bool password_follower::reload(const std::filesystem::path& file) noexcept {
  try {
    if (!publisher_.configures(file)) return true;  // replaced since: nothing to keep up to date
    const password_table users = load_password_file(file);
    publisher_.update_plain_file(file, users);
    counters_.add_shared(&authenticator_stats::password_reloads);
    log_->log(spdlog::level::info, "password file {} reloaded: {} users",
              escape_for_log(file.string()), users.size());
    return true;
  } catch (const std::exception& e) {
    counters_.add_shared(&authenticator_stats::password_reload_failures);
    log_->log(spdlog::level::err,
              "password file {} not reloaded, keeping the table loaded before: {}",
              escape_for_log(file.string()), escape_for_log(e.what()));
    return false;
  }
}

}  // namespace zmqsec::auth::detail
