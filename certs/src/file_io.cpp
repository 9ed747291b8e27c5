#include "file_io.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include <zmqsec/certs/keys.hpp>
#include <zmqsec/core/file_read.hpp>
#include <zmqsec/detail/unique_fd.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::certs::detail {
namespace {

using zmqsec::detail::unique_fd;

// Removes a temporary file on scope exit unless committed.
class temp_file_guard {
 public:
  explicit temp_file_guard(std::string path) : path_(std::move(path)) {}
  ~temp_file_guard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void commit() noexcept { path_.clear(); }

 private:
  std::string path_;
};

std::string random_suffix() {
  ensure_sodium_initialised();
  static constexpr char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string suffix(12, '0');
  for (auto& c : suffix) c = digits[randombytes_uniform(sizeof digits - 1)];
  return suffix;
}

void write_all(int fd, std::string_view content, const std::string& name) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw zmqsec::error::from_errno(errno, "cannot write " + name);
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

void refuse_symlink(const std::filesystem::path& target) {
  struct stat st {};
  if (::lstat(target.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    throw zmqsec::error::from_errno(ELOOP,
                                    "refusing to write through symbolic link " + target.string());
  }
}

void sync_folder(const std::filesystem::path& folder) {
  // Makes the rename durable; a folder that cannot be opened for syncing is not an error.
  unique_fd fd(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::fsync(fd.get());
}

}  // namespace

secret_string read_small_file(const std::filesystem::path& path, std::size_t max_size) {
  return core::read_regular_file<secret_string>(path, max_size);
}

void write_file_atomically(const std::filesystem::path& target, std::string_view content,
                           mode_t mode, bool overwrite) {
  const std::string name = target.string();
  refuse_symlink(target);
  std::filesystem::path folder = target.parent_path().empty() ? "." : target.parent_path();
  // A hidden name, so folder scanners (is_public_certificate_name) never pick up a partial file.
  std::string temp_name = ".";
  temp_name += target.filename().string();
  temp_name += ".tmp-";
  temp_name += random_suffix();
  std::string temp = folder / temp_name;

  unique_fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (fd.get() < 0)
    throw zmqsec::error::from_errno(errno, "cannot create a file in " + folder.string());
  temp_file_guard guard(temp);
  write_all(fd.get(), content, name);
  if (::fsync(fd.get()) != 0) throw zmqsec::error::from_errno(errno, "cannot sync " + name);
  if (fd.close() != 0) throw zmqsec::error::from_errno(errno, "cannot close " + name);

  if (overwrite) {
    refuse_symlink(target);
    if (::rename(temp.c_str(), target.c_str()) != 0) {
      throw zmqsec::error::from_errno(errno, "cannot replace " + name);
    }
    guard.commit();
  } else if (::link(temp.c_str(), target.c_str()) != 0) {
    int err = errno;
    if (err == EEXIST) {
      throw zmqsec::error::from_errno(err, name + " exists (refusing to overwrite)");
    }
    throw zmqsec::error::from_errno(err, "cannot create " + name);
  }
  // For the link path the guard removes the temporary name; the content stays under target.
  sync_folder(folder);
}

}  // namespace zmqsec::certs::detail
