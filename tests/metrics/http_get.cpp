#include "http_get.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace zmqsec::testing {

namespace {

using clock = std::chrono::steady_clock;

class fd_guard {
 public:
  explicit fd_guard(int fd) noexcept : fd_(fd) {}
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }

 private:
  int fd_;
};

// Waits until fd is ready for events or the deadline passes.
bool wait_ready(int fd, short events, clock::time_point deadline) {
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    if (left.count() <= 0) return false;
    pollfd item{fd, events, 0};
    const int n = ::poll(&item, 1, static_cast<int>(left.count()));
    if (n > 0) return true;
    if (n < 0 && errno != EINTR) return false;
  }
}

bool connect_to(int fd, const std::string& host, std::uint16_t port, clock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) return false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
  if (errno != EINPROGRESS || !wait_ready(fd, POLLOUT, deadline)) return false;
  int error = 0;
  socklen_t len = sizeof error;
  return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
}

std::optional<http_response> parse_response(const std::string& raw) {
  // "HTTP/1.x CODE REASON\r\n...headers...\r\n\r\nbody"
  const std::size_t space = raw.find(' ');
  const std::size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/", 0) != 0 || space == std::string::npos || end == std::string::npos) {
    return std::nullopt;
  }
  http_response response;
  response.status = std::atoi(raw.c_str() + space + 1);
  response.body = raw.substr(end + 4);
  return response;
}

}  // namespace

std::optional<http_response> http_get(const std::string& host, std::uint16_t port,
                                      std::string_view target, std::chrono::milliseconds timeout) {
  const auto deadline = clock::now() + timeout;
  fd_guard fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0 || !connect_to(fd.get(), host, port, deadline)) return std::nullopt;
  const std::string request = "GET " + std::string(target) + " HTTP/1.0\r\nHost: " + host + ":" +
                              std::to_string(port) + "\r\nConnection: close\r\n\r\n";
  std::size_t sent = 0;
  while (sent < request.size()) {
    if (!wait_ready(fd.get(), POLLOUT, deadline)) return std::nullopt;
    const ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return std::nullopt;
    if (n > 0) sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buffer[16384];
  for (;;) {
    if (!wait_ready(fd.get(), POLLIN, deadline)) return std::nullopt;
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0 && errno != EAGAIN && errno != EINTR) return std::nullopt;
    if (n > 0) raw.append(buffer, static_cast<std::size_t>(n));
  }
  return parse_response(raw);
}

std::string url_encode(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", u);
      out += hex;
    }
  }
  return out;
}

}  // namespace zmqsec::testing
