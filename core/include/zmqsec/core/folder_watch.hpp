// folder_watch: the one inotify watch of a folder in zmqsec (the cert store's folder, the folders
// of password files). Not a thread: its owner polls fd() from its own core::worker, beside
// stop.fd(), and calls read_changes() when it is readable, so each owner keeps its own timing.
//
//   zmqsec::core::folder_watch watch("/etc/app/clients");
//   if (watch.attach() == folder_watch::attachment::lost) ...   // watch.attach_error(): errno
//   ...                                          // on the worker: poll watch.fd() for POLLIN
//   zmqsec::core::folder_changes changes = watch.read_changes();
//   if (changes.rescan) ...                      // the queue overflowed: look at everything
//   if (changes.folder_changed) watch.attach();              // what does the path name now?
//   for (const auto& entry : changes.entries) ...            // entry.name, entry.what
//
// What is reported, coalesced per call (one entry per name, the events OR-ed together): names
// created, written (closed after writing, so a same-size rewrite within one second is seen),
// moved in, moved out, deleted, and attribute changes (chmod, touch, link count). IN_MODIFY is
// left out on purpose: a file is looked at when its writer closes it, not halfway through.
//
// The folder itself: removed, renamed away, replaced by another folder under the same path (a
// new inode, which the folder's own watch cannot see, so the folder's parent is watched too),
// its attributes changed, or the event queue overflowed: folder_changed is set, and attach()
// looks at what the path names now and watches that (same, new_folder or lost). A folder that
// is gone is no longer watched; if its parent goes too, nothing tells of the folder's return,
// and only an attach() by the owner (a retry, a reload) finds it again.
//
// Thread rules: one thread at a time (the owner serialises attach() and read_changes()); fd()
// may be polled from anywhere.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <zmqsec/detail/unique_fd.hpp>

namespace zmqsec::core {

/// What happened to one name of the folder since the last read_changes(): a bit set of these.
struct folder_event {
  static constexpr std::uint32_t created = 1u << 0;
  static constexpr std::uint32_t written = 1u << 1;  // closed after writing
  static constexpr std::uint32_t moved_in = 1u << 2;
  static constexpr std::uint32_t moved_out = 1u << 3;
  static constexpr std::uint32_t deleted = 1u << 4;
  static constexpr std::uint32_t attributes = 1u << 5;
  static constexpr std::uint32_t is_folder = 1u << 6;  // the name is a subfolder
  /// The name now means another file or none: created, moved in or out, deleted.
  static constexpr std::uint32_t name_changed = created | moved_in | moved_out | deleted;
};

struct folder_changes {
  struct entry {
    std::string name;    // within the folder
    std::uint32_t what;  // folder_event bits, OR-ed over the events of this read
    /// Created and nothing else seen of it yet: its writer has most likely not finished.
    bool only_created() const noexcept {
      return (what & ~folder_event::is_folder) == folder_event::created;
    }
  };
  std::vector<entry> entries;   // one per name, in the order first seen
  bool rescan = false;          // the event queue overflowed: anything may have changed
  bool folder_changed = false;  // the folder itself may be gone or replaced: call attach()

  bool empty() const noexcept { return entries.empty() && !rescan && !folder_changed; }
};

class folder_watch {
 public:
  /// Where attach() left the watch. The kernel gives a watched inode the same watch
  /// descriptor again, so "same" means the path still names the very folder watched before.
  enum class attachment {
    same,        // the folder watched before, still under its path
    new_folder,  // a folder not watched before (the first attach, or a replacement)
    lost,        // the path names no folder that can be watched: attach_error() says why
  };

  /// Creates the inotify instance; watches nothing until attach(). Throws zmqsec::error (errno)
  /// if no instance can be had (EMFILE: see /proc/sys/fs/inotify/max_user_instances).
  explicit folder_watch(std::filesystem::path folder);
  folder_watch(const folder_watch&) = delete;
  folder_watch& operator=(const folder_watch&) = delete;
  ~folder_watch();

  /// Watches what the path names now (and its parent), replacing the watch of a folder that is
  /// no longer under the path. Never throws for a missing or unreadable folder: that is lost,
  /// with the errno in attach_error().
  attachment attach();

  /// The errno of the last attach() that returned lost; 0 after one that did not.
  int attach_error() const noexcept { return attach_error_; }

  /// Whether a folder is watched now: from an attach() that was not lost until the folder is
  /// seen gone. An attach() lost for another reason than ENOENT or ENOTDIR (EACCES, say) keeps
  /// watching the folder it had, whose permissions coming back are an event.
  bool attached() const noexcept { return folder_wd_ >= 0; }

  /// Drains the queued events into one coalesced value (empty when nothing is queued). It reads
  /// a bounded amount, so that a flood that never pauses cannot keep the owner from acting on
  /// what it has; fd() stays readable if more is queued. Throws zmqsec::error if the queue
  /// cannot be read.
  folder_changes read_changes();

  /// The inotify descriptor to poll for POLLIN.
  int fd() const noexcept { return inotify_.get(); }

  const std::filesystem::path& folder() const noexcept { return path_; }

 private:
  void note(std::span<const char> events, folder_changes& out);
  void note_folder_event(std::uint32_t mask, std::string_view name, folder_changes& out);
  void note_parent_event(std::uint32_t mask, std::string_view name, folder_changes& out);
  void forget_folder() noexcept;

  std::filesystem::path path_;
  std::string name_;  // the folder's last component, as its parent's events name it
  std::filesystem::path parent_;
  zmqsec::detail::unique_fd inotify_;
  int folder_wd_ = -1;
  int parent_wd_ = -1;
  int attach_error_ = 0;
  std::unordered_map<std::string, std::size_t> entry_index_;  // name -> entry, per read_changes()
};

}  // namespace zmqsec::core
