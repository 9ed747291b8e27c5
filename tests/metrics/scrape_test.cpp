// What a real Prometheus server scrapes from zmqsec::metrics::exposer after known traffic: an
// authenticator that accepted n and refused m PLAIN clients and answered one malformed request,
// the monitor of the server socket, a log sink that dropped records and a subscriber. Each
// series is read back through Prometheus's HTTP API (/api/v1/query).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/auth/zap.hpp>
#include <zmqsec/logging.hpp>
#include <zmqsec/metrics.hpp>
#include <zmqsec/monitor/monitor.hpp>

#include "bind_loopback.hpp"
#include "prometheus_server.hpp"
#include "wait_until.hpp"

namespace {

using namespace std::chrono_literals;
namespace za = zmqsec::auth;
namespace zl = zmqsec::logging;
using zmqsec::testing::prometheus_server;
using zmqsec::testing::wait_until;

constexpr auto scrape_deadline = 30s;

// A PLAIN client of endpoint; one that is refused does not try again during the test.
zmq::socket_t plain_client(zmq::context_t& ctx, const std::string& endpoint,
                           const std::string& password) {
  zmq::socket_t client(ctx, zmq::socket_type::req);
  client.set(zmq::sockopt::plain_username, "admin");
  client.set(zmq::sockopt::plain_password, password);
  client.set(zmq::sockopt::reconnect_ivl, 600000);
  client.set(zmq::sockopt::linger, 0);
  client.connect(endpoint);
  return client;
}

// Sends a request that stops after the domain (RFC 27 wants six frames and more) to the ZAP
// handler of ctx; returns the status code of its reply.
std::string send_malformed_zap_request(zmq::context_t& ctx) {
  zmq::socket_t zap(ctx, zmq::socket_type::dealer);
  zap.set(zmq::sockopt::linger, 0);
  zap.set(zmq::sockopt::rcvtimeo, 10000);
  zap.connect(std::string(za::zap_endpoint));
  for (const char* frame : {"", "1.0", "malformed-1"})
    zap.send(zmq::buffer(std::string_view(frame)), zmq::send_flags::sndmore);
  zap.send(zmq::buffer(std::string_view("app")));
  std::vector<zmq::message_t> reply;
  if (!zmq::recv_multipart(zap, std::back_inserter(reply)) || reply.size() < 4) return "none";
  return reply[3].to_string();  // "", "1.0", request id, status code, ...
}

class scrape_test : public ::testing::Test {
 protected:
  // The value of expr once Prometheus has scraped it, or what it showed at the deadline.
  void expect_series(const std::string& expr, double expected) {
    const auto value = prometheus->wait_for_value(expr, expected, scrape_deadline);
    std::string error;
    if (value != expected) prometheus->query(expr, &error);
    EXPECT_EQ(value, expected) << expr << (error.empty() ? "" : ": " + error) << "\nexposed now:\n"
                               << metrics.scrape();
  }

  zmq::context_t ctx;
  zmqsec::metrics::exposer metrics;  // 127.0.0.1, a free port
  std::unique_ptr<prometheus_server> prometheus =
      std::make_unique<prometheus_server>("127.0.0.1:" + std::to_string(metrics.port()));
};

TEST_F(scrape_test, authenticator_and_monitor_series_count_the_traffic) {
  constexpr int accepted = 3;
  constexpr int refused = 2;
  za::thread_authenticator auth(ctx);
  auth.configure_plain("*", {{"admin", "secret"}});
  auth.start();
  zmq::socket_t server(ctx, zmq::socket_type::rep);
  server.set(zmq::sockopt::plain_server, 1);
  server.set(zmq::sockopt::zap_domain, "app");
  server.set(zmq::sockopt::linger, 0);
  zmqsec::monitor::monitor watch(ctx, server, nullptr);
  const std::string endpoint = zmqsec::testing::bind_loopback(server);
  auto exported_auth = metrics.add(auth);
  auto exported_monitor = metrics.add(watch, "server");

  std::vector<zmq::socket_t> clients;
  for (int i = 0; i < accepted; ++i) {
    clients.push_back(plain_client(ctx, endpoint, "secret"));
    clients.back().send(zmq::str_buffer("ping"));
    zmq::message_t message;
    ASSERT_TRUE(server.recv(message));
    server.send(zmq::str_buffer("pong"));
    ASSERT_TRUE(clients.back().recv(message));
  }
  for (int i = 0; i < refused; ++i) {
    clients.push_back(plain_client(ctx, endpoint, "wrong"));
    ASSERT_TRUE(wait_until([&] { return auth.stats().refused == std::uint64_t(i) + 1; }, 10s));
  }
  ASSERT_EQ(send_malformed_zap_request(ctx), "400");

  ASSERT_TRUE(prometheus->wait_for_target_up(scrape_deadline)) << prometheus->log();
  expect_series(R"(zmqsec_auth_decisions_total{domain="app",mechanism="PLAIN",status="200"})",
                accepted);
  expect_series(R"(zmqsec_auth_decisions_total{domain="app",mechanism="PLAIN",status="400"})",
                refused);
  expect_series(R"(sum(zmqsec_auth_decisions_total{status="400"}))", refused + 1);
  expect_series(R"(zmqsec_auth_malformed_requests_total{authenticator="zap"})", 1);
  expect_series("zmqsec_auth_requests_total", accepted + refused + 1);
  expect_series("zmqsec_auth_decision_duration_seconds_count", accepted + refused + 1);
  expect_series(R"(zmqsec_auth_decision_duration_seconds_bucket{le="+Inf"})",
                accepted + refused + 1);
  expect_series("zmqsec_auth_handler_up", 1);
  expect_series("zmqsec_auth_policy_generation", static_cast<double>(auth.generation()));
  expect_series("zmqsec_auth_password_reload_failures_total", 0);
  expect_series(R"(zmqsec_monitor_events_total{event="HANDSHAKE_SUCCEEDED",socket="server"})",
                accepted);
  expect_series(R"(zmqsec_monitor_events_total{event="ACCEPTED",socket="server"})",
                accepted + refused);
  expect_series(R"(zmqsec_monitor_handshake_failures_total{reason="ZAP_400",socket="server"})",
                refused);
  expect_series(R"(zmqsec_monitor_connected_peers{socket="server"})", accepted);

  auth.stop();
  expect_series("zmqsec_auth_handler_up", 0);
}

TEST_F(scrape_test, log_sink_and_subscriber_series_count_records_drops_and_subscribers) {
  // A sink read by a subscriber: every record arrives.
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{.bind = {"tcp://127.0.0.1:*"}});
  spdlog::logger log("metrics-test", sink);
  zl::subscriber reader(zl::subscriber_config{.connect = {sink->last_endpoint()}});
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  auto exported_sink = metrics.add(*sink, "app");
  auto exported_reader = metrics.add(reader, "collector");
  constexpr int records = 5;
  for (int i = 0; i < records; ++i) log.info("record {}", i);
  for (int i = 0; i < records; ++i) ASSERT_TRUE(reader.receive(10s)) << "record " << i;

  // A sink whose only subscriber never reads: it drops.
  auto stalled_sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.bind = {"tcp://127.0.0.1:*"}, .send_hwm = 10});
  spdlog::logger stalled_log("metrics-test-stalled", stalled_sink);
  zmq::socket_t stalled(ctx, zmq::socket_type::sub);
  stalled.set(zmq::sockopt::rcvhwm, 10);
  stalled.set(zmq::sockopt::subscribe, "");
  stalled.connect(stalled_sink->last_endpoint());
  ASSERT_TRUE(stalled_sink->wait_for_subscriptions(1, 10s));
  auto exported_stalled = metrics.add(*stalled_sink, "stalled");
  const std::string kilobyte(1024, 'x');
  std::uint64_t logged = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        stalled_log.info(kilobyte);
        ++logged;
        return stalled_sink->dropped() > 0;
      },
      20s));
  const std::uint64_t dropped = stalled_sink->dropped();
  // Each record is either queued (and counted with its bytes) or dropped.
  EXPECT_EQ(stalled_sink->records() + dropped, logged);

  ASSERT_TRUE(prometheus->wait_for_target_up(scrape_deadline)) << prometheus->log();
  expect_series(R"(zmqsec_log_sink_records_total{sink="app"})", records);
  expect_series(R"(zmqsec_log_sink_dropped_records_total{sink="app"})", 0);
  expect_series(R"(zmqsec_log_sink_bytes_total{sink="app"})", static_cast<double>(sink->bytes()));
  EXPECT_GT(sink->bytes(), records * std::string("record 0").size());
  expect_series(R"(zmqsec_log_sink_subscribers{sink="app"})", 1);
  expect_series(R"(zmqsec_log_subscriber_records_total{subscriber="collector"})", records);
  expect_series(R"(zmqsec_log_sink_dropped_records_total{sink="stalled"})",
                static_cast<double>(dropped));
  expect_series(R"(zmqsec_log_sink_records_total{sink="stalled"})",
                static_cast<double>(logged - dropped));
}

}  // namespace
