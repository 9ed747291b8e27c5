#include <zmqsec/core/file_watch.hpp>

#include <poll.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <zmqsec/core/folder_watch.hpp>
#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/core/worker.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::core {

namespace {

using clock = std::chrono::steady_clock;
using core::folder_watch;

constexpr auto retry_interval = std::chrono::seconds(1);  // how often a gone folder is looked for

struct file_entry {
  std::string name;             // within the folder
  std::filesystem::path given;  // as given to add()
  bool link = false;            // a symbolic link when added
};

struct folder_entry {
  explicit folder_entry(const std::filesystem::path& path) : watch(path) {}
  folder_watch watch;
  bool lost = false;  // gone (removed, renamed away): retried every second
  std::vector<file_entry> files;
};

// A file created and nothing more yet is read when its writer closes it; a link, or a hard link
// to an existing (non-empty) file, is complete at once.
bool complete_at_creation(const std::filesystem::path& file) {
  struct stat st {};
  if (::lstat(file.c_str(), &st) != 0) return false;
  return S_ISLNK(st.st_mode) || st.st_size != 0;
}

}  // namespace

struct file_watch::state {
  state(change_callback change, warning_callback warning)
      : on_change(std::move(change)), on_warning(std::move(warning)) {}

  change_callback on_change;
  warning_callback on_warning;
  core::wakeup_fd folders_added;  // the worker polls a new folder's watch from its next round

  mutable std::mutex mutex;  // guards folders and the watches in them; never held calling back
  std::vector<std::unique_ptr<folder_entry>> folders;  // only ever grows: indexes stay valid

  // One round's findings, gathered under mutex and reported after it.
  std::vector<std::filesystem::path> changed;
  std::vector<std::string> warnings;

  core::worker worker;  // last: stopped before the rest goes

  void warn(const std::string& text) const {
    if (!on_warning) return;
    try {
      on_warning(text);
    } catch (...) {  // a warning that cannot be given is not worth more than that
    }
  }

  void all_files_of(const folder_entry& folder) {
    for (const auto& entry : folder.files) changed.push_back(entry.given);
  }

  // What the folder's path names now: the same folder (nothing to say), a folder back or
  // replaced, or a folder gone (its files count as changed both times).
  void check_folder(folder_entry& folder) {
    const auto now = folder.watch.attach();
    // Lost but still watched (EACCES, say): the folder is there, only not readable now.
    if (now == folder_watch::attachment::same ||
        (now == folder_watch::attachment::lost && folder.watch.attached())) {
      return;
    }
    const bool was_lost = folder.lost;
    folder.lost = now == folder_watch::attachment::lost;
    if (was_lost && folder.lost) return;
    all_files_of(folder);
    if (folder.lost) {
      warnings.push_back(folder.watch.folder().string() +
                         " is gone; looking for it again every second");
    }
  }

  void note(folder_entry& folder, const core::folder_changes& changes) {
    if (changes.rescan) {
      for (const auto& each : folders) all_files_of(*each);
    }
    if (changes.folder_changed) check_folder(folder);
    for (const auto& event : changes.entries) {
      for (const auto& file : folder.files) {
        if (file.name == event.name) {
          if (!event.only_created() || complete_at_creation(folder.watch.folder() / file.name)) {
            changed.push_back(file.given);
          }
        } else if (file.link && (event.what & core::folder_event::name_changed) != 0) {
          changed.push_back(file.given);
        }
      }
    }
  }

  void read_folder(folder_entry& folder) {
    try {
      note(folder, folder.watch.read_changes());
    } catch (const std::exception& e) {
      warnings.push_back(std::string("file watch: read: ") + e.what());
    }
  }

  void run();
  bool wait(std::vector<pollfd>& fds, clock::time_point next_retry);
  void report();
};

// Waits for events on the watches, a folder added, the stop request, or the next retry of a
// gone folder; false once the worker is to stop.
bool file_watch::state::wait(std::vector<pollfd>& fds, clock::time_point next_retry) {
  int timeout = -1;
  fds.assign({{worker.stop_fd(), POLLIN, 0}, {folders_added.fd(), POLLIN, 0}});
  {
    std::lock_guard lock(mutex);
    for (const auto& folder : folders) fds.push_back({folder->watch.fd(), POLLIN, 0});
    if (std::any_of(folders.begin(), folders.end(), [](const auto& f) { return f->lost; })) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(next_retry - clock::now());
      timeout = static_cast<int>(std::clamp<std::int64_t>(
          left.count(), 0, std::chrono::milliseconds(retry_interval).count()));
    }
  }
  for (;;) {
    const int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready >= 0) break;
    if (errno == EINTR) continue;
    warn(std::string("file watch stopped: poll: ") + std::strerror(errno));
    return false;
  }
  if (fds[0].revents & POLLIN) return false;
  if (fds[1].revents & POLLIN) folders_added.drain();
  return true;
}

void file_watch::state::run() {
  std::vector<pollfd> fds;
  auto next_retry = clock::now();
  while (wait(fds, next_retry)) {
    {
      std::lock_guard lock(mutex);
      for (std::size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents & POLLIN) read_folder(*folders[i - 2]);
      }
      if (const auto now = clock::now(); now >= next_retry) {
        next_retry = now + retry_interval;
        for (const auto& folder : folders) {
          if (folder->lost) check_folder(*folder);
        }
      }
    }
    report();
  }
}

// Gives the round's warnings and changes to the callbacks, outside the mutex.
void file_watch::state::report() {
  for (const auto& warning : warnings) warn(warning);
  warnings.clear();
  if (changed.empty()) return;
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  try {
    if (on_change) on_change(changed);
  } catch (const std::exception& e) {
    warn(std::string("file watch: reloading failed: ") + e.what());
  } catch (...) {
    warn("file watch: reloading failed");
  }
  changed.clear();
}

file_watch::file_watch(change_callback on_change, warning_callback on_warning)
    : state_(std::make_unique<state>(std::move(on_change), std::move(on_warning))) {
  state_->worker.start("zmqsec-files", [this](const core::stop_view&) { run(); });
}

file_watch::~file_watch() {
  stop();
}

void file_watch::stop() noexcept {
  state_->worker.stop();
}

void file_watch::run() {
  state_->run();
}

void file_watch::add(const std::filesystem::path& file) {
  std::filesystem::path absolute = std::filesystem::absolute(file).lexically_normal();
  std::string name = absolute.filename().string();
  if (name.empty() || name == "." || name == "..") {
    throw zmqsec::error(errc::invalid_argument, file.string() + ": not a file name");
  }
  const std::filesystem::path folder_path = absolute.parent_path();
  std::error_code ignored;
  const bool link = std::filesystem::is_symlink(absolute, ignored);

  std::lock_guard lock(state_->mutex);
  auto& folders = state_->folders;
  auto folder = std::find_if(folders.begin(), folders.end(),
                             [&](const auto& f) { return f->watch.folder() == folder_path; });
  if (folder == folders.end() || (*folder)->lost) {
    auto entry = folder == folders.end() ? std::make_unique<folder_entry>(folder_path) : nullptr;
    auto& watch = entry ? entry->watch : (*folder)->watch;
    if (watch.attach() == folder_watch::attachment::lost) {
      throw zmqsec::error::from_errno(watch.attach_error(), "cannot watch " + folder_path.string());
    }
    if (entry) {
      folders.push_back(std::move(entry));
      folder = std::prev(folders.end());
      state_->folders_added.notify();
    }
    (*folder)->lost = false;
  }
  auto& files = (*folder)->files;
  const bool known = std::any_of(files.begin(), files.end(),
                                 [&](const auto& f) { return f.given == file && f.name == name; });
  if (!known) files.push_back({name, file, link});
}

bool file_watch::contains(const std::filesystem::path& file) const {
  std::lock_guard lock(state_->mutex);
  for (const auto& folder : state_->folders) {
    for (const auto& entry : folder->files) {
      if (entry.given == file) return true;
    }
  }
  return false;
}

}  // namespace zmqsec::core
