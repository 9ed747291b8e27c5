#include "folder_source.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <system_error>

#include <zmqsec/error.hpp>

namespace zmqsec::certs::detail {
namespace {

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

bool never_stopped() noexcept {
  return false;
}

}  // namespace

void folder_source::load() {
  bool news = false;
  if (attach(news) == folder_state::lost) {
    const char* what =
        watch_failed_ ? "cannot watch certificate folder " : "cannot open certificate folder ";
    throw zmqsec::error::from_errno(folder_errno_, what + dir_.string());
  }
  change_set changes;
  try {
    scan_folder(dir_fd_.get(), changes, never_stopped, has_links_);
  } catch (const zmqsec::error& e) {
    throw zmqsec::error(e.code(), dir_.string() + ": " + e.what());
  }
  changes.finish();
  model_.apply(changes, true);
  publish(false);
}

void folder_source::reload() {
  bool news = false;
  if (attach(news) == folder_state::lost ||
      rescan(true, news, never_stopped) == scan_result::failed) {
    publish(true);
  }
}

folder_source::folder_state folder_source::attach(bool& problem_is_news) {
  problem_is_news = false;
  unique_fd fd(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0) {
    const int err = errno;
    // Also for the watch: it lets go of a folder no longer under the path, and watches the
    // parent again if that went, so that the folder's return is seen.
    if (watch_ != nullptr) watch_->attach();
    return lose(err, false, problem_is_news);
  }
  bool same = false;
  if (watch_ != nullptr) {
    const auto attached = watch_->attach();
    if (attached == core::folder_watch::attachment::lost) {
      return lose(watch_->attach_error(), true, problem_is_news);
    }
    same = dir_fd_ && attached == core::folder_watch::attachment::same;
  }
  dir_fd_ = std::move(fd);
  return same && folder_problem_.empty() ? folder_state::same : folder_state::changed;
}

folder_source::folder_state folder_source::lose(int err, bool watch_failed, bool& problem_is_news) {
  folder_errno_ = err;
  watch_failed_ = watch_failed;
  dir_fd_.reset();  // so that the folder's return, even as the same inode, reads it afresh
  if (watch_failed) {
    problem_is_news = set_folder_problem("cannot watch folder: " + errno_text(err));
  } else {
    problem_is_news =
        set_folder_problem(err == ENOENT    ? std::string("folder removed or renamed")
                           : err == ENOTDIR ? std::string("no longer a folder")
                                            : "cannot open folder: " + errno_text(err));
  }
  return folder_state::lost;
}

folder_source::scan_result folder_source::rescan(bool always_publish, bool& problem_is_news,
                                                 const stop_test& stopped) {
  change_set changes;
  try {
    if (!scan_folder(dir_fd_.get(), changes, stopped, has_links_)) return scan_result::stopped;
  } catch (const zmqsec::error& e) {
    problem_is_news = set_folder_problem(e.what());
    return scan_result::failed;
  }
  changes.finish();
  auto old = model_;
  const bool was_stale = !folder_problem_.empty();
  folder_problem_.clear();
  model_.apply(changes, true);
  if (!was_stale && !always_publish && model_.same_as(old)) {
    model_ = std::move(old);  // keep sharing the published table rather than an equal copy
  } else {
    publish(true);
  }
  return scan_result::published;
}

bool folder_source::read_files(const file_list& files, change_set& out, const stop_test& stopped) {
  secret_string buffer;
  for (const auto& [name, created_only] : files) {
    if (stopped()) return false;
    read_certificate_at(dir_fd_.get(), name.c_str(), created_only, out, buffer);
  }
  return true;
}

void folder_source::apply(change_set& changes) {
  if (!model_.apply_incremental(changes)) return;
  publish(true);
  // The change is in force; now fold the pending changes into a full table, so that the next
  // change is laid over few again. The published snapshot keeps the layered table it reads.
  if (model_.merge_due()) model_.merge();
}

bool folder_source::restore_before_removals() {
  if (!before_removals_) return false;
  model_ = std::move(*before_removals_);
  before_removals_.reset();
  return true;
}

bool folder_source::set_folder_problem(const std::string& what) {
  std::string problem =
      what + "; keeping the " + std::to_string(model_.size()) + " keys loaded before";
  if (problem == folder_problem_) return false;
  folder_problem_ = std::move(problem);
  return true;
}

void folder_source::publish(bool notify) {
  publisher_.publish(model_.published(), model_.problems(dir_, folder_problem_),
                     !folder_problem_.empty(), notify);
}

bool folder_source::is_symlink(const std::string& name) const noexcept {
  struct stat st {};
  return dir_fd_ && ::fstatat(dir_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         S_ISLNK(st.st_mode);
}

bool folder_source::is_symlink_or_folder(const std::string& name) const noexcept {
  struct stat st {};
  return dir_fd_ && ::fstatat(dir_fd_.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
         (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode));
}

}  // namespace zmqsec::certs::detail
