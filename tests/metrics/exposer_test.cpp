// The exposer without a Prometheus server: its address, what a registration's end removes, and
// the exposition text as promtool checks it (the format and Prometheus's naming conventions).
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <iterator>
#include <string>
#include <vector>

#include <zmq.hpp>
#include <zmq_addon.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/logging.hpp>
#include <zmqsec/metrics.hpp>
#include <zmqsec/monitor/monitor.hpp>

#include "bind_loopback.hpp"
#include "http_get.hpp"
#include "process.hpp"

namespace {

namespace za = zmqsec::auth;
namespace zl = zmqsec::logging;
using zmqsec::metrics::exposer;
using zmqsec::testing::http_get;
using zmqsec::testing::run_process;
using zmqsec::testing::with_input;

constexpr const char* promtool = "/usr/bin/promtool";

TEST(exposer_test, listens_on_loopback_by_default_and_serves_metrics_over_http) {
  exposer metrics;
  EXPECT_NE(metrics.port(), 0);
  EXPECT_EQ(metrics.url(), "http://127.0.0.1:" + std::to_string(metrics.port()) + "/metrics");
  zmq::context_t ctx;
  za::thread_authenticator auth(ctx);
  auto exported = metrics.add(auth);
  const auto response = http_get("127.0.0.1", metrics.port(), "/metrics");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("zmqsec_auth_handler_up{authenticator=\"zap\"} 0"),
            std::string::npos)
      << response->body;
}

TEST(exposer_test, an_address_it_cannot_use_is_a_clear_error) {
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", ":9000", "127.0.0.1:65536", "127.0.0.1:x",
                          "::1:9000", "[::1:9000"}) {
    try {
      exposer metrics(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const zmqsec::error& e) {
      EXPECT_NE(std::string(e.what()).find("HOST:PORT"), std::string::npos) << e.what();
    }
  }
  exposer first;
  try {
    exposer second("127.0.0.1:" + std::to_string(first.port()));
    ADD_FAILURE() << "a port in use was accepted";
  } catch (const zmqsec::error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot listen"), std::string::npos) << e.what();
  }
}

TEST(exposer_test, a_registration_that_ends_takes_its_series_away) {
  exposer metrics;
  zmq::context_t ctx;
  za::thread_authenticator auth(ctx);
  auto kept = metrics.add(auth, {.name = "kept"});
  auto exported = metrics.add(auth, {.name = "gone"});
  EXPECT_NE(metrics.scrape().find(R"(zmqsec_auth_handler_up{authenticator="gone"} 0)"),
            std::string::npos)
      << metrics.scrape();
  exported.reset();
  EXPECT_FALSE(exported);
  EXPECT_TRUE(kept);
  const std::string text = metrics.scrape();
  EXPECT_EQ(text.find("authenticator=\"gone\""), std::string::npos) << text;
  EXPECT_NE(text.find("authenticator=\"kept\""), std::string::npos) << text;
}

// Two components of a kind give one family (one TYPE line) with the samples of both, which is
// what the text format requires and what promtool checks.
TEST(exposer_test, the_exposition_passes_promtool_check_metrics) {
  exposer metrics;
  zmq::context_t ctx;
  za::thread_authenticator auth(ctx);
  auth.configure_plain("*", {{"admin", "secret"}});
  auth.start();
  zmq::socket_t server(ctx, zmq::socket_type::rep);
  server.set(zmq::sockopt::plain_server, 1);
  server.set(zmq::sockopt::zap_domain, "app");
  server.set(zmq::sockopt::linger, 0);
  zmqsec::monitor::monitor first(ctx, server, nullptr);
  zmq::socket_t other(ctx, zmq::socket_type::pub);
  zmqsec::monitor::monitor second(ctx, other, nullptr);
  const std::string endpoint = zmqsec::testing::bind_loopback(server);
  zmqsec::testing::bind_loopback(other);
  zmq::socket_t client(ctx, zmq::socket_type::req);
  client.set(zmq::sockopt::plain_username, "admin");
  client.set(zmq::sockopt::plain_password, "secret");
  client.set(zmq::sockopt::linger, 0);
  client.connect(endpoint);
  client.send(zmq::str_buffer("ping"));
  zmq::message_t message;
  ASSERT_TRUE(server.recv(message));

  auto sink = std::make_shared<zl::pub_sink_mt>("tcp://127.0.0.1:*");
  spdlog::logger log("exposition", sink);
  log.info("one record");
  std::vector<zmqsec::metrics::registration> exported;
  exported.push_back(metrics.add(auth));
  exported.push_back(metrics.add(first, "server"));
  exported.push_back(metrics.add(second, "publisher"));
  exported.push_back(metrics.add(*sink, "app"));

  const auto response = http_get("127.0.0.1", metrics.port(), "/metrics");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("zmqsec_auth_decisions_total{"), std::string::npos)
      << response->body;
  EXPECT_NE(response->body.find("socket=\"publisher\""), std::string::npos) << response->body;
  const auto checked = run_process({promtool, "check", "metrics"}, with_input(response->body));
  EXPECT_EQ(checked.exit_code, 0) << checked << "\n" << response->body;
  EXPECT_EQ(checked.out + checked.err, "") << response->body;
}

// The domain label stays bounded: the first 8 domains get their own, the rest share "other".
TEST(exposer_test, domains_past_the_eighth_are_counted_as_other) {
  exposer metrics;
  zmq::context_t ctx;
  za::thread_authenticator auth(ctx);
  auth.start();
  auto exported = metrics.add(auth);
  constexpr int domains = 10;
  for (int i = 0; i < domains; ++i) {
    zmq::socket_t server(ctx, zmq::socket_type::rep);
    server.set(zmq::sockopt::zap_domain, "domain-" + std::to_string(i));  // NULL asks ZAP then
    server.set(zmq::sockopt::linger, 0);
    zmq::socket_t client(ctx, zmq::socket_type::req);
    client.set(zmq::sockopt::linger, 0);
    client.connect(zmqsec::testing::bind_loopback(server));
    client.send(zmq::str_buffer("ping"));
    zmq::message_t message;
    ASSERT_TRUE(server.recv(message)) << "domain " << i;
  }
  const std::string text = metrics.scrape();
  for (int i = 0; i < 8; ++i) {
    const std::string series =
        "domain=\"domain-" + std::to_string(i) + "\",mechanism=\"NULL\",status=\"200\"} 1";
    EXPECT_NE(text.find(series), std::string::npos) << series << "\n" << text;
  }
  EXPECT_EQ(text.find("domain-8"), std::string::npos) << text;
  EXPECT_NE(text.find(R"(domain="other",mechanism="NULL",status="200"} 2)"), std::string::npos)
      << text;
}

// Requests refused for throttling: asked straight at the ZAP handler (the address frame names a
// peer that failed once, with max_failures = 1).
TEST(exposer_test, refusals_for_throttling_are_counted) {
  exposer metrics;
  zmq::context_t ctx;
  za::thread_authenticator auth(ctx);
  za::throttle_config throttle;
  throttle.max_failures = 1;
  auth.configure_plain("*", {{"admin", "secret"}}).configure_throttle(throttle);
  auth.start();
  auto exported = metrics.add(auth);
  zmq::socket_t zap(ctx, zmq::socket_type::dealer);
  zap.set(zmq::sockopt::linger, 0);
  zap.set(zmq::sockopt::rcvtimeo, 10'000);
  zap.connect(std::string(za::zap_endpoint));
  std::vector<std::string> statuses;
  for (const char* password : {"wrong", "secret", "secret"}) {
    for (const char* frame : {"", "1.0", "1", "", "192.0.2.1", "routing-id", "PLAIN", "admin"}) {
      zap.send(zmq::buffer(std::string_view(frame)), zmq::send_flags::sndmore);
    }
    zap.send(zmq::buffer(std::string_view(password)), zmq::send_flags::none);
    std::vector<zmq::message_t> reply;
    ASSERT_TRUE(zmq::recv_multipart(zap, std::back_inserter(reply)));
    ASSERT_GE(reply.size(), 5U);
    statuses.push_back(reply[3].to_string() + " " + reply[4].to_string());
  }
  EXPECT_EQ(statuses,
            (std::vector<std::string>{"400 wrong password", "400 throttled", "400 throttled"}));
  const std::string text = metrics.scrape();
  EXPECT_NE(text.find(R"(zmqsec_auth_throttled_total{authenticator="zap"} 2)"), std::string::npos)
      << text;
  // No session_guard, nothing revoked: the series is there, at zero.
  EXPECT_NE(text.find(R"(zmqsec_auth_revocations_total{authenticator="zap"} 0)"), std::string::npos)
      << text;
}

TEST(exposer_test, the_example_alerting_rules_pass_promtool_check_rules) {
  const auto checked = run_process({promtool, "check", "rules", ZMQSEC_ALERT_RULES});
  EXPECT_EQ(checked.exit_code, 0) << checked;
  EXPECT_NE(checked.out.find("SUCCESS"), std::string::npos) << checked;
}

}  // namespace
