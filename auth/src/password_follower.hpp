// Following password files: each file given to configure_plain_file is watched
// (core/file_watch.hpp) and read again when it changes; a table that reads and parses is published,
// one that does not keeps the table loaded before (and the log says so). The same watch follows the
// policy file (one inotify instance): every change goes to the publisher's file_changed(), which
// reloads the policy file itself and gives password files back to reload(). Private to
// zmqsec::auth.
#pragma once

#include <filesystem>
#include <memory>

#include <zmqsec/core/file_watch.hpp>
#include "handler_state.hpp"
#include "shared_log.hpp"

namespace zmqsec::auth::detail {

class policy_publisher;

class password_follower {
 public:
  /// Reloads go to publisher, are counted in counters and logged to log. Starts no thread yet.
  password_follower(policy_publisher& publisher, handler_counters& counters,
                    std::shared_ptr<shared_log> log);
  password_follower(const password_follower&) = delete;
  password_follower& operator=(const password_follower&) = delete;
  /// Stops following (waits for a reload in progress, which may wait for the publisher's lock).
  ~password_follower();

  /// Stops following, as the destructor does, while this object stays usable: a change being
  /// handled when it is called goes on through the publisher, which may call back into this
  /// follower (reload(), follow()). No change is handled after it returns.
  void stop() noexcept;

  /// Watches file (a password or policy file) from now on (throws zmqsec::error if its folder
  /// cannot be watched).
  void follow(const std::filesystem::path& file);
  /// Whether file is followed.
  bool follows(const std::filesystem::path& file) const;
  /// Reads file again and publishes it; keeps the last good table on failure. Returns false on
  /// failure. Any thread; never called with the publisher's lock held.
  bool reload(const std::filesystem::path& file) noexcept;

 private:
  policy_publisher& publisher_;
  handler_counters& counters_;
  std::shared_ptr<shared_log> log_;
  std::unique_ptr<core::file_watch> watch_;  // made by the first follow()
};

}  // namespace zmqsec::auth::detail
