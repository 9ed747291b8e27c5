#include <zmqsec/core/folder_watch.hpp>

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <zmqsec/error.hpp>

namespace zmqsec::core {
namespace {

// The folder's own watch: writes become visible at close (IN_CLOSE_WRITE, so a same-size rewrite
// within one second is seen), names come and go, attributes change (chmod, touch, link count),
// and the folder itself goes away. IN_EXCL_UNLINK: a file unlinked while still open elsewhere
// says nothing more.
constexpr std::uint32_t folder_mask = IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM |
                                      IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF |
                                      IN_ONLYDIR | IN_EXCL_UNLINK;
// The parent's watch: the folder's name appearing or disappearing (a replaced folder is a new
// inode, which the folder's watch cannot see), and the parent going away.
constexpr std::uint32_t parent_mask = IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
                                      IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR;

// read(2)s of the queue per read_changes() (16 KiB each): see read_changes() in the header.
constexpr int max_reads_per_call = 64;

struct event_bit {
  std::uint32_t inotify;
  std::uint32_t reported;
};
constexpr event_bit event_bits[] = {
    {IN_CREATE, folder_event::created},    {IN_CLOSE_WRITE, folder_event::written},
    {IN_MOVED_TO, folder_event::moved_in}, {IN_MOVED_FROM, folder_event::moved_out},
    {IN_DELETE, folder_event::deleted},    {IN_ATTRIB, folder_event::attributes},
    {IN_ISDIR, folder_event::is_folder},
};

std::uint32_t reported_bits(std::uint32_t mask) noexcept {
  std::uint32_t what = 0;
  for (const auto& bit : event_bits) {
    if (mask & bit.inotify) what |= bit.reported;
  }
  return what;
}

std::filesystem::path normal_folder_path(const std::filesystem::path& folder) {
  auto path = std::filesystem::absolute(folder).lexically_normal();
  if (!path.has_filename() && path != path.root_path()) path = path.parent_path();  // "certs/"
  return path;
}

}  // namespace

folder_watch::folder_watch(std::filesystem::path folder)
    : path_(normal_folder_path(folder)),
      name_(path_.filename().string()),
      parent_(path_.parent_path()),
      inotify_(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) {
  if (inotify_) return;
  const int err = errno;
  std::string what = "cannot watch " + path_.string() + " (inotify_init1)";
  if (err == EMFILE) what += ": too many inotify instances, see fs.inotify.max_user_instances";
  throw zmqsec::error::from_errno(err, what);
}

folder_watch::~folder_watch() = default;  // closing the instance removes its watches

folder_watch::attachment folder_watch::attach() {
  if (parent_wd_ < 0 && !name_.empty()) {
    // Failing, the folder's replacement is seen only by a later attach(); the folder's own
    // watch still works, so this is no reason to fail.
    parent_wd_ = ::inotify_add_watch(inotify_.get(), parent_.c_str(), parent_mask);
  }
  const int wd = ::inotify_add_watch(inotify_.get(), path_.c_str(), folder_mask);
  if (wd < 0) {
    attach_error_ = errno;
    // The path no longer leads to the watched folder: stop hearing about that one. (Other
    // errors, EACCES say, leave it watched: its permissions coming back are an event.)
    if (attach_error_ == ENOENT || attach_error_ == ENOTDIR) forget_folder();
    return attachment::lost;
  }
  attach_error_ = 0;
  if (wd == folder_wd_) return attachment::same;
  forget_folder();
  folder_wd_ = wd;
  return attachment::new_folder;
}

void folder_watch::forget_folder() noexcept {
  if (folder_wd_ >= 0) ::inotify_rm_watch(inotify_.get(), folder_wd_);
  folder_wd_ = -1;
}

folder_changes folder_watch::read_changes() {
  // Large enough for many events at once; aligned as the kernel writes struct inotify_event.
  alignas(inotify_event) char buffer[16 * 1024];
  folder_changes changes;
  entry_index_.clear();
  for (int reads = 0; reads < max_reads_per_call;) {
    const ssize_t n = ::read(inotify_.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0)
      throw zmqsec::error::from_errno(errno, "cannot read the events of " + path_.string());
    if (n == 0) break;
    ++reads;
    note(std::span<const char>(buffer, static_cast<std::size_t>(n)), changes);
  }
  return changes;
}

void folder_watch::note(std::span<const char> events, folder_changes& out) {
  for (std::size_t at = 0; at + sizeof(inotify_event) <= events.size();) {
    inotify_event ev;
    std::memcpy(&ev, events.data() + at, sizeof ev);
    const char* name_data = events.data() + at + sizeof ev;
    if (ev.len > events.size() - at - sizeof ev) return;  // the kernel hands out whole events only
    at += sizeof ev + ev.len;
    const std::string_view name(name_data, ev.len == 0 ? 0 : ::strnlen(name_data, ev.len));

    if (ev.mask & IN_Q_OVERFLOW) {
      out.rescan = true;
      out.folder_changed = true;
    } else if (ev.wd == folder_wd_ && folder_wd_ >= 0) {
      note_folder_event(ev.mask, name, out);
    } else if (ev.wd == parent_wd_ && parent_wd_ >= 0) {
      note_parent_event(ev.mask, name, out);
    }
    // Anything else comes from a watch already given up.
  }
}

void folder_watch::note_folder_event(std::uint32_t mask, std::string_view name,
                                     folder_changes& out) {
  if (mask & IN_IGNORED) {
    folder_wd_ = -1;  // the kernel dropped the watch (the folder is gone)
    out.folder_changed = true;
    return;
  }
  if (mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
    out.folder_changed = true;
    return;
  }
  if (name.empty()) {
    if (mask & IN_ATTRIB) out.folder_changed = true;  // its permissions may have changed
    return;
  }
  // One entry per name, the events OR-ed: a burst of writes to one file is one change.
  auto [at, inserted] = entry_index_.try_emplace(std::string(name), out.entries.size());
  if (inserted) {
    out.entries.push_back({at->first, reported_bits(mask)});
  } else {
    out.entries[at->second].what |= reported_bits(mask);
  }
}

void folder_watch::note_parent_event(std::uint32_t mask, std::string_view name,
                                     folder_changes& out) {
  if (mask & IN_IGNORED) {
    parent_wd_ = -1;
  } else if (mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
    // The path no longer runs through this inode; attach() watches the new parent.
    ::inotify_rm_watch(inotify_.get(), parent_wd_);
    parent_wd_ = -1;
    out.folder_changed = true;
  } else if (name == name_) {
    out.folder_changed = true;
  }
}

}  // namespace zmqsec::core
