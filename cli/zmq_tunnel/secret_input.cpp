#include "secret_input.hpp"

#include <unistd.h>

#include <cerrno>
#include <string>

#include <zmqsec/error.hpp>

namespace zmqsec::tunnel_tool {
namespace {

// Longer than any password or passphrase a person types; more is not a password line.
constexpr std::size_t max_secret_line = 4096;

[[noreturn]] void bad(std::string_view what, const std::string& problem) {
  throw zmqsec::error(zmqsec::errc::invalid_argument,
                      std::string(what) + " on standard input: " + problem);
}

}  // namespace

certs::secret_string read_secret_line(int fd, std::string_view what) {
  if (::isatty(fd) == 1) {
    bad(what, "it is a terminal; give the " + std::string(what) + " through a pipe or a file (--" +
                  std::string(what) + "-stdin < FILE), it is never prompted for");
  }
  certs::secret_string line;
  line.reserve(max_secret_line + 1);  // never reallocates: no unwiped copies left behind
  bool newline = false;
  // One byte at a time: nothing after the line is consumed.
  while (line.size() <= max_secret_line) {
    char c = 0;
    const ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw zmqsec::error::from_errno(errno, "<stdin>");
    if (n == 0) break;
    if (c == '\n') {
      newline = true;
      break;
    }
    line.push_back(c);
  }
  if (!newline && line.size() > max_secret_line) bad(what, "the line is too long");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) bad(what, newline ? "the line is empty" : "nothing to read");
  return line;
}

}  // namespace zmqsec::tunnel_tool
