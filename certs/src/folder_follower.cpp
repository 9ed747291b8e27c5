#include "folder_follower.hpp"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include <zmqsec/certs/certificate.hpp>

namespace zmqsec::certs::detail {
namespace {

using core::folder_event;

// Under a flood of events, each publication costs time in proportion to the store's size. Waiting
// twice as long as the last round took before starting the next one keeps the follower's work
// linear in the number of changes; a quiet store still publishes a change at once.
constexpr int backoff_factor = 2;
constexpr auto max_backoff = std::chrono::milliseconds(250);
// A file that disappears is let go at once, but the model from before is kept while the folder
// is busy (until it has been quiet for removal_grace, and for removal_delay_limit at most): `rm
// -rf certs` unlinks the files one by one before the folder, and the store must see that as the
// folder going away, which keeps the keys, rather than as the files being removed, which would
// drop them. When the folder goes within that time, the store goes back to the kept model.
constexpr auto removal_grace = std::chrono::milliseconds(100);
constexpr auto removal_delay_limit = std::chrono::seconds(1);

timespec timespec_of(std::chrono::steady_clock::duration left) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
  return {static_cast<time_t>(secs.count()),
          static_cast<long>(std::chrono::nanoseconds(left - secs).count())};
}

}  // namespace

folder_follower::folder_follower(folder_source& source, core::folder_watch& watch,
                                 std::mutex& update_mutex)
    : source_(source), watch_(watch), update_mutex_(update_mutex) {}

void folder_follower::start() {
  worker_.start("zmqsec-certs", [this](const core::stop_view& stop) { run(stop); });
}

void folder_follower::forget_pending() noexcept {
  dirty_.clear();
  rescan_ = false;
  check_folder_ = false;
  end_removals();
}

void folder_follower::run(const core::stop_view& stop) {
  while (!stop.requested()) {
    try {
      const woken why = wait(stop);
      if (why == woken::stop) return;
      std::lock_guard lock(update_mutex_);
      // The watch reads a bounded amount per call, so that a flood that never pauses cannot
      // keep the follower from publishing.
      if (why == woken::events) note(watch_.read_changes());
      do_round(stop);
    } catch (const std::exception& e) {
      // Out of memory, or a store beyond its limits: keep the last snapshot, say so, and try
      // again after a pause rather than spinning on the same failure.
      report_failure(std::string("cannot update: ") + e.what());
      std::lock_guard lock(update_mutex_);
      not_before_ = clock::now() + max_backoff;
    }
  }
}

// Waits for events, for the stop request, or until pending work is due.
folder_follower::woken folder_follower::wait(const core::stop_view& stop) {
  bool pending;
  clock::time_point wake_at;
  {
    std::lock_guard lock(update_mutex_);
    pending = has_pending();
    wake_at = not_before_;
  }
  const timespec left = timespec_of(std::max(clock::duration::zero(), wake_at - clock::now()));
  pollfd fds[2] = {{watch_.fd(), POLLIN, 0}, {stop.fd(), POLLIN, 0}};
  const int ready = ::ppoll(fds, 2, pending ? &left : nullptr, nullptr);
  if (stop.requested()) return woken::stop;
  if (ready < 0 && errno != EINTR) {
    report_failure("stopped following the folder: " +
                   std::error_code(errno, std::generic_category()).message());
    return woken::stop;
  }
  return ready > 0 && (fds[0].revents & POLLIN) ? woken::events : woken::timeout;
}

// Does the pending work if it is due, and backs off in proportion to what it cost.
void folder_follower::do_round(const core::stop_view& stop) {
  if (!has_pending() || clock::now() < not_before_) return;
  const auto start = clock::now();
  process_pending(stop);
  const auto end = clock::now();
  not_before_ = std::max(
      not_before_, end + std::min<clock::duration>(backoff_factor * (end - start), max_backoff));
}

// Turns reported changes into pending work. The events only say which names to look at again;
// what a name holds is decided when it is read, so order and repetition do not matter.
void folder_follower::note(const core::folder_changes& changes) {
  if (changes.empty()) return;
  const auto now = clock::now();
  if (now - last_event_ >= removal_grace) end_removals();  // the folder was quiet: not rm -rf
  last_event_ = now;
  if (changes.rescan) rescan_ = true;
  if (changes.folder_changed) check_folder_ = true;
  for (const auto& entry : changes.entries) note_file(entry);
}

void folder_follower::note_file(const core::folder_changes::entry& entry) {
  const bool appeared = (entry.what & (folder_event::created | folder_event::moved_in)) != 0;
  if (!is_public_certificate_name(entry.name)) {
    // When certificate files are symbolic links, their targets may change by a link or folder
    // under another name being swapped (Kubernetes' `..data`): read them all again. Without
    // links a new subfolder changes nothing, and a big folder is not read again for it.
    if (source_.has_links() && appeared &&
        ((entry.what & folder_event::is_folder) || source_.is_symlink_or_folder(entry.name))) {
      rescan_ = true;
    }
    return;
  }
  if (appeared && !(entry.what & folder_event::is_folder) && source_.is_symlink(entry.name)) {
    source_.note_link();
  }
  auto [it, inserted] = dirty_.try_emplace(entry.name, entry.only_created());
  if (!inserted && !entry.only_created()) it->second = false;
}

// Does the pending work: the folder first (a lost folder makes the rest moot), then a full read
// or the files named by events.
void folder_follower::process_pending(const core::stop_view& stop) {
  const folder_source::stop_test stopped = [&stop] { return stop.requested(); };
  bool news = false;
  if (check_folder_) {
    check_folder_ = false;
    const auto state = source_.attach(news);
    if (state == folder_source::folder_state::changed) rescan_ = true;
    if (state == folder_source::folder_state::lost) {
      if (source_.restore_before_removals()) news = true;  // rm -rf: keep what was there
      if (news) source_.publish(true);
    }
  }
  if (!source_.readable()) {  // lost; only its return (check_folder_) can bring work
    forget_pending();
    return;
  }
  if (rescan_) {
    forget_pending();
    if (source_.rescan(false, news, stopped) == folder_source::scan_result::failed && news) {
      source_.publish(true);
    }
    return;
  }
  change_set changes;
  if (!source_.read_files(dirty_, changes, stopped)) return;
  dirty_.clear();
  changes.finish();
  note_removals(changes);
  source_.apply(changes);
}

// Keeps the model before the first removal of a loaded file while the folder is busy (see
// removal_grace).
void folder_follower::note_removals(const change_set& changes) {
  const auto now = clock::now();
  if (removals_since_ != clock::time_point{} && now - removals_since_ < removal_delay_limit) {
    return;  // kept already, for this busy spell
  }
  for (const auto& item : changes.items()) {
    if (item.what != change_set::kind::absent || !source_.has_file(changes.name(item))) continue;
    source_.keep_before_removals();
    removals_since_ = now;
    return;
  }
}

void folder_follower::end_removals() noexcept {
  source_.forget_before_removals();
  removals_since_ = {};
}

void folder_follower::report_failure(const std::string& what) noexcept {
  try {
    std::lock_guard lock(update_mutex_);
    // Keep the last good table; read everything again at the next event.
    rescan_ = true;
    if (source_.set_folder_problem(what)) source_.publish(true);
  } catch (...) {
    // Out of memory even for the report: the last snapshot stays, nothing else to do.
  }
}

}  // namespace zmqsec::certs::detail
