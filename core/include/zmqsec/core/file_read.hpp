// Reading the files zmqsec is given (keys, certificates, password, policy and known_hosts
// files) the one careful way: opened without blocking (a FIFO or a device never hangs the
// open), refused unless a regular file (saying what it is instead), read up to a bound that fits
// the kind of file (a clear error past it, so /dev/zero or a runaway file cannot exhaust memory),
// and into a buffer type the caller chooses (secret_string for secrets, wiped when released).
//
//   std::string text = zmqsec::core::read_regular_file<std::string>(path, 1 << 20);
//   // throws zmqsec::core::file_read_error: "keys/x: not a regular file (a FIFO)"
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include <zmqsec/detail/unique_fd.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::core {

/// Why a file could not be read. what() is "path: reason"; reason() is the reason alone, for
/// callers whose own errors name the file separately. is_io_error() tells a failed system call
/// (the errno is the code) from a file that is not what it must be (errc::invalid_argument).
class file_read_error : public zmqsec::error {
 public:
  file_read_error(std::error_code code, const std::filesystem::path& path, std::string reason)
      : zmqsec::error(code, path.string() + ": " + reason), reason_(std::move(reason)) {}
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string reason_;
};

/// An open regular file and its size when opened.
struct regular_file {
  zmqsec::detail::unique_fd fd;
  std::size_t size = 0;
};

/// Opens path for reading (O_NONBLOCK, O_NOCTTY, O_CLOEXEC) and checks that it is a regular file
/// of at most max_size bytes. Throws file_read_error.
regular_file open_regular_file(const std::filesystem::path& path, std::size_t max_size);

/// Reads from fd into data[0, capacity) until EOF or capacity; returns the bytes read. Throws
/// file_read_error (naming path) on a failed read.
std::size_t read_up_to(const regular_file& file, char* data, std::size_t capacity,
                       const std::filesystem::path& path);

/// Throws the file_read_error for a file larger than max_size.
[[noreturn]] void throw_file_too_large(const std::filesystem::path& path, std::size_t max_size);

/// The whole content of a regular file of at most max_size bytes, in a String (std::string,
/// secret_string: anything with resize() and data()). A file that grows past max_size while it
/// is read is refused too.
template <class String>
String read_regular_file(const std::filesystem::path& path, std::size_t max_size) {
  const regular_file file = open_regular_file(path, max_size);
  String content;
  // One byte more than allowed, so that growth past the bound is seen, not silently cut.
  content.resize(file.size < max_size ? file.size + 1 : max_size + 1);
  std::size_t have = 0;
  for (;;) {
    have += read_up_to(file, content.data() + have, content.size() - have, path);
    if (have < content.size()) break;  // EOF before the buffer filled
    if (content.size() > max_size) throw_file_too_large(path, max_size);
    content.resize(std::min(max_size + 1, content.size() * 2));
  }
  content.resize(have);
  return content;
}

}  // namespace zmqsec::core
