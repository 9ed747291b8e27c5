// What the logger and the observer learn about each decision, and what they never learn.
#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>

#include "harness.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

TEST(thread_authenticator_logging, every_decision_is_logged_without_passwords) {
  captured_logger log;
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx, log.logger};
  auth.configure_plain("*", {{"admin", "hunter2-right"}});
  auth.deny("127.0.0.9");
  auth.start();

  {
    test_server server(ctx, {.mechanism = mech::plain, .zap_domain = "billing"});
    EXPECT_ACCEPTED(try_handshake(
        ctx, server, {.mechanism = mech::plain, .username = "admin", .password = "hunter2-right"}));
  }
  {
    test_server server(ctx, {.mechanism = mech::plain, .zap_domain = "billing"});
    EXPECT_REFUSED_WITH(
        400, try_handshake(
                 ctx, server,
                 {.mechanism = mech::plain, .username = "admin", .password = "hunter2-wrong"}));
  }
  {
    test_server server(ctx, {.mechanism = mech::null, .zap_domain = "edge"});
    EXPECT_REFUSED_WITH(400, try_handshake(ctx, server, {.source = "127.0.0.9"}));
  }
  EXPECT_TRUE(log.sink->wait_for({"info", "ZAP 200", "domain=\"billing\"", "address=\"127.0.0.1\"",
                                  "mechanism=\"PLAIN\"", "user=\"admin\"", "user_id=\"admin\""}))
      << log.sink->all();
  EXPECT_TRUE(log.sink->wait_for({"warning", "ZAP 400", "domain=\"billing\"", "user=\"admin\""}))
      << log.sink->all();
  EXPECT_TRUE(log.sink->wait_for(
      {"warning", "ZAP 400", "domain=\"edge\"", "127.0.0.9", "mechanism=\"NULL\""}))
      << log.sink->all();
  EXPECT_FALSE(log.sink->any_contains("hunter2")) << log.sink->all();
  EXPECT_TRUE(log.sink->any_contains("ZAP handler bound")) << log.sink->all();
}

TEST(thread_authenticator_logging, curve_decisions_name_the_public_key_never_a_secret) {
  captured_logger log;
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx, log.logger};
  auth.configure_curve("*", za::curve_allow_any);
  auth.start();
  auto server_keys = zc::generate_keypair();
  auto client_keys = zc::generate_keypair();
  test_server server(ctx, {.mechanism = mech::curve, .curve = &server_keys});
  EXPECT_ACCEPTED(try_handshake(
      ctx, server,
      {.mechanism = mech::curve, .curve = &client_keys, .server_key = &server_keys.public_key}));
  ASSERT_TRUE(log.sink->wait_for({"ZAP 200", client_keys.public_key.z85()})) << log.sink->all();
  auto client_secret = client_keys.secret_key.z85();
  auto server_secret = server_keys.secret_key.z85();
  EXPECT_FALSE(
      log.sink->any_contains(std::string_view(client_secret.data(), client_secret.size())));
  EXPECT_FALSE(
      log.sink->any_contains(std::string_view(server_secret.data(), server_secret.size())));
}

TEST(thread_authenticator_logging, text_from_the_network_is_escaped) {
  captured_logger log;
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx, log.logger};
  auth.start();
  zap_dealer dealer(ctx);
  dealer.send(zap_request("id", "NULL", {}, "127.0.0.1", "evil\n\x1b[31mdomain\""));
  ASSERT_TRUE(dealer.receive());
  ASSERT_TRUE(log.sink->wait_for({"evil\\x0a\\x1b[31mdomain\\x22"})) << log.sink->all();
  EXPECT_FALSE(log.sink->any_contains("\x1b")) << log.sink->all();
}

TEST(thread_authenticator_logging, the_observer_sees_every_decision_and_can_be_replaced) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  std::mutex mutex;
  std::vector<std::string> seen;
  auth.on_decision([&](const za::decision& d) {
    std::lock_guard lock(mutex);
    seen.push_back(std::string(za::status_code(d.status)) + " " + std::string(d.mechanism) + " " +
                   std::string(d.address) + " " + std::string(d.reason));
  });
  auth.configure_plain("*", {{"admin", "secret"}});
  auth.start();
  zap_dealer dealer(ctx);
  dealer.send(zap_request("1", "NULL", {}, "127.0.0.1"));
  dealer.send(zap_request("2", "PLAIN", {"admin", "wrong"}, "127.0.0.2"));
  ASSERT_TRUE(dealer.receive());
  ASSERT_TRUE(dealer.receive());
  {
    std::lock_guard lock(mutex);
    ASSERT_EQ(seen.size(), 2U);
    EXPECT_EQ(seen[0].substr(0, 19), "200 NULL 127.0.0.1 ");
    EXPECT_EQ(seen[1].substr(0, 20), "400 PLAIN 127.0.0.2 ");
  }

  // A logger added later and an observer removed: the next decision goes to the logger only.
  captured_logger log;
  auth.set_logger(log.logger);
  auth.on_decision({});
  dealer.send(zap_request("3", "NULL"));
  ASSERT_TRUE(dealer.receive());
  EXPECT_TRUE(log.sink->wait_for({"ZAP 200"})) << log.sink->all();
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen.size(), 2U);
}

TEST(thread_authenticator_logging, an_observer_that_throws_does_not_stop_the_handler) {
  zmq::context_t ctx;
  za::thread_authenticator auth{ctx};
  auth.on_decision([](const za::decision&) { throw std::runtime_error("observer failed"); });
  auth.start();
  zap_dealer dealer(ctx);
  for (int i = 0; i < 3; ++i) {
    dealer.send(zap_request(std::to_string(i), "NULL"));
    auto reply = dealer.receive();
    ASSERT_TRUE(reply);
    EXPECT_EQ((*reply)[2], "200");
  }
  EXPECT_EQ(auth.current_policy()->observer_errors(), 3U);
}
