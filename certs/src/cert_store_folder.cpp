#include "cert_store_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/error.hpp>

#include "certificate_parse.hpp"
#include "file_io.hpp"
#include "folder_scan.hpp"

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

// Reads the whole regular file fd (of size bytes when opened; 0 when not known) into buffer,
// whose first `have` bytes it then is (its size is kept as room for the next file). The file may
// change while it is read: stop at end of file, and never beyond max_certificate_file_size. A
// read that brought every byte the file had when opened and stopped short of the room it was
// given ends there, which saves the read that would return 0 (a syscall per file of a
// million-file folder). Returns 0 or the errno of a failed read.
int read_all(int fd, std::size_t size, secret_string& buffer, std::size_t& have) {
  const std::size_t room =
      std::min(max_certificate_file_size, std::max<std::size_t>(size + 1, 4096));
  if (buffer.size() < room) buffer.resize(room);
  have = 0;
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
    if (have >= size && have < buffer.size()) break;
  }
  return 0;
}

void parse_into(std::string_view text, const char* name, bool created_only, change_set& out) {
  certificate cert;
  try {
    if (!parse_plain_public_certificate(text, cert)) cert = parse_certificate_fully(text, name);
    out.add_loaded(name, cert.public_key, cert.metadata);
  } catch (const zmqsec::error& e) {
    if (!created_only) out.add_bad(name, reason_of(e, name));
  }
}

// Reads the file open at fd after asking what it is: only regular files are certificate files.
// again: it was read from already.
void read_checked(int fd, const char* name, bool created_only, bool again, change_set& out,
                  secret_string& buffer) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
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
  std::size_t have = 0;
  if ((again && ::lseek(fd, 0, SEEK_SET) != 0) || read_all(fd, size, buffer, have) != 0) {
    out.add_bad(name, "cannot read: " + errno_text(errno));
    return;
  }
  parse_into({buffer.data(), have}, name, created_only, out);
}

unique_fd open_certificate(int dir_fd, const char* name, change_set& out) {
  // O_NONBLOCK: a FIFO under a certificate name must not hang the follower in open().
  unique_fd fd(::openat(dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      out.add_absent(name);
    } else {
      out.add_bad(name, "cannot open: " + errno_text(err));
    }
  }
  return fd;
}

}  // namespace

void read_certificate_at(int dir_fd, const char* name, bool created_only, change_set& out,
                         secret_string& buffer) {
  if (unique_fd fd = open_certificate(dir_fd, name, out)) {
    read_checked(fd.get(), name, created_only, false, out, buffer);
  }
}

void read_listed_certificate(int dir_fd, const char* name, change_set& out, secret_string& buffer) {
  const unique_fd fd = open_certificate(dir_fd, name, out);
  if (!fd) return;
  std::size_t have = 0;
  // Anything but a plain small read (an error, a file at the size limit) is read again after
  // asking what the file is, so that it is reported as read_certificate_at reports it.
  if (read_all(fd.get(), 0, buffer, have) != 0 || have >= max_certificate_file_size) {
    read_checked(fd.get(), name, false, true, out, buffer);
    return;
  }
  parse_into({buffer.data(), have}, name, false, out);
}

bool scan_folder(int dir_fd, change_set& out, const std::function<bool()>& stopped,
                 bool& has_links) {
  folder_listing listing;
  if (!list_folder(dir_fd, listing, stopped, has_links)) return false;
  return read_listed_files(dir_fd, listing, out, stopped);
}

}  // namespace zmqsec::certs::detail
