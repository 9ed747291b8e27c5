// zmqsec_bench_logging's peers: spdlog's own sinks with the same pattern and records. null_sink
// and basic_file_sink as context; tcp_sink and udp_sink (spdlog 1.10) as the network sinks a
// user would pick instead of pub_sink, each into a reader on 127.0.0.1 that counts what arrives.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/tcp_sink.h>
#include <spdlog/sinks/udp_sink.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "logging_bench.hpp"

namespace zmqsec::bench::logs {
namespace {

// A socket bound to 127.0.0.1 on a port the kernel picks; closed with the object.
class loopback_socket {
 public:
  explicit loopback_socket(int type) : fd_(::socket(AF_INET, type | SOCK_CLOEXEC, 0)) {
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ::close(fd_);
      throw std::runtime_error(std::string("bind: ") + std::strerror(errno));
    }
    port_ = ntohs(address.sin_port);
  }
  loopback_socket(const loopback_socket&) = delete;
  loopback_socket& operator=(const loopback_socket&) = delete;
  ~loopback_socket() { ::close(fd_); }
  int fd() const { return fd_; }
  std::uint16_t port() const { return port_; }

 private:
  int fd_;
  std::uint16_t port_ = 0;
};

// Waits up to two seconds for fd to be readable; false if nothing came.
bool readable(int fd) {
  pollfd item{fd, POLLIN, 0};
  for (;;) {
    const int n = ::poll(&item, 1, 2000);
    if (n >= 0) return n > 0;
    if (errno != EINTR) return false;
  }
}

// What a reader counted and when the last of it came.
struct counted {
  std::uint64_t count = 0;
  clock_type::time_point last{};
};

// Accepts one connection and counts lines until n of them or the end of the stream.
counted count_lines(int listener, std::uint64_t n) {
  counted c;
  if (!readable(listener)) return c;
  const int connection = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (connection < 0) return c;
  char buffer[65536];
  while (c.count < n && readable(connection)) {
    const ssize_t got = ::read(connection, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    c.count += static_cast<std::uint64_t>(std::count(buffer, buffer + got, '\n'));
    c.last = clock_type::now();
  }
  ::close(connection);
  return c;
}

// Counts datagrams until n of them or nothing comes for two seconds.
counted count_datagrams(int fd, std::uint64_t n) {
  counted c;
  char buffer[65536];
  while (c.count < n) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got >= 0) {
      ++c.count;
      c.last = clock_type::now();
      continue;
    }
    if (errno != EAGAIN && errno != EINTR) break;
    if (!readable(fd)) break;
  }
  return c;
}

}  // namespace

double null_sink_rate(std::uint64_t n) {
  spdlog::logger log("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  log.set_pattern(pattern);
  const auto start = clock_type::now();
  log_records(log, n);
  return static_cast<double>(n) / seconds_since(start, clock_type::now());
}

double file_sink_rate(std::uint64_t n, const fs::path& file) {
  double rate;
  {
    spdlog::logger log("bench", std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, true));
    log.set_pattern(pattern);
    const auto start = clock_type::now();
    log_records(log, n);
    log.flush();
    rate = static_cast<double>(n) / seconds_since(start, clock_type::now());
  }
  fs::remove(file);
  return rate;
}

double tcp_sink_rate(std::uint64_t n) {
  loopback_socket listener(SOCK_STREAM);
  if (::listen(listener.fd(), 1) != 0) throw std::runtime_error("listen failed");
  counted c;
  std::thread reader([&] { c = count_lines(listener.fd(), n); });
  clock_type::time_point start;
  {
    spdlog::logger log("bench", std::make_shared<spdlog::sinks::tcp_sink_mt>(
                                    spdlog::sinks::tcp_sink_config("127.0.0.1", listener.port())));
    log.set_pattern(pattern);
    start = clock_type::now();
    log_records(log, n);
  }  // closed: the reader sees the end of the stream after the last line
  reader.join();
  if (c.count != n) throw std::runtime_error("tcp_sink: " + std::to_string(c.count) + " lines");
  return static_cast<double>(c.count) / seconds_since(start, c.last);
}

stream_figures udp_sink_rate(std::uint64_t n) {
  loopback_socket socket(SOCK_DGRAM);
  const int buffer = 8 << 20;  // as much as the kernel allows (net.core.rmem_max)
  ::setsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  counted c;
  std::thread reader([&] { c = count_datagrams(socket.fd(), n); });
  spdlog::logger log("bench", std::make_shared<spdlog::sinks::udp_sink_mt>(
                                  spdlog::sinks::udp_sink_config("127.0.0.1", socket.port())));
  log.set_pattern(pattern);
  const auto start = clock_type::now();
  log_records(log, n);
  reader.join();
  stream_figures f;
  f.rate = static_cast<double>(c.count) / seconds_since(start, c.last);
  f.lost = n - c.count;
  return f;
}

}  // namespace zmqsec::bench::logs
