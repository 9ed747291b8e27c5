// Following a few files (password files, authorized-keys files) with inotify, on a thread of
// its own (a core::worker), over core::folder_watch.
//
//   zmqsec::core::file_watch watch(
//       [](std::span<const std::filesystem::path> changed) { reload(changed); },
//       [](const std::string& warning) { log(warning); });
//   watch.add("/etc/app/passwords");   // watched when it returns (throws zmqsec::error if not)
//
// inotify watches the folder of each file, not the file, so that what replaces the file is seen
// too. A file counts as changed when it is closed after writing (a same-size rewrite within the
// same second included), renamed over, renamed away, removed, created non-empty or as a link, or
// its attributes change (permissions, ownership, touch). A file that is a symbolic link also
// counts as changed when anything is created, renamed or removed in its folder (the atomic
// `..data` swap of a Kubernetes volume). An overflowing event queue counts as a change of every
// file. The events of one read are gathered, so a burst of writes to one file asks for one
// reload, and the callback is always called after the last event it covers.
//
// A folder that disappears (removed, renamed away) is retried every second until it is back;
// its files count as changed then and when it went.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace zmqsec::core {

class file_watch {
 public:
  /// Called on the watch thread, one call at a time, with the paths (as given to add()) that
  /// may have changed. Exceptions it throws are caught and reported through on_warning.
  using change_callback = std::function<void(std::span<const std::filesystem::path> changed)>;
  using warning_callback = std::function<void(const std::string& warning)>;

  /// Starts the thread. Throws zmqsec::error if inotify cannot be set up.
  file_watch(change_callback on_change, warning_callback on_warning);
  file_watch(const file_watch&) = delete;
  file_watch& operator=(const file_watch&) = delete;
  /// Stops the thread (waiting for a callback in progress).
  ~file_watch();

  /// Stops the thread, waiting for a callback in progress: no callback starts after it returns.
  /// For owners whose callback uses what they are about to take down (stop first, then take
  /// down). Idempotent; any thread but the watch's own (a callback would wait for itself).
  void stop() noexcept;

  /// Follows file from now on (a change after add() returns is reported). Adding a file twice is
  /// harmless. Throws zmqsec::error if its folder cannot be watched. Thread-safe.
  void add(const std::filesystem::path& file);

  /// Whether file was added.
  bool contains(const std::filesystem::path& file) const;

 private:
  struct state;
  void run();
  std::unique_ptr<state> state_;
};

}  // namespace zmqsec::core
