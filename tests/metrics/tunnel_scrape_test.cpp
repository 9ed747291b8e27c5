// A tunnel's series after a transfer of known size: plain TCP bytes (no ZeroMQ framing, so the
// sizes are exact) through a libssh2 tunnel to a destination on loopback, via the tunnel tests'
// sshd, read back from a real Prometheus server.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>

#include <zmqsec/metrics.hpp>
#include <zmqsec/tunnel/open.hpp>
#include <zmqsec/tunnel/tunnel.hpp>

#include "http_get.hpp"
#include "prometheus_server.hpp"
#include "sshd_fixture.hpp"

namespace {

using namespace std::chrono_literals;
namespace zt = zmqsec::tunnel;
using zmqsec::testing::prometheus_server;
using zmqsec::testing::sshd_server;

// Sends or receives exactly size bytes on fd (blocking, with a receive timeout set).
bool transfer(int fd, std::string& data, std::size_t size, bool send) {
  std::size_t done = 0;
  if (!send) data.assign(size, '\0');
  while (done < size) {
    const ssize_t n = send ? ::send(fd, data.data() + done, size - done, MSG_NOSIGNAL)
                           : ::recv(fd, data.data() + done, size - done, 0);
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

int tcp_socket() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const timeval timeout{20, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

TEST(tunnel_scrape_test, tunnel_series_count_the_bytes_of_a_known_transfer) {
  constexpr std::size_t request_size = 300000;
  constexpr std::size_t reply_size = 70000;
  sshd_server sshd;
  // The destination: takes request_size bytes, answers reply_size bytes, closes.
  const int listener = tcp_socket();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  ASSERT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  auto destination = std::async(std::launch::async, [listener] {
    const int fd = ::accept(listener, nullptr, nullptr);
    std::string request;
    std::string reply(reply_size, 'r');
    const bool ok = fd >= 0 && transfer(fd, request, request_size, false) &&
                    request == std::string(request_size, 'q') &&
                    transfer(fd, reply, reply_size, true);
    if (fd >= 0) ::close(fd);
    return ok;
  });

  zt::options options = sshd.key_options(sshd.user_key("ed25519"), zt::backend::libssh2);
  auto [url, t] = zt::open_tunnel("tcp://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)),
                                  sshd.server(), options);
  zmqsec::metrics::exposer metrics;
  auto exported = metrics.add(t, "gateway");
  prometheus_server prometheus("127.0.0.1:" + std::to_string(metrics.port()));

  const int client = tcp_socket();
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  local.sin_port = htons(t.local_port());
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&local), sizeof local), 0);
  std::string request(request_size, 'q');
  std::string reply;
  ASSERT_TRUE(transfer(client, request, request_size, true));
  ASSERT_TRUE(transfer(client, reply, reply_size, false));
  EXPECT_EQ(reply, std::string(reply_size, 'r'));
  ::close(client);
  EXPECT_TRUE(destination.get());
  ::close(listener);

  const auto expect_series = [&](const std::string& expr, double expected) {
    EXPECT_EQ(prometheus.wait_for_value(expr, expected, 30s), expected) << expr;
  };
  ASSERT_TRUE(prometheus.wait_for_target_up(30s)) << prometheus.log();
  expect_series(R"(zmqsec_tunnel_sent_bytes_total{tunnel="gateway"})", request_size);
  expect_series(R"(zmqsec_tunnel_received_bytes_total{tunnel="gateway"})", reply_size);
  expect_series(R"(zmqsec_tunnel_connections_total{tunnel="gateway"})", 1);
  expect_series(R"(zmqsec_tunnel_connections_open{tunnel="gateway"})", 0);
  expect_series(R"(zmqsec_tunnel_reconnects_total{tunnel="gateway"})", 0);
  expect_series(R"(zmqsec_tunnel_up{tunnel="gateway"})", 1);
  t.close();
  expect_series(R"(zmqsec_tunnel_up{tunnel="gateway"})", 0);
}

}  // namespace
