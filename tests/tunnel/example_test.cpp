// The tunnelled_client example against the test sshd: its requests reach a REP server on
// 127.0.0.1 through the SSH forward; a gateway whose key is not known is refused with the key's
// fingerprint.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <zmq.hpp>

#include "bind_loopback.hpp"
#include "process.hpp"
#include "sshd_fixture.hpp"
#include "temp_dir.hpp"

namespace {

using namespace std::chrono_literals;

// A REP server on an ephemeral loopback port that answers "echo: TEXT" until stopped.
class echo_server {
 public:
  echo_server() : socket_(context_, zmq::socket_type::rep) {
    socket_.set(zmq::sockopt::linger, 0);
    address_ = zmqsec::testing::bind_loopback(socket_);
    thread_ = std::thread([this] { serve(); });
  }
  ~echo_server() {
    stop_ = true;
    thread_.join();
  }
  const std::string& address() const { return address_; }

 private:
  void serve() {
    while (!stop_) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, 50ms) == 0) continue;  // the tick that checks stop_
      zmq::message_t request;
      if (!socket_.recv(request, zmq::recv_flags::dontwait)) continue;
      socket_.send(zmq::buffer("echo: " + request.to_string()), zmq::send_flags::none);
    }
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string address_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST(tunnelled_client_example, requests_reach_the_server_through_the_gateway) {
  zmqsec::testing::sshd_server sshd;
  echo_server server;
  const auto key = sshd.user_key("ed25519");
  const auto r = zmqsec::testing::run_process(
      {TUNNELLED_CLIENT_PATH, server.address(), sshd.server(), "--key", key.string(),
       "--known-hosts", sshd.known_hosts().string(), "--requests", "3"},
      60s);
  EXPECT_EQ(r.exit_code, 0) << r.describe() << sshd.log();
  EXPECT_NE(r.out.find("tunnel: tcp://127.0.0.1:"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("reply: echo: request 3"), std::string::npos) << r.describe();
}

TEST(tunnelled_client_example, an_unknown_gateway_key_is_refused_with_its_fingerprint) {
  zmqsec::testing::sshd_server sshd;
  echo_server server;
  zmqsec::testing::temp_dir dir;
  const auto empty_known_hosts = dir.write("known_hosts", "");
  const auto r = zmqsec::testing::run_process(
      {TUNNELLED_CLIENT_PATH, server.address(), sshd.server(), "--key",
       sshd.user_key("ed25519").string(), "--known-hosts", empty_known_hosts.string()},
      60s);
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("SHA256:"), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find("reply:"), std::string::npos) << r.describe();
}

TEST(tunnelled_client_example, bad_arguments_exit_2_with_the_usage) {
  const auto r = zmqsec::testing::run_process({TUNNELLED_CLIENT_PATH, "tcp://127.0.0.1:1"}, 30s);
  EXPECT_EQ(r.exit_code, 2) << r.describe();
  EXPECT_NE(r.err.find("usage: tunnelled_client"), std::string::npos) << r.describe();
}

}  // namespace
