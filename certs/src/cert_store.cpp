// cert_store: snapshots published through an atomic shared_ptr, built by whoever changes the
// store (the constructor, the follower thread, reload(), insert(), erase()) under one mutex.
#include <zmqsec/certs/cert_store.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>

#include "cert_store_folder.hpp"
#include "cert_store_table.hpp"

namespace zmqsec::certs {
namespace detail {
namespace {

using clock = std::chrono::steady_clock;

// What the folder's own watch reports: writes become visible at close (IN_CLOSE_WRITE, so a
// same-size rewrite within one second is seen), names come and go, attributes change (chmod,
// touch, link count), and the folder itself goes away.
constexpr std::uint32_t folder_events = IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                        IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                        IN_ONLYDIR | IN_EXCL_UNLINK;
// What the parent's watch reports: the folder's name appearing or disappearing (a replaced
// folder is a new inode, which the folder's watch cannot see), and the parent going away.
constexpr std::uint32_t parent_events = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                        IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// Under a flood of events, each publication costs time in proportion to the store's size. Waiting
// twice as long as the last round took before starting the next one keeps the follower's work
// linear in the number of changes; a quiet store still publishes a change at once.
constexpr int backoff_factor = 2;
constexpr auto max_backoff = std::chrono::milliseconds(250);
// A file that disappears is let go only once the folder has been quiet this long (and at the
// latest after removal_delay_limit): `rm -rf certs` unlinks the files one by one before the
// folder, and the store must see that as the folder going away, which keeps the keys, rather
// than as the files being removed, which would drop them. Additions and changes are not held.
constexpr auto removal_grace = std::chrono::milliseconds(100);
constexpr auto removal_delay_limit = std::chrono::seconds(1);
// Reads of the event queue between two looks at the pending work, so that a flood that never
// pauses cannot keep the follower from publishing.
constexpr int max_reads_per_round = 64;

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

std::string_view key_name(const public_key& key) noexcept {
  // An in-memory store files each certificate under its key bytes: unique per key, never shown.
  return {reinterpret_cast<const char*>(key.data()), key_size};
}

std::filesystem::path folder_path(const std::filesystem::path& dir) {
  if (dir.empty()) throw zmqsec::error(errc::invalid_argument, "empty certificate folder path");
  std::error_code ec;
  auto path = std::filesystem::absolute(dir, ec).lexically_normal();
  if (ec) throw zmqsec::error(ec, "cannot resolve " + dir.string() + ": " + ec.message());
  if (!path.has_filename() && path != path.root_path()) path = path.parent_path();  // "certs/"
  return path;
}

}  // namespace

struct store_state {
  using bad_list = std::vector<std::pair<std::string, std::string>>;  // file name, reason
  enum class folder_state { same, changed, lost };

  // Set before anything else can see the state, then only read.
  std::filesystem::path dir;
  std::string dir_name;  // dir's last component, as the parent's events name it
  std::filesystem::path parent;
  bool in_memory = false;
  bool follow = false;
  std::function<void(const std::shared_ptr<const cert_snapshot>&)> on_change;

  // The published snapshot, behind a mutex held only to copy or swap the pointer (never while a
  // reload works), rather than in a std::atomic<std::shared_ptr>: libstdc++ 12's load() releases
  // its internal lock bit with memory_order_relaxed, so its read of the pointer does not happen
  // before the next store's write. That is a data race by the memory model (ThreadSanitizer
  // reports it), and weakly ordered CPUs may pair a new pointer with the old reference count.
  mutable std::mutex current_mutex;
  std::shared_ptr<const cert_snapshot> current_snapshot;  // guarded by current_mutex
  std::atomic<std::uint64_t> current_generation{0};       // of current_snapshot, lock-free

  std::shared_ptr<const cert_snapshot> current() const noexcept {
    std::lock_guard lock(current_mutex);
    return current_snapshot;
  }

  mutable std::mutex generation_mutex;
  mutable std::condition_variable generation_cv;
  std::uint64_t published = 0;  // guarded by generation_mutex

  // Held while reading files, building and publishing; guards everything below it.
  std::mutex update_mutex;
  std::shared_ptr<const cert_table> table;
  bad_list bad;                      // files skipped, sorted by name
  bad_list duplicates;               // files whose key an earlier file has, sorted by name
  std::string folder_problem;        // empty while the folder reads fine
  int folder_errno = 0;              // why attach_folder last lost the folder
  bool folder_watch_failed = false;  // ... and whether it was inotify_add_watch that failed
  std::uint64_t generation = 0;
  // The thread inside on_change, so that a call back into the store fails instead of deadlocking.
  std::atomic<std::thread::id> publishing_thread{};

  unique_fd dir_fd;  // the folder the table was read from
  dev_t dir_dev = 0;
  ino_t dir_ino = 0;
  unique_fd inotify;
  unique_fd wake;  // eventfd the destructor writes to stop the follower
  int dir_wd = -1;
  int parent_wd = -1;
  std::unordered_map<std::string, bool> dirty;  // file name -> only created so far
  bool rescan = false;
  bool check_folder = false;
  bool has_links = false;  // some certificate file is a symbolic link (see note_folder_event)
  clock::time_point last_event{};           // of the latest event that made work
  clock::time_point removals_held_since{};  // when removals were first held back; {} if none
  clock::time_point not_before{};           // the follower does no pending work before then

  std::atomic<bool> stop{false};
  std::thread follower;

  ~store_state() { stop_following(); }

  // ---- publishing ----

  void publish(bool notify) {
    std::vector<file_problem> problems;
    problems.reserve(bad.size() + duplicates.size() + 1);
    if (!folder_problem.empty()) problems.push_back({dir, folder_problem});
    auto b = bad.begin();
    auto d = duplicates.begin();
    while (b != bad.end() || d != duplicates.end()) {
      const bool take_bad = d == duplicates.end() || (b != bad.end() && b->first < d->first);
      const auto& [name, reason] = take_bad ? *b++ : *d++;
      problems.push_back({dir / name, reason});
    }
    const std::shared_ptr<const cert_snapshot> snapshot(
        new cert_snapshot(table, std::move(problems), generation + 1, !folder_problem.empty()));
    ++generation;
    auto previous = snapshot;
    {
      std::lock_guard lock(current_mutex);
      current_snapshot.swap(previous);
    }
    current_generation.store(generation, std::memory_order_release);
    previous.reset();  // a released table is unmapped here, outside the readers' mutex
    {
      std::lock_guard lock(generation_mutex);
      published = generation;
    }
    generation_cv.notify_all();
    if (!notify || !on_change) return;
    publishing_thread.store(std::this_thread::get_id());
    try {
      on_change(snapshot);
    } catch (...) {
      // The callback's failure is its own; the store has published and carries on.
    }
    publishing_thread.store(std::thread::id());
  }

  void refuse_inside_callback(const char* what) const {
    if (publishing_thread.load() == std::this_thread::get_id()) {
      throw zmqsec::error(errc::invalid_argument, std::string("cert_store::") + what +
                                                      " called from its on_change callback");
    }
  }

  // ---- applying changes ----

  bool changes_anything(const change_set& changes) const {
    for (const auto& item : changes.items()) {
      const auto name = changes.name(item);
      const std::size_t file = table ? table->find_file(name) : cert_table::no_file;
      const bool had_file = file != cert_table::no_file;
      const auto b =
          std::lower_bound(bad.begin(), bad.end(), name,
                           [](const auto& p, std::string_view n) { return p.first < n; });
      const bool was_bad = b != bad.end() && b->first == name;
      switch (item.what) {
        case change_set::kind::loaded:
          if (!had_file) return true;
          if (table->entry_at(table->file_at(file).entry).key != item.key) return true;
          if (table->file_meta(file) != changes.meta(item)) return true;
          break;
        case change_set::kind::bad:
          if (!was_bad || b->second != changes.reason(item)) return true;
          break;
        case change_set::kind::absent:
          if (had_file || was_bad) return true;
          break;
      }
    }
    return false;
  }

  // Merges changes (finished) into the model; full means they describe the whole folder.
  void apply(const change_set& changes, bool full) {
    auto built = cert_table::build(full ? nullptr : table.get(), changes, in_memory);
    bad_list next_bad;
    auto old = full ? bad.end() : bad.begin();
    for (const auto& item : changes.items()) {
      const auto name = changes.name(item);
      for (; old != bad.end() && old->first < name; ++old) next_bad.push_back(std::move(*old));
      if (old != bad.end() && old->first == name) ++old;  // replaced by this change
      if (item.what == change_set::kind::bad) next_bad.emplace_back(name, changes.reason(item));
    }
    for (; old != bad.end(); ++old) next_bad.push_back(std::move(*old));
    table = std::move(built.table);
    duplicates = std::move(built.duplicates);
    bad = std::move(next_bad);
  }

  // Applies and publishes changes to some files if they change anything.
  void apply_incremental(change_set& changes, bool notify) {
    changes.finish();  // again after finish() is harmless
    if (!changes_anything(changes)) return;
    apply(changes, false);
    publish(notify);
  }

  // ---- the folder ----

  // Records that the folder cannot be read (keeping the table); returns whether that is news.
  bool set_folder_problem(const std::string& what) {
    std::string problem =
        what + "; keeping the " + std::to_string(table ? table->size() : 0) + " keys loaded before";
    if (problem == folder_problem) return false;
    folder_problem = std::move(problem);
    return true;
  }

  // Opens the folder by its path again and compares it with the one the table came from; a new
  // folder is watched (replacing the watch of the old one). lost: folder_problem says why.
  folder_state attach_folder(bool& problem_is_news) {
    problem_is_news = false;
    if (follow && parent_wd < 0 && !dir_name.empty()) {
      parent_wd = ::inotify_add_watch(inotify.get(), parent.c_str(), parent_events);
    }
    unique_fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
      const int err = errno;
      folder_errno = err;
      folder_watch_failed = false;
      if (follow && dir_wd >= 0 && (err == ENOENT || err == ENOTDIR)) {
        // The path no longer leads to the watched folder: stop hearing about it.
        ::inotify_rm_watch(inotify.get(), dir_wd);
        dir_wd = -1;
      }
      dir_fd.reset();  // so that the folder's return, even as the same inode, reads it afresh
      problem_is_news =
          set_folder_problem(err == ENOENT    ? std::string("folder removed or renamed")
                             : err == ENOTDIR ? std::string("no longer a folder")
                                              : "cannot open folder: " + errno_text(err));
      return folder_state::lost;
    }
    const bool same =
        dir_fd && st.st_dev == dir_dev && st.st_ino == dir_ino && (!follow || dir_wd >= 0);
    if (follow && !same) {
      const int wd = ::inotify_add_watch(inotify.get(), dir.c_str(), folder_events);
      if (wd < 0) {
        folder_errno = errno;
        folder_watch_failed = true;
        problem_is_news = set_folder_problem("cannot watch folder: " + errno_text(folder_errno));
        dir_fd.reset();
        return folder_state::lost;
      }
      // The same inode keeps its watch descriptor; a new one gets a new descriptor.
      if (dir_wd >= 0 && dir_wd != wd) ::inotify_rm_watch(inotify.get(), dir_wd);
      dir_wd = wd;
    }
    dir_fd = std::move(fd);
    dir_dev = st.st_dev;
    dir_ino = st.st_ino;
    return same && folder_problem.empty() ? folder_state::same : folder_state::changed;
  }

  enum class scan_result { published, stopped, failed };

  // Reads the whole folder (attached) and publishes it (unless it is exactly what was published
  // already and not always_publish); failed leaves folder_problem set.
  scan_result rescan_folder(bool always_publish, bool& problem_is_news) {
    change_set changes;
    try {
      if (!scan_folder(dir_fd.get(), changes, stop, has_links)) return scan_result::stopped;
    } catch (const zmqsec::error& e) {
      problem_is_news = set_folder_problem(e.what());
      return scan_result::failed;
    }
    changes.finish();
    const auto old_table = table;
    const auto old_bad = bad;
    const auto old_duplicates = duplicates;
    const bool was_stale = !folder_problem.empty();
    folder_problem.clear();
    apply(changes, true);
    const bool same = !was_stale && old_table && table->same_content(*old_table) &&
                      bad == old_bad && duplicates == old_duplicates;
    if (same && !always_publish) {
      table = old_table;  // keep sharing the published table rather than an equal copy
    } else {
      publish(true);
    }
    return scan_result::published;
  }

  // ---- following ----

  void start_following() {
    unique_fd ino(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!ino) throw zmqsec::error::from_errno(errno, "cannot follow " + dir.string());
    unique_fd ev(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!ev) throw zmqsec::error::from_errno(errno, "cannot follow " + dir.string());
    inotify = std::move(ino);
    wake = std::move(ev);
    // The parent first: a swap of the folder after this point shows as a parent event.
    if (!dir_name.empty()) {
      parent_wd = ::inotify_add_watch(inotify.get(), parent.c_str(), parent_events);
    }
  }

  void stop_following() noexcept {
    if (!follower.joinable()) return;
    stop.store(true);
    const std::uint64_t one = 1;
    // Cannot fail short of the counter overflowing, which one write per store cannot do.
    [[maybe_unused]] auto written = ::write(wake.get(), &one, sizeof one);
    follower.join();
  }

  bool has_pending() const noexcept { return rescan || check_folder || !dirty.empty(); }

  bool is_symlink(const char* name) const noexcept {
    struct stat st {};
    return dir_fd && ::fstatat(dir_fd.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISLNK(st.st_mode);
  }

  bool is_symlink_or_folder(const char* name) const noexcept {
    struct stat st {};
    return dir_fd && ::fstatat(dir_fd.get(), name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode));
  }

  // Turns raw events into pending work. The events only say which names to look at again;
  // what a name holds is decided when it is read, so order and repetition do not matter.
  void note_events(const char* data, std::size_t size) {
    for (std::size_t at = 0; at + sizeof(inotify_event) <= size;) {
      inotify_event ev;
      std::memcpy(&ev, data + at, sizeof ev);
      const char* name_data = data + at + sizeof ev;
      if (ev.len > size - at - sizeof ev) return;  // the kernel hands out whole events only
      at += sizeof ev + ev.len;
      const std::string_view name(name_data, ev.len == 0 ? 0 : ::strnlen(name_data, ev.len));

      if (ev.mask & IN_Q_OVERFLOW) {
        rescan = true;
        check_folder = true;
      } else if (ev.wd == dir_wd && dir_wd >= 0) {
        note_folder_event(ev.mask, name);
      } else if (ev.wd == parent_wd && parent_wd >= 0) {
        if (ev.mask & IN_IGNORED) {
          parent_wd = -1;
        } else if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
          // The path no longer runs through this inode; attach_folder watches the new parent.
          ::inotify_rm_watch(inotify.get(), parent_wd);
          parent_wd = -1;
          check_folder = true;
        } else if (name == dir_name) {
          check_folder = true;
          last_event = clock::now();
        }
      }
      // Anything else comes from a watch already given up.
    }
  }

  void note_folder_event(std::uint32_t mask, std::string_view name) {
    last_event = clock::now();
    if (mask & IN_IGNORED) {
      dir_wd = -1;
      check_folder = true;
      return;
    }
    if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
      check_folder = true;
      return;
    }
    if (name.empty()) {
      if (mask & IN_ATTRIB) check_folder = true;  // the folder's permissions may have changed
      return;
    }
    const std::string file(name);
    const bool appeared = (mask & (IN_CREATE | IN_MOVED_TO)) != 0;
    if (!is_public_certificate_name(file)) {
      // When certificate files are symbolic links, their targets may change by a link or folder
      // under another name being swapped (Kubernetes' `..data`): read them all again. Without
      // links a new subfolder changes nothing, and a big folder is not read again for it.
      if (has_links && appeared && ((mask & IN_ISDIR) || is_symlink_or_folder(file.c_str()))) {
        rescan = true;
      }
      return;
    }
    if (appeared && !(mask & IN_ISDIR) && is_symlink(file.c_str())) has_links = true;
    const bool created = (mask & IN_CREATE) != 0 && (mask & ~(IN_CREATE | IN_ISDIR)) == 0;
    auto [it, inserted] = dirty.try_emplace(file, created);
    if (!inserted && !created) it->second = false;
  }

  // Does the pending work: the folder first (a lost folder makes the rest moot), then a full
  // read or the files named by events.
  void process_pending() {
    bool news = false;
    if (check_folder) {
      check_folder = false;
      const auto state = attach_folder(news);
      if (state == folder_state::changed) rescan = true;
      if (state == folder_state::lost) {
        rescan = false;
        dirty.clear();
        if (news) publish(true);
        return;
      }
    }
    if (!dir_fd) {  // lost earlier; only its return (check_folder) can bring work
      rescan = false;
      dirty.clear();
      return;
    }
    if (rescan) {
      rescan = false;
      dirty.clear();
      if (rescan_folder(false, news) == scan_result::failed && news) publish(true);
      return;
    }
    change_set changes;
    secret_string buffer;
    for (const auto& [name, created_only] : dirty) {
      if (stop.load(std::memory_order_relaxed)) return;
      read_certificate_at(dir_fd.get(), name.c_str(), created_only, changes, buffer);
    }
    dirty.clear();
    changes.finish();
    hold_back_removals(changes);
    apply_incremental(changes, true);
  }

  // Takes the removals of loaded files out of changes and leaves their names pending while the
  // folder is still busy (see removal_grace).
  void hold_back_removals(change_set& changes) {
    const auto now = clock::now();
    if (removals_held_since == clock::time_point{}) removals_held_since = now;
    const bool quiet = now - last_event >= removal_grace;
    const bool held_too_long = now - removals_held_since >= removal_delay_limit;
    bool held = false;
    if (!quiet && !held_too_long && table) {
      changes.erase_if([&](const change_set::item& item) {
        if (item.what != change_set::kind::absent) return false;
        const auto name = changes.name(item);
        if (table->find_file(name) == cert_table::no_file) return false;
        dirty.try_emplace(std::string(name), false);
        held = true;
        return true;
      });
    }
    if (held) {
      not_before = std::max(not_before, last_event + removal_grace);
    } else {
      removals_held_since = {};
    }
  }

  // Reads what the event queue holds (a bounded amount) into pending work.
  void drain_events(char* buffer, std::size_t size) {
    for (int reads = 0; reads < max_reads_per_round; ++reads) {
      const ssize_t n = ::read(inotify.get(), buffer, size);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // EAGAIN: drained
      std::lock_guard lock(update_mutex);
      note_events(buffer, static_cast<std::size_t>(n));
    }
  }

  void report_failure(const std::string& what) noexcept {
    try {
      std::lock_guard lock(update_mutex);
      // Keep the last good table; read everything again at the next event.
      rescan = true;
      if (set_folder_problem(what)) publish(true);
    } catch (...) {
      // Out of memory even for the report: the last snapshot stays, nothing else to do.
    }
  }

  void follow_loop() noexcept {
    alignas(inotify_event) char buffer[16 * 1024];
    while (!stop.load()) {
      try {
        bool pending;
        clock::time_point wake_at;
        {
          std::lock_guard lock(update_mutex);
          pending = has_pending();
          wake_at = not_before;
        }
        timespec wait{};
        if (pending) {
          const auto left = std::max(clock::duration::zero(), wake_at - clock::now());
          const auto secs = std::chrono::duration_cast<std::chrono::seconds>(left);
          wait.tv_sec = static_cast<time_t>(secs.count());
          wait.tv_nsec = static_cast<long>(std::chrono::nanoseconds(left - secs).count());
        }
        pollfd fds[2] = {{inotify.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
        const int ready = ::ppoll(fds, 2, pending ? &wait : nullptr, nullptr);
        if (stop.load()) return;
        if (ready < 0 && errno != EINTR) {
          report_failure("stopped following the folder: " + errno_text(errno));
          return;
        }
        if (ready > 0 && (fds[0].revents & POLLIN)) drain_events(buffer, sizeof buffer);
        std::lock_guard lock(update_mutex);
        if (!has_pending() || clock::now() < not_before) continue;
        const auto start = clock::now();
        process_pending();
        const auto end = clock::now();
        not_before = std::max(not_before, end + std::min<clock::duration>(
                                                    backoff_factor * (end - start), max_backoff));
      } catch (const std::exception& e) {
        // Out of memory, or a store beyond its limits: keep the last snapshot, say so, and try
        // again after a pause rather than spinning on the same failure.
        report_failure(std::string("cannot update: ") + e.what());
        std::lock_guard lock(update_mutex);
        not_before = clock::now() + max_backoff;
      }
    }
  }
};

}  // namespace detail

// ---- cert_view ----

const public_key& cert_view::key() const noexcept {
  return table_->entry_at(entry_).key;
}

std::optional<std::string_view> cert_view::meta(std::string_view name) const noexcept {
  std::optional<std::string_view> found;
  table_->for_each_meta(table_->entry_at(entry_).meta,
                        [&](std::string_view n, std::string_view value) {
                          if (!found && n == name) found = value;
                        });
  return found;
}

void cert_view::visit_meta(meta_visitor visitor, void* context) const {
  table_->for_each_meta(
      table_->entry_at(entry_).meta,
      [&](std::string_view name, std::string_view value) { visitor(context, name, value); });
}

certs::metadata cert_view::metadata() const {
  certs::metadata all;
  for_each_meta([&](std::string_view name, std::string_view value) {
    all.emplace_back(std::string(name), std::string(value));
  });
  return all;
}

std::string_view cert_view::file_name() const noexcept {
  if (table_->in_memory()) return {};
  return table_->file_name(table_->entry_at(entry_).file);
}

// ---- cert_snapshot ----

cert_snapshot::cert_snapshot(std::shared_ptr<const detail::cert_table> table,
                             std::vector<file_problem> problems, std::uint64_t generation,
                             bool stale) noexcept
    : table_(std::move(table)),
      problems_(std::move(problems)),
      generation_(generation),
      stale_(stale) {}

std::size_t cert_snapshot::size() const noexcept {
  return table_->size();
}

std::size_t cert_snapshot::file_count() const noexcept {
  return table_->file_count();
}

bool cert_snapshot::contains(std::span<const unsigned char> key) const noexcept {
  return key.size() == key_size && table_->find(key.data()) != nullptr;
}

std::optional<cert_view> cert_snapshot::find(std::span<const unsigned char> key) const noexcept {
  if (key.size() != key_size) return std::nullopt;
  const auto* entry = table_->find(key.data());
  if (entry == nullptr) return std::nullopt;
  return cert_view(table_, table_->index_of(*entry));
}

cert_view cert_snapshot::at(std::size_t index) const {
  if (index >= size()) {
    throw std::out_of_range("cert_snapshot::at: index " + std::to_string(index) + " >= size " +
                            std::to_string(size()));
  }
  return cert_view(table_, static_cast<std::uint32_t>(index));
}

// ---- cert_store ----

cert_store::cert_store(std::filesystem::path dir, cert_store_options options)
    : state_(std::make_unique<detail::store_state>()) {
  auto& s = *state_;
  s.dir = detail::folder_path(dir);
  s.dir_name = s.dir.filename().string();
  s.parent = s.dir.parent_path();
  s.follow = options.follow;
  s.on_change = std::move(options.on_change);

  std::lock_guard lock(s.update_mutex);
  if (s.follow) s.start_following();
  bool news = false;
  if (s.attach_folder(news) == detail::store_state::folder_state::lost) {
    const char* what = s.folder_watch_failed ? "cannot watch certificate folder "
                                             : "cannot open certificate folder ";
    throw zmqsec::error::from_errno(s.folder_errno, what + s.dir.string());
  }
  detail::change_set changes;
  try {
    detail::scan_folder(s.dir_fd.get(), changes, s.stop, s.has_links);
  } catch (const zmqsec::error& e) {
    throw zmqsec::error(e.code(), s.dir.string() + ": " + e.what());
  }
  changes.finish();
  s.apply(changes, true);
  s.publish(false);
  if (s.follow) s.follower = std::thread([&s] { s.follow_loop(); });
}

cert_store::cert_store(std::unique_ptr<detail::store_state> state) noexcept
    : state_(std::move(state)) {}

cert_store cert_store::from_certificates(std::span<const certificate> certs,
                                         cert_store_options options) {
  auto state = std::make_unique<detail::store_state>();
  state->in_memory = true;
  state->on_change = std::move(options.on_change);
  detail::change_set changes;
  for (const auto& cert : certs) {
    changes.add_loaded(detail::key_name(cert.public_key), cert.public_key, cert.metadata);
  }
  changes.finish();
  std::lock_guard lock(state->update_mutex);
  state->apply(changes, true);
  state->publish(false);
  return cert_store(std::move(state));
}

cert_store::cert_store(cert_store&& other) noexcept = default;
cert_store& cert_store::operator=(cert_store&& other) noexcept = default;
cert_store::~cert_store() = default;

std::shared_ptr<const cert_snapshot> cert_store::current() const noexcept {
  return state_ ? state_->current() : nullptr;
}

bool cert_store::contains(std::span<const unsigned char> key) const noexcept {
  return current()->contains(key);
}

std::optional<cert_view> cert_store::find(std::span<const unsigned char> key) const noexcept {
  return current()->find(key);
}

std::shared_ptr<const cert_snapshot> cert_store::reload() {
  auto& s = *state_;
  if (s.in_memory) return current();
  s.refuse_inside_callback("reload()");
  std::lock_guard lock(s.update_mutex);
  // A full read covers whatever the events noted so far were about.
  s.dirty.clear();
  s.rescan = false;
  s.check_folder = false;
  bool news = false;
  if (s.attach_folder(news) == detail::store_state::folder_state::lost ||
      s.rescan_folder(true, news) == detail::store_state::scan_result::failed) {
    s.publish(true);
  }
  return s.current();
}

std::uint64_t cert_store::generation() const noexcept {
  return state_->current_generation.load(std::memory_order_acquire);
}

bool cert_store::wait_for_generation(std::uint64_t at_least,
                                     std::chrono::milliseconds timeout) const {
  auto& s = *state_;
  std::unique_lock lock(s.generation_mutex);
  return s.generation_cv.wait_for(lock, timeout, [&] { return s.published >= at_least; });
}

void cert_store::insert(const public_key& key, const certs::metadata& meta) {
  const certificate cert{key, std::nullopt, meta};
  insert(std::span<const certificate>(&cert, 1));
}

void cert_store::insert(std::span<const certificate> certs) {
  auto& s = *state_;
  if (!s.in_memory) {
    throw zmqsec::error(errc::invalid_argument,
                        "cert_store::insert(): the store follows a folder; add a file instead");
  }
  s.refuse_inside_callback("insert()");
  detail::change_set changes;
  for (const auto& cert : certs) {
    changes.add_loaded(detail::key_name(cert.public_key), cert.public_key, cert.metadata);
  }
  std::lock_guard lock(s.update_mutex);
  s.apply_incremental(changes, true);
}

bool cert_store::erase(const public_key& key) {
  auto& s = *state_;
  if (!s.in_memory) {
    throw zmqsec::error(errc::invalid_argument,
                        "cert_store::erase(): the store follows a folder; remove the file instead");
  }
  s.refuse_inside_callback("erase()");
  std::lock_guard lock(s.update_mutex);
  if (s.table->find(key.data()) == nullptr) return false;
  detail::change_set changes;
  changes.add_absent(detail::key_name(key));
  s.apply_incremental(changes, true);
  return true;
}

const std::filesystem::path& cert_store::folder() const noexcept {
  return state_->dir;
}

}  // namespace zmqsec::certs
