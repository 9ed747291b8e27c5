// session_guard with a loop_authenticator and a stream on every loop: guard.filter(stream) drops
// a revoked session's messages before on_recv, and its connection is cut; the other clients'
// messages come through. Real sockets on 127.0.0.0/8 (the thread variant's harness).
#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/loop_authenticator.hpp>
#include <zmqsec/auth/session_guard.hpp>
#include <zmqsec/loop/stream.hpp>

#include "guard_harness.hpp"
#include "loop_traits.hpp"
#include "wait_until.hpp"

namespace za = zmqsec::auth;
namespace zl = zmqsec::loop;
using namespace zmqsec::testing::auth;
using namespace zmqsec::testing::loop;

namespace {

template <class Loop>
class loop_session_guard : public ::testing::Test {
 protected:
  loop_session_guard() {
    server_.socket().set(zmq::sockopt::linger, 0);
    server_.socket().set(zmq::sockopt::plain_server, 1);
    guard_.filter(server_);
    endpoint_ = zmqsec::testing::bind_loopback(server_.socket());
    server_.on_recv([this](zl::message& m) {
      std::lock_guard lock(mutex_);
      received_.push_back(m.back().to_string());
    });
  }
  ~loop_session_guard() override { on_.stop_thread(); }

  std::string port() const { return endpoint_.substr(endpoint_.rfind(':') + 1); }
  bool received(const std::string& text) {
    return zmqsec::testing::wait_until([&] {
      std::lock_guard lock(mutex_);
      return std::find(received_.begin(), received_.end(), text) != received_.end();
    });
  }
  std::vector<std::string> all_received() {
    std::lock_guard lock(mutex_);
    return received_;
  }

  on_loop<Loop> on_;
  zmq::context_t ctx_;
  za::loop_authenticator auth_{ctx_, on_.loop()};
  zl::stream server_{on_.loop(), zmq::socket_t(ctx_, zmq::socket_type::router)};
  za::session_guard guard_{auth_, server_.socket()};
  std::string endpoint_;
  std::mutex mutex_;
  std::vector<std::string> received_;
};

TYPED_TEST_SUITE(loop_session_guard, all_loops, loop_names);

TYPED_TEST(loop_session_guard, the_filter_drops_a_revoked_sessions_messages_and_cuts_it) {
  this->auth_.configure_plain("*", {{"alice", "wonderland"}, {"bob", "builder"}});
  this->auth_.start();
  this->on_.start_thread();
  guarded_client alice(this->ctx_, this->port(),
                       {.mechanism = mech::plain, .username = "alice", .password = "wonderland"});
  guarded_client bob(this->ctx_, this->port(),
                     {.mechanism = mech::plain, .username = "bob", .password = "builder"});
  ASSERT_TRUE(alice.accepted()) << alice.monitor().history();
  ASSERT_TRUE(bob.accepted()) << bob.monitor().history();
  bob.send("hello from bob");
  ASSERT_TRUE(this->received("hello from bob"));

  this->auth_.configure_plain("*", {{"bob", "builder"}});
  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return this->auth_.stats().revocations == 1; }));
  alice.send("alice after the change");
  EXPECT_TRUE(alice.cut()) << alice.monitor().history();
  EXPECT_EQ(alice.next_refusal(), 400U) << alice.monitor().history();
  bob.send("bob goes on");
  ASSERT_TRUE(this->received("bob goes on"));
  EXPECT_EQ(this->all_received(), (std::vector<std::string>{"hello from bob", "bob goes on"}));
  EXPECT_EQ(this->guard_.revocations(), 1U);
}

TYPED_TEST(loop_session_guard, a_deny_rule_cuts_the_connections_from_that_address) {
  this->auth_.configure_plain("*", {{"alice", "wonderland"}, {"bob", "builder"}});
  this->auth_.start();
  this->on_.start_thread();
  guarded_client alice(this->ctx_, this->port(),
                       {.source = "127.0.0.2",
                        .mechanism = mech::plain,
                        .username = "alice",
                        .password = "wonderland"});
  guarded_client bob(
      this->ctx_, this->port(),
      {.source = "127.0.0.3", .mechanism = mech::plain, .username = "bob", .password = "builder"});
  ASSERT_TRUE(alice.accepted()) << alice.monitor().history();
  ASSERT_TRUE(bob.accepted()) << bob.monitor().history();
  alice.send("hello from alice");
  ASSERT_TRUE(this->received("hello from alice"));

  this->auth_.deny("127.0.0.2");
  EXPECT_TRUE(alice.cut()) << alice.monitor().history();
  EXPECT_EQ(alice.next_refusal(), 400U) << alice.monitor().history();
  bob.send("bob goes on");
  EXPECT_TRUE(this->received("bob goes on"));
  EXPECT_FALSE(bob.cut(std::chrono::milliseconds(50))) << bob.monitor().history();
}

}  // namespace
