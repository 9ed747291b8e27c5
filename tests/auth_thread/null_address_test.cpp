// NULL with and without a ZAP domain; allow and deny by address and range, with clients
// connecting from addresses of 127.0.0.0/8; what the monitors of a refused connection show.
#include <gtest/gtest.h>
#include <zmq.h>

#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>

#include "harness.hpp"

namespace za = zmqsec::auth;
using namespace zmqsec::testing::auth;

namespace {

class thread_authenticator_null : public ::testing::Test {
 protected:
  // A NULL server with a ZAP domain (so that libzmq asks), and a handshake from source.
  handshake_outcome from(const std::string& source, const std::string& domain = "global") {
    test_server server(ctx_, {.mechanism = mech::null, .zap_domain = domain});
    return try_handshake(ctx_, server, {.source = source});
  }

  zmq::context_t ctx_;
  za::thread_authenticator auth_{ctx_};
};

}  // namespace

TEST_F(thread_authenticator_null, without_a_zap_domain_libzmq_does_not_ask) {
  auth_.deny("127.0.0.1");
  auth_.start();
  test_server server(ctx_, {.mechanism = mech::null});
  EXPECT_ACCEPTED(try_handshake(ctx_, server));
  EXPECT_EQ(auth_.stats().requests, 0U);
}

TEST_F(thread_authenticator_null, with_a_zap_domain_and_no_rules_it_is_allowed) {
  auth_.start();
  EXPECT_ACCEPTED(from("127.0.0.1"));
  EXPECT_ACCEPTED(from("127.0.0.9", "other"));
  EXPECT_EQ(auth_.stats().accepted, 2U);
}

TEST_F(thread_authenticator_null, a_denied_address_is_refused_with_400_on_both_sides) {
  auth_.deny("127.0.0.2");
  auth_.start();
  test_server server(ctx_, {.mechanism = mech::null, .zap_domain = "global"});
  test_client client(ctx_, server, {.source = "127.0.0.2"});
  auto client_event = client.monitor().handshake();
  auto server_event = server.monitor().handshake();
  ASSERT_TRUE(client_event) << client.monitor().history();
  ASSERT_TRUE(server_event) << server.monitor().history();
  EXPECT_EQ(client_event->event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
      << event_name(client_event->event);
  EXPECT_EQ(client_event->value, 400U);
  EXPECT_EQ(server_event->event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
      << event_name(server_event->event);
  EXPECT_EQ(server_event->value, 400U);
  EXPECT_EQ(auth_.stats().refused, 1U);

  EXPECT_ACCEPTED(from("127.0.0.1"));
  EXPECT_ACCEPTED(from("127.0.0.3"));
}

// Code written against the authenticator base (any variant) configures this one, and reads the
// counters of its handler.
TEST_F(thread_authenticator_null, configured_and_counted_through_the_authenticator_base) {
  za::authenticator& any = auth_;
  any.deny("127.0.0.2").allow_all(std::vector<std::string_view>{"127.0.0.0/8"});
  auth_.start();
  EXPECT_REFUSED_WITH(400, from("127.0.0.2"));
  EXPECT_ACCEPTED(from("127.0.0.3"));
  const za::authenticator_stats stats = any.stats();
  EXPECT_EQ(stats.refused, 1U);
  EXPECT_EQ(stats.accepted, 1U);
  EXPECT_EQ(stats.requests, 2U);
}

TEST_F(thread_authenticator_null, a_denied_range) {
  auth_.deny("127.0.0.2/31");  // .2 and .3
  auth_.start();
  EXPECT_ACCEPTED(from("127.0.0.1"));
  EXPECT_REFUSED_WITH(400, from("127.0.0.2"));
  EXPECT_REFUSED_WITH(400, from("127.0.0.3"));
  EXPECT_ACCEPTED(from("127.0.0.4"));
}

TEST_F(thread_authenticator_null, an_allowed_address_and_nothing_else) {
  auth_.allow("127.0.0.3");
  auth_.start();
  EXPECT_ACCEPTED(from("127.0.0.3"));
  EXPECT_REFUSED_WITH(400, from("127.0.0.1"));
  EXPECT_REFUSED_WITH(400, from("127.0.0.4"));
}

TEST_F(thread_authenticator_null, an_allowed_range_and_nothing_else) {
  auth_.allow("127.0.0.0/30");  // .0 to .3
  auth_.start();
  EXPECT_ACCEPTED(from("127.0.0.1"));
  EXPECT_ACCEPTED(from("127.0.0.2"));
  EXPECT_ACCEPTED(from("127.0.0.3"));
  EXPECT_REFUSED_WITH(400, from("127.0.0.4"));
  EXPECT_REFUSED_WITH(400, from("127.1.0.1"));
}

TEST_F(thread_authenticator_null, deny_wins_over_allow) {
  auth_.allow("127.0.0.0/8");
  auth_.deny("127.0.0.4");
  auth_.deny("127.0.1.0/24");
  auth_.start();
  EXPECT_ACCEPTED(from("127.0.0.1"));
  EXPECT_REFUSED_WITH(400, from("127.0.0.4"));
  EXPECT_REFUSED_WITH(400, from("127.0.1.200"));
  EXPECT_ACCEPTED(from("127.0.2.1"));
}

TEST_F(thread_authenticator_null, rules_changed_while_running_decide_the_next_handshake) {
  auth_.start();
  EXPECT_ACCEPTED(from("127.0.0.5"));
  auth_.deny("127.0.0.5");  // published when it returns
  EXPECT_REFUSED_WITH(400, from("127.0.0.5"));
  auth_.allow_all(std::vector<std::string_view>{"127.0.0.6", "127.0.0.7"});
  EXPECT_ACCEPTED(from("127.0.0.6"));
  EXPECT_REFUSED_WITH(400, from("127.0.0.1"));  // outside the allow list now
}

TEST_F(thread_authenticator_null, an_allowed_address_still_needs_a_password_for_plain) {
  auth_.allow("127.0.0.1");
  auth_.configure_plain("*", {{"admin", "secret"}});
  auth_.start();
  test_server server(ctx_, {.mechanism = mech::plain});
  EXPECT_REFUSED_WITH(
      400, try_handshake(ctx_, server,
                         {.mechanism = mech::plain, .username = "admin", .password = "x"}));
  test_server server2(ctx_, {.mechanism = mech::plain});
  EXPECT_ACCEPTED(try_handshake(
      ctx_, server2, {.mechanism = mech::plain, .username = "admin", .password = "secret"}));
}

TEST_F(thread_authenticator_null, the_peer_address_is_what_the_rules_saw) {
  auth_.start();
  test_server server(ctx_, {.mechanism = mech::null, .zap_domain = "global"});
  auto got = handshake_and_read(ctx_, server, {.source = "127.0.0.8"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->peer_address, "127.0.0.8");
  EXPECT_EQ(got->user_id, "");
}
