#include <zmqsec/core/file_read.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace zmqsec::core {
namespace {

[[noreturn]] void throw_errno(const std::filesystem::path& path, int err, const char* what) {
  const std::error_code code(err, std::generic_category());
  throw file_read_error(code, path, std::string(what) + ": " + code.message());
}

// What a file that is not a regular file is, in words a person recognises.
const char* kind_of(mode_t mode) noexcept {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a file";
}

}  // namespace

regular_file open_regular_file(const std::filesystem::path& path, std::size_t max_size) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
  regular_file file{
      zmqsec::detail::unique_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)),
      0};
  if (!file.fd) throw_errno(path, errno, "cannot open");
  struct stat st {};
  if (::fstat(file.fd.get(), &st) != 0) throw_errno(path, errno, "cannot stat");
  if (!S_ISREG(st.st_mode)) {
    throw file_read_error(make_error_code(errc::invalid_argument), path,
                          std::string("not a regular file (") + kind_of(st.st_mode) + ")");
  }
  if (static_cast<std::uintmax_t>(st.st_size) > max_size) throw_file_too_large(path, max_size);
  file.size = static_cast<std::size_t>(st.st_size);
  return file;
}

std::size_t read_up_to(const regular_file& file, char* data, std::size_t capacity,
                       const std::filesystem::path& path) {
  std::size_t have = 0;
  while (have < capacity) {
    const ssize_t n = ::read(file.fd.get(), data + have, capacity - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno(path, errno, "cannot read");
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  return have;
}

void throw_file_too_large(const std::filesystem::path& path, std::size_t max_size) {
  throw file_read_error(make_error_code(errc::invalid_argument), path,
                        "file too large (at most " + std::to_string(max_size) + " bytes)");
}

}  // namespace zmqsec::core
