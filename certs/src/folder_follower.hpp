// The folder follower of a cert_store: turns what core::folder_watch reports into pending work
// (files to read again, a full read, a look at the folder itself) and does it on a core::worker
// of its own, with its own timing: the keys of files removed while the folder is busy restored
// if the folder itself then goes (rm -rf), and a backoff under a flood of events.
#pragma once

#include <chrono>
#include <mutex>
#include <string>

#include <zmqsec/core/folder_watch.hpp>
#include <zmqsec/core/worker.hpp>

#include "folder_source.hpp"

namespace zmqsec::certs::detail {

class folder_follower {
 public:
  /// Follows what watch reports about source's folder. source and watch are guarded by
  /// update_mutex, which the follower holds while it works (never while it waits).
  folder_follower(folder_source& source, core::folder_watch& watch, std::mutex& update_mutex);
  folder_follower(const folder_follower&) = delete;
  folder_follower& operator=(const folder_follower&) = delete;
  /// Stops the worker (promptly, even in the middle of reading a large folder).
  ~folder_follower() = default;

  void start();

  /// A full read (reload()) covers whatever the events noted so far were about. Call under
  /// update_mutex.
  void forget_pending() noexcept;

 private:
  using clock = std::chrono::steady_clock;
  enum class woken { stop, events, timeout };

  void run(const core::stop_view& stop);
  woken wait(const core::stop_view& stop);
  void do_round(const core::stop_view& stop);
  void note(const core::folder_changes& changes);
  void note_file(const core::folder_changes::entry& entry);
  void process_pending(const core::stop_view& stop);
  void note_removals(const change_set& changes);
  void end_removals() noexcept;
  void report_failure(const std::string& what) noexcept;
  bool has_pending() const noexcept { return rescan_ || check_folder_ || !dirty_.empty(); }

  folder_source& source_;
  core::folder_watch& watch_;
  std::mutex& update_mutex_;

  // Guarded by update_mutex_.
  folder_source::file_list dirty_;  // files to read again
  bool rescan_ = false;
  bool check_folder_ = false;
  clock::time_point last_event_{};      // of the latest event that made work
  clock::time_point removals_since_{};  // when the model before removals was kept; {} if none
  clock::time_point not_before_{};      // the follower does no pending work before then

  core::worker worker_;  // last: stopped and joined before the rest goes
};

}  // namespace zmqsec::certs::detail
