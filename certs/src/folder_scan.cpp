#include "folder_scan.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <memory>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/core/worker.hpp>
#include <zmqsec/error.hpp>

#include "cert_store_folder.hpp"

namespace zmqsec::certs::detail {
namespace {

// Files a thread takes at a time: few enough for both threads to end together, and for a stop
// to be seen soon.
constexpr std::size_t files_per_batch = 256;

using directory = std::unique_ptr<DIR, int (*)(DIR*)>;

directory open_listing(int dir_fd) {
  // A descriptor of its own: the directory stream owns and moves it.
  const int list_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) throw zmqsec::error::from_errno(errno, "cannot list folder");
  directory dir(::fdopendir(list_fd), &::closedir);
  if (!dir) {
    const int err = errno;
    ::close(list_fd);
    throw zmqsec::error::from_errno(err, "cannot list folder");
  }
  return dir;
}

// Whether the entry is a certificate file to read (not a folder), noting symbolic links.
bool is_certificate_entry(int dir_fd, const dirent& entry, bool& has_links) {
  if (entry.d_type == DT_DIR || !is_public_certificate_name(entry.d_name)) return false;
  if (entry.d_type == DT_LNK) has_links = true;
  if (entry.d_type == DT_UNKNOWN) {  // file systems that do not say in the entry
    struct stat st {};
    if (::fstatat(dir_fd, entry.d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      if (S_ISDIR(st.st_mode)) return false;
      if (S_ISLNK(st.st_mode)) has_links = true;
    }
  }
  return true;
}

// The batches of a listing, handed out to the threads that read it.
class batches {
 public:
  explicit batches(std::size_t files) noexcept : files_(files) {}

  // The next batch [begin, end); false when none is left or the scan was abandoned.
  bool next(std::size_t& begin, std::size_t& end) noexcept {
    if (abandoned_.load(std::memory_order_relaxed)) return false;
    begin = next_.fetch_add(files_per_batch, std::memory_order_relaxed);
    if (begin >= files_) return false;
    end = std::min(files_, begin + files_per_batch);
    return true;
  }
  void abandon() noexcept { abandoned_.store(true, std::memory_order_relaxed); }

 private:
  const std::size_t files_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> abandoned_{false};
};

// Reads batches into out until none is left; false if stopped (null: never asked) held first.
bool read_batches(int dir_fd, const folder_listing& listing, batches& work, change_set& out,
                  const std::function<bool()>* stopped) {
  secret_string buffer;  // wiped when released: a public name may hold a secret key
  std::size_t begin = 0;
  std::size_t end = 0;
  while (work.next(begin, end)) {
    if (stopped != nullptr && (*stopped)()) {
      work.abandon();
      return false;
    }
    for (std::size_t i = begin; i < end; ++i) {
      const auto& file = listing.files[i];
      if (file.regular) {
        read_listed_certificate(dir_fd, listing.name(file), out, buffer);
      } else {
        read_certificate_at(dir_fd, listing.name(file), false, out, buffer);
      }
    }
  }
  return true;
}

}  // namespace

bool list_folder(int dir_fd, folder_listing& listing, const std::function<bool()>& stopped,
                 bool& has_links) {
  has_links = false;
  const directory dir = open_listing(dir_fd);
  for (;;) {
    if (stopped()) return false;
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) throw zmqsec::error::from_errno(errno, "cannot list folder");
      break;
    }
    if (!is_certificate_entry(dir_fd, *entry, has_links)) continue;
    listing.files.push_back({entry->d_ino, listing.names.size(), entry->d_type == DT_REG});
    listing.names.append(entry->d_name, std::strlen(entry->d_name) + 1);
  }
  std::sort(listing.files.begin(), listing.files.end(),
            [](const auto& a, const auto& b) { return a.inode < b.inode; });
  return true;
}

bool read_listed_files(int dir_fd, const folder_listing& listing, change_set& out,
                       const std::function<bool()>& stopped) {
  batches work(listing.files.size());
  // Each thread may read any share of the files; room that is not written costs no memory.
  out.reserve(listing.files.size(), listing.names.size());
  if (listing.files.size() < files_for_two_threads) {
    return read_batches(dir_fd, listing, work, out, &stopped);
  }
  change_set theirs;
  theirs.reserve(listing.files.size(), listing.names.size());
  core::worker helper;  // after what its body uses, so that it is joined before they go
  try {
    helper.start(
        "zmqsec-scan",
        [&](const core::stop_view&) { read_batches(dir_fd, listing, work, theirs, nullptr); },
        [](std::exception_ptr) {});  // rethrown below from failure()
  } catch (const zmqsec::error&) {
    return read_batches(dir_fd, listing, work, out, &stopped);  // no thread to be had: one
  }
  bool complete = false;
  try {
    complete = read_batches(dir_fd, listing, work, out, &stopped);
  } catch (...) {
    work.abandon();
    throw;
  }
  helper.stop();  // the body ignores the request: it ends when the batches do
  if (const auto failure = helper.failure()) std::rethrow_exception(failure);
  if (complete) out.append(theirs);
  return complete;
}

}  // namespace zmqsec::certs::detail
