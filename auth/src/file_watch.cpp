#include "file_watch.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <zmqsec/detail/unique_fd.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::auth::detail {

namespace {

// What happens to a folder's entries that can change a watched file. IN_MODIFY is left out on
// purpose: the file is read when the writer closes it, not halfway through its writing.
constexpr std::uint32_t folder_mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE |
                                      IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                      IN_ONLYDIR;

constexpr int retry_interval_ms = 1000;  // how often a folder that went away is looked for

using zmqsec::detail::unique_fd;

int checked(int fd, const char* what) {
  if (fd < 0) {
    int err = errno;
    std::string text = std::string("cannot follow password files: ") + what;
    if (err == EMFILE && std::string_view(what) == "inotify_init1") {
      text += " (too many inotify instances: see /proc/sys/fs/inotify/max_user_instances)";
    }
    throw zmqsec::error::from_errno(err, text);
  }
  return fd;
}

}  // namespace

struct file_watch::state {
  struct file_entry {
    std::string name;             // within the folder
    std::filesystem::path given;  // as given to add()
    bool link = false;            // a symbolic link when added
  };
  struct folder_entry {
    std::filesystem::path path;
    int wd = -1;  // -1: not watched now (gone; retried)
    std::vector<file_entry> files;
  };

  state(change_callback change, warning_callback warning)
      : on_change(std::move(change)),
        on_warning(std::move(warning)),
        inotify(checked(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC), "inotify_init1")),
        wake(checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")) {}

  change_callback on_change;
  warning_callback on_warning;
  unique_fd inotify;
  unique_fd wake;

  mutable std::mutex mutex;  // guards folders; never held while calling back
  std::vector<folder_entry> folders;

  std::thread thread;

  folder_entry* folder_of(int wd) {
    for (auto& folder : folders) {
      if (folder.wd == wd) return &folder;
    }
    return nullptr;
  }
  bool any_lost() const {
    return std::any_of(folders.begin(), folders.end(), [](const auto& f) { return f.wd < 0; });
  }

  void warn(const std::string& text) const {
    if (!on_warning) return;
    try {
      on_warning(text);
    } catch (...) {  // a warning that cannot be given is not worth more than that
    }
  }
};

file_watch::file_watch(change_callback on_change, warning_callback on_warning)
    : state_(std::make_unique<state>(std::move(on_change), std::move(on_warning))) {
  state_->thread = std::thread([this] { run(); });
}

file_watch::~file_watch() {
  std::uint64_t one = 1;
  // The eventfd counter cannot overflow from one write; a failure would leave nothing to do.
  [[maybe_unused]] auto written = ::write(state_->wake.get(), &one, sizeof one);
  if (state_->thread.joinable()) state_->thread.join();
}

void file_watch::add(const std::filesystem::path& file) {
  std::filesystem::path absolute = std::filesystem::absolute(file).lexically_normal();
  std::string name = absolute.filename().string();
  if (name.empty() || name == "." || name == "..") {
    throw zmqsec::error(errc::invalid_argument, file.string() + ": not a file name");
  }
  std::filesystem::path folder_path = absolute.parent_path();
  std::error_code ignored;
  bool link = std::filesystem::is_symlink(absolute, ignored);

  std::lock_guard lock(state_->mutex);
  auto folder = std::find_if(state_->folders.begin(), state_->folders.end(),
                             [&](const auto& f) { return f.path == folder_path; });
  int wd = folder != state_->folders.end() ? folder->wd : -1;
  if (wd < 0) {
    wd = ::inotify_add_watch(state_->inotify.get(), folder_path.c_str(), folder_mask);
    if (wd < 0) {
      throw zmqsec::error::from_errno(errno, "cannot watch " + folder_path.string());
    }
    // Two paths of one folder (through a link) share the kernel's watch: keep one entry.
    if (auto* same = state_->folder_of(wd); same != nullptr) {
      folder = std::find_if(state_->folders.begin(), state_->folders.end(),
                            [&](const auto& f) { return &f == same; });
    } else if (folder == state_->folders.end()) {
      state_->folders.push_back({folder_path, wd, {}});
      folder = std::prev(state_->folders.end());
    } else {
      folder->wd = wd;
    }
  }
  auto& files = folder->files;
  bool known = std::any_of(files.begin(), files.end(),
                           [&](const auto& f) { return f.given == file && f.name == name; });
  if (!known) files.push_back({name, file, link});
}

bool file_watch::contains(const std::filesystem::path& file) const {
  std::lock_guard lock(state_->mutex);
  for (const auto& folder : state_->folders) {
    for (const auto& entry : folder.files) {
      if (entry.given == file) return true;
    }
  }
  return false;
}

void file_watch::run() {
  state& s = *state_;
  // Large enough for many events at once; aligned as the kernel writes struct inotify_event.
  alignas(inotify_event) char buffer[16 * 1024];
  std::vector<std::filesystem::path> changed;

  auto all_files_of = [&changed](const state::folder_entry& folder) {
    for (const auto& entry : folder.files) changed.push_back(entry.given);
  };

  auto next_retry = std::chrono::steady_clock::now();
  for (;;) {
    int timeout = -1;
    {
      std::lock_guard lock(s.mutex);
      if (s.any_lost()) {
        auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_retry -
                                                                 std::chrono::steady_clock::now());
        timeout = static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, retry_interval_ms));
      }
    }
    pollfd fds[2] = {{s.inotify.get(), POLLIN, 0}, {s.wake.get(), POLLIN, 0}};
    int ready = ::poll(fds, 2, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      s.warn(std::string("file watch stopped: poll: ") + std::strerror(errno));
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) return;
    changed.clear();
    std::vector<std::string> warnings;

    if ((fds[0].revents & POLLIN) != 0) {
      for (;;) {
        ssize_t length = ::read(s.inotify.get(), buffer, sizeof buffer);
        if (length < 0) {
          if (errno == EINTR) continue;
          if (errno != EAGAIN) {
            warnings.push_back(std::string("file watch: read: ") + std::strerror(errno));
          }
          break;
        }
        std::lock_guard lock(s.mutex);
        for (ssize_t offset = 0; offset < length;) {
          const auto* event = reinterpret_cast<const inotify_event*>(buffer + offset);
          offset += static_cast<ssize_t>(sizeof(inotify_event) + event->len);

          if ((event->mask & IN_Q_OVERFLOW) != 0) {
            for (const auto& folder : s.folders) all_files_of(folder);
            continue;
          }
          state::folder_entry* folder = s.folder_of(event->wd);
          if (folder == nullptr) continue;  // a watch let go before

          if ((event->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) != 0) {
            // The folder went (or was renamed: the kernel's watch would follow it elsewhere).
            if ((event->mask & IN_IGNORED) == 0) ::inotify_rm_watch(s.inotify.get(), folder->wd);
            folder->wd = -1;
            all_files_of(*folder);
            warnings.push_back(folder->path.string() +
                               " is gone; looking for it again every second");
            continue;
          }
          std::string_view name = event->len > 0 ? std::string_view(event->name) : "";
          constexpr std::uint32_t entry_change =
              IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE;
          for (const auto& entry : folder->files) {
            if (entry.name == name) {
              if ((event->mask & IN_CREATE) != 0) {
                // A file being created is read when its writer closes it; a link or a hard
                // link to an existing file is complete at once.
                struct stat st {};
                auto path = folder->path / entry.name;
                if (::lstat(path.c_str(), &st) != 0) continue;
                if (!S_ISLNK(st.st_mode) && st.st_size == 0) continue;
              }
              changed.push_back(entry.given);
            } else if (entry.link && (event->mask & entry_change) != 0) {
              changed.push_back(entry.given);
            }
          }
        }
      }
    }

    if (auto now = std::chrono::steady_clock::now(); now >= next_retry) {
      // Look again for folders that went away.
      next_retry = now + std::chrono::milliseconds(retry_interval_ms);
      std::lock_guard lock(s.mutex);
      for (auto& folder : s.folders) {
        if (folder.wd >= 0) continue;
        int wd = ::inotify_add_watch(s.inotify.get(), folder.path.c_str(), folder_mask);
        if (wd < 0) continue;
        folder.wd = wd;
        all_files_of(folder);
      }
    }

    for (const auto& warning : warnings) s.warn(warning);
    if (changed.empty()) continue;
    std::sort(changed.begin(), changed.end());
    changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
    try {
      if (s.on_change) s.on_change(changed);
    } catch (const std::exception& e) {
      s.warn(std::string("file watch: reloading failed: ") + e.what());
    } catch (...) {
      s.warn("file watch: reloading failed");
    }
  }
}

}  // namespace zmqsec::auth::detail
