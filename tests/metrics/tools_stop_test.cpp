// A tool serving --metrics stops within a second of SIGTERM (issue 20), also with a scraper
// connected: CivetWeb alone takes up to two seconds to notice its stop flag (it polls in quanta
// of two seconds), so the exposer shuts its sockets down first (metrics/src/server_sockets.hpp).
// The real zmq-logtail, zmq-monitor and zmq-tunnel (through the tunnel tests' sshd).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "bind_loopback.hpp"
#include "http_get.hpp"
#include "process.hpp"
#include "prometheus_server.hpp"
#include "sshd_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using zmqsec::testing::child_process;

// A TCP connection to 127.0.0.1:port that says nothing (a scraper between requests, or a slow
// one): CivetWeb's worker waits on it.
class idle_client {
 public:
  explicit idle_client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  idle_client(const idle_client&) = delete;
  idle_client& operator=(const idle_client&) = delete;
  ~idle_client() { ::close(fd_); }
  bool connected() const noexcept { return connected_; }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

// Starts argv with --metrics on a free port, waits until it serves (one scrape answered), then
// times SIGTERM to exit, with or without an idle connection to the metrics port.
void expect_prompt_stop(std::vector<std::string> argv, bool with_idle_client,
                        const std::string& input = "") {
  const std::uint16_t port = zmqsec::testing::free_loopback_port();
  argv.insert(argv.end(), {"--metrics", std::to_string(port)});
  child_process tool(argv, zmqsec::testing::with_input(input));
  const std::string url = "metrics at http://127.0.0.1:" + std::to_string(port) + "/metrics";
  ASSERT_TRUE(tool.wait_for_error_output(url, 20s)) << tool.wait(1s);
  const auto scraped = zmqsec::testing::http_get("127.0.0.1", port, "/metrics");
  ASSERT_TRUE(scraped && scraped->status == 200);
  std::optional<idle_client> idle;
  if (with_idle_client) {
    idle.emplace(port);
    ASSERT_TRUE(idle->connected());
  }
  const auto signalled = std::chrono::steady_clock::now();
  tool.send_signal(SIGTERM);
  const auto r = tool.wait(10s);
  const auto took = std::chrono::steady_clock::now() - signalled;
  EXPECT_EQ(r.exit_code, 0) << r;
  EXPECT_LT(took, 1s) << r;
}

TEST(tools_stop_test, zmq_logtail_with_metrics_stops_within_a_second) {
  for (const bool idle : {false, true}) {
    SCOPED_TRACE(idle ? "with an idle client" : "alone");
    expect_prompt_stop({ZMQ_LOGTAIL_PATH, "tcp://127.0.0.1:1"}, idle);
  }
}

TEST(tools_stop_test, zmq_monitor_with_metrics_stops_within_a_second) {
  for (const bool idle : {false, true}) {
    SCOPED_TRACE(idle ? "with an idle client" : "alone");
    expect_prompt_stop({ZMQ_MONITOR_PATH, "--bind", "tcp://127.0.0.1:*", "--type", "router"}, idle);
  }
}

TEST(tools_stop_test, zmq_tunnel_with_metrics_stops_within_a_second) {
  zmqsec::testing::sshd_server sshd;
  zmq::context_t ctx;
  zmq::socket_t rep(ctx, zmq::socket_type::rep);
  const auto addr = zmqsec::testing::bind_loopback(rep);
  for (const std::string backend : {"libssh2", "openssh"}) {
    for (const bool idle : {false, true}) {
      SCOPED_TRACE(backend + (idle ? ", with an idle client" : ", alone"));
      expect_prompt_stop(
          {ZMQ_TUNNEL_PATH, addr, sshd.server(), "-i", sshd.user_key("ed25519").string(),
           "--known-hosts", sshd.known_hosts().string(), "--backend", backend},
          idle);
    }
  }
}

}  // namespace
