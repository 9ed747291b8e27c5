#include "cert_store_folder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/error.hpp>

#include "file_io.hpp"

namespace zmqsec::certs::detail {
namespace {

std::string errno_text(int err) {
  return std::error_code(err, std::generic_category()).message();
}

// certificate_error says "<source>: <reason>"; the problem list names the file separately.
std::string reason_of(const zmqsec::error& e, std::string_view name) {
  std::string_view what = e.what();
  if (what.size() > name.size() + 2 && what.starts_with(name) &&
      what.substr(name.size(), 2) == ": ") {
    what.remove_prefix(name.size() + 2);
  }
  return std::string(what);
}

// Reads the whole regular file fd (of st_size bytes when opened) into buffer. The file may
// change while it is read: stop at end of file, and never beyond max_certificate_file_size.
// Returns 0 or the errno of a failed read.
int read_all(int fd, std::size_t size, secret_string& buffer) {
  buffer.resize(size);
  std::size_t have = 0;
  for (;;) {
    if (have == buffer.size()) {
      if (buffer.size() >= max_certificate_file_size) break;
      buffer.resize(std::min(max_certificate_file_size, buffer.size() + 4096));
    }
    const ssize_t n = ::read(fd, buffer.data() + have, buffer.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  buffer.resize(have);
  return 0;
}

}  // namespace

void read_certificate_at(int dir_fd, const char* name, bool created_only, change_set& out,
                         secret_string& buffer) {
  // O_NONBLOCK: a FIFO under a certificate name must not hang the follower in open().
  unique_fd fd(::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      out.add_absent(name);
    } else {
      out.add_bad(name, "cannot open: " + errno_text(err));
    }
    return;
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) {
    out.add_bad(name, "cannot stat: " + errno_text(errno));
    return;
  }
  if (!S_ISREG(st.st_mode)) {
    out.add_absent(name);  // folders, FIFOs, sockets and devices are not certificate files
    return;
  }
  const auto size = static_cast<std::size_t>(st.st_size);
  if (size > max_certificate_file_size) {
    out.add_bad(name, "file too large (" + std::to_string(size) + " bytes, at most " +
                          std::to_string(max_certificate_file_size) + ")");
    return;
  }
  if (int err = read_all(fd.get(), size, buffer); err != 0) {
    out.add_bad(name, "cannot read: " + errno_text(err));
    return;
  }
  try {
    certificate cert = parse_certificate(buffer, name);
    out.add_loaded(name, cert.public_key, cert.metadata);
  } catch (const zmqsec::error& e) {
    if (!created_only) out.add_bad(name, reason_of(e, name));
  }
}

bool scan_folder(int dir_fd, change_set& out, const std::function<bool()>& stopped,
                 bool& has_links) {
  has_links = false;
  // A descriptor of its own: the directory stream owns and moves it.
  const int list_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (list_fd < 0) throw zmqsec::error::from_errno(errno, "cannot list folder");
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::fdopendir(list_fd), &::closedir);
  if (!dir) {
    const int err = errno;
    ::close(list_fd);
    throw zmqsec::error::from_errno(err, "cannot list folder");
  }
  secret_string buffer;
  for (;;) {
    if (stopped()) return false;
    errno = 0;
    const dirent* entry = ::readdir(dir.get());
    if (entry == nullptr) {
      if (errno != 0) throw zmqsec::error::from_errno(errno, "cannot list folder");
      return true;
    }
    if (entry->d_type == DT_DIR) continue;
    if (!is_public_certificate_name(entry->d_name)) continue;
    if (entry->d_type == DT_LNK) has_links = true;
    if (entry->d_type == DT_UNKNOWN) {  // file systems that do not say in the entry
      struct stat st {};
      if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(st.st_mode)) continue;
        if (S_ISLNK(st.st_mode)) has_links = true;
      }
    }
    read_certificate_at(dir_fd, entry->d_name, false, out, buffer);
  }
}

}  // namespace zmqsec::certs::detail
