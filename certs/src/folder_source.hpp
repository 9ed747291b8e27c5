// The folder source of a cert_store: the folder opened by its path, what was read from it, and
// why it cannot be read now (folder_problem). It reads (all of it, or named files) and publishes;
// it does not decide when: that is the constructor's, reload()'s and the folder_follower's.
// Not thread-safe: the folder store calls it under its update mutex.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <zmqsec/core/folder_watch.hpp>

#include "cert_model.hpp"
#include "cert_store_folder.hpp"
#include "snapshot_publisher.hpp"

namespace zmqsec::certs::detail {

class folder_source {
 public:
  enum class folder_state { same, changed, lost };
  enum class scan_result { published, stopped, failed };
  using stop_test = std::function<bool()>;
  /// File name -> created and nothing else seen of it yet (see read_certificate_at).
  using file_list = std::unordered_map<std::string, bool>;

  /// watch: null when the folder is not followed.
  folder_source(std::filesystem::path dir, core::folder_watch* watch,
                snapshot_publisher& publisher) noexcept
      : dir_(std::move(dir)), watch_(watch), publisher_(publisher) {}

  /// The first read (constructor): throws zmqsec::error if the folder cannot be opened, watched
  /// or listed; publishes without calling on_change.
  void load();

  /// reload(): attaches the folder again and reads all of it; always publishes.
  void reload();

  /// Opens the folder by its path again and compares it with the one the table came from; a new
  /// folder is watched (replacing the watch of the old one). lost: folder_problem says why, and
  /// problem_is_news whether it says something new.
  folder_state attach(bool& problem_is_news);

  /// Reads the whole folder (attached) and publishes it (unless it is exactly what was
  /// published already and not always_publish); failed leaves folder_problem set.
  scan_result rescan(bool always_publish, bool& problem_is_news, const stop_test& stopped);

  /// Reads the named files into out; false if stopped() said to stop first.
  bool read_files(const file_list& files, change_set& out, const stop_test& stopped);

  /// Applies changes to some files and publishes them if they change anything.
  void apply(change_set& changes);

  /// Keeps the model as it is now, to go back to if the folder goes away while files are being
  /// removed (see folder_follower); replaces one kept before.
  void keep_before_removals() { before_removals_ = model_; }
  void forget_before_removals() noexcept { before_removals_.reset(); }
  /// Goes back to the model kept by keep_before_removals(); false if none was kept.
  bool restore_before_removals();

  /// Records that the folder cannot be read (keeping the table); returns whether that is news.
  bool set_folder_problem(const std::string& what);
  void publish(bool notify);

  bool readable() const noexcept { return static_cast<bool>(dir_fd_); }
  bool has_file(std::string_view name) const noexcept { return model_.has_file(name); }
  bool has_links() const noexcept { return has_links_; }
  void note_link() noexcept { has_links_ = true; }
  bool is_symlink(const std::string& name) const noexcept;
  bool is_symlink_or_folder(const std::string& name) const noexcept;
  const std::filesystem::path& folder() const noexcept { return dir_; }

 private:
  folder_state lose(int err, bool watch_failed, bool& problem_is_news);

  const std::filesystem::path dir_;
  core::folder_watch* const watch_;
  snapshot_publisher& publisher_;

  cert_model model_{false};
  std::optional<cert_model> before_removals_;  // see keep_before_removals()
  unique_fd dir_fd_;            // the folder the table was read from; empty while lost
  std::string folder_problem_;  // empty while the folder reads fine
  int folder_errno_ = 0;        // why attach() last lost the folder
  bool watch_failed_ = false;   // ... and whether it was the watch that failed
  bool has_links_ = false;      // some certificate file is a symbolic link
};

}  // namespace zmqsec::certs::detail
