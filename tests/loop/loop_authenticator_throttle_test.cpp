// Throttling in loop_authenticator, on every loop: failures answered later by a deferred PLAIN
// callback (complete_deferred) count like the synchronous ones, a blocked address is refused
// without the callback being called, another address is untouched, and a success resets. Real
// PLAIN clients from chosen addresses of 127.0.0.0/8 (the thread variant's harness).
#include <gtest/gtest.h>

#include <atomic>
#include <string>

#include <zmq.hpp>

#include <zmqsec/auth/loop_authenticator.hpp>

#include "harness.hpp"
#include "loop_traits.hpp"

namespace za = zmqsec::auth;
using namespace zmqsec::testing::auth;
using namespace zmqsec::testing::loop;

namespace {

template <class Loop>
class loop_throttle_test : public ::testing::Test {
 protected:
  loop_throttle_test() {
    za::throttle_config t;
    t.max_failures = 3;
    t.initial_backoff = std::chrono::minutes(1);
    t.max_backoff = std::chrono::minutes(5);
    auth_.configure_throttle(t);
    // Answered through the loop (a posted completion), as a database lookup would be.
    auth_.configure_plain_deferred("*", [this](std::string_view, std::string_view user,
                                               std::string_view password, za::zap_completion done) {
      calls_.fetch_add(1);
      if (user == "admin" && password == "secret") {
        done.accept("admin");
      } else {
        done.refuse("wrong password");
      }
    });
  }
  ~loop_throttle_test() override { on_.stop_thread(); }

  void start() {
    auth_.start();
    on_.start_thread();
  }
  handshake_outcome login(const std::string& source, const std::string& password) {
    test_server server(ctx_, {.mechanism = mech::plain});
    return try_handshake(
        ctx_, server,
        {.source = source, .mechanism = mech::plain, .username = "admin", .password = password});
  }

  on_loop<Loop> on_;
  zmq::context_t ctx_;
  za::loop_authenticator auth_{ctx_, on_.loop()};
  std::atomic<int> calls_{0};
};

TYPED_TEST_SUITE(loop_throttle_test, all_loops, loop_names);

TYPED_TEST(loop_throttle_test, deferred_refusals_block_the_address_and_others_pass) {
  this->start();
  for (int i = 0; i < 3; ++i) EXPECT_REFUSED_WITH(400, this->login("127.0.0.2", "wrong"));
  EXPECT_EQ(this->calls_.load(), 3);
  EXPECT_REFUSED_WITH(400, this->login("127.0.0.2", "secret"));
  EXPECT_EQ(this->calls_.load(), 3);  // refused before the callback
  EXPECT_ACCEPTED(this->login("127.0.0.3", "secret"));
  EXPECT_EQ(this->calls_.load(), 4);
  EXPECT_EQ(this->auth_.stats().throttled, 1U);
  EXPECT_EQ(this->auth_.stats().deferred, 4U);
}

TYPED_TEST(loop_throttle_test, a_deferred_success_resets_the_count) {
  this->start();
  for (int i = 0; i < 2; ++i) EXPECT_REFUSED_WITH(400, this->login("127.0.0.2", "wrong"));
  EXPECT_ACCEPTED(this->login("127.0.0.2", "secret"));
  for (int i = 0; i < 2; ++i) EXPECT_REFUSED_WITH(400, this->login("127.0.0.2", "wrong"));
  EXPECT_ACCEPTED(this->login("127.0.0.2", "secret"));
  EXPECT_EQ(this->calls_.load(), 6);
  EXPECT_EQ(this->auth_.stats().throttled, 0U);
}

}  // namespace
