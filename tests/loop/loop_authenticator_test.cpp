// loop_authenticator on every loop, with the real sockets of the thread variant's tests (their
// harness): NULL with address rules, PLAIN, CURVE, malformed and unanswerable ZAP requests; and
// deferred decisions: answered later (from the loop or another thread), not holding up other
// handshakes, timed out, abandoned, answered by stop().
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/loop_authenticator.hpp>
#include <zmqsec/certs/z85.hpp>
#include <zmqsec/loop/awaitable.hpp>

#include "harness.hpp"
#include "loop_traits.hpp"
#include "wait_until.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
namespace zl = zmqsec::loop;
using namespace zmqsec::testing::auth;
using namespace zmqsec::testing::loop;

namespace {

template <class Loop>
class loop_authenticator_test : public ::testing::Test {
 protected:
  loop_authenticator_test() {
    auth_.on_decision([this](const za::decision& d) {
      std::lock_guard lock(mutex_);
      decided_.push_back(std::string(d.username.empty() ? d.client_key : d.username) + ":" +
                         std::string(za::status_code(d.status)));
    });
  }
  ~loop_authenticator_test() override { on_.stop_thread(); }

  /// Starts the authenticator, then the loop on its thread.
  void start() {
    auth_.start();
    on_.start_thread();
  }
  std::vector<std::string> decided() {
    std::lock_guard lock(mutex_);
    return decided_;
  }
  handshake_outcome login(const std::string& user, const std::string& password) {
    test_server server(ctx_, {.mechanism = mech::plain});
    return try_handshake(ctx_, server,
                         {.mechanism = mech::plain, .username = user, .password = password});
  }

  on_loop<Loop> on_;
  zmq::context_t ctx_;
  za::loop_authenticator auth_{ctx_, on_.loop()};
  std::mutex mutex_;
  std::vector<std::string> decided_;
};

TYPED_TEST_SUITE(loop_authenticator_test, all_loops, loop_names);

TYPED_TEST(loop_authenticator_test, null_clients_pass_the_address_rules) {
  this->auth_.allow("127.0.0.1").deny("127.0.0.3");
  this->start();
  test_server server(this->ctx_, {.zap_domain = "global"});
  EXPECT_ACCEPTED(try_handshake(this->ctx_, server, {.source = "127.0.0.1"}));
  EXPECT_REFUSED_WITH(400, try_handshake(this->ctx_, server, {.source = "127.0.0.2"}));
  EXPECT_REFUSED_WITH(400, try_handshake(this->ctx_, server, {.source = "127.0.0.3"}));
}

TYPED_TEST(loop_authenticator_test, plain_users_are_checked_and_named) {
  this->auth_.configure_plain("*", {{"admin", "secret"}});
  this->start();
  test_server server(this->ctx_, {.mechanism = mech::plain});
  auto got = handshake_and_read(
      this->ctx_, server, {.mechanism = mech::plain, .username = "admin", .password = "secret"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "admin");
  EXPECT_REFUSED_WITH(400, this->login("admin", "wrong"));
  EXPECT_REFUSED_WITH(400, this->login("nobody", "secret"));
}

TYPED_TEST(loop_authenticator_test, curve_keys_are_checked) {
  const zc::keypair server_keys = zc::generate_keypair();
  const zc::keypair alice = zc::generate_keypair();
  const zc::keypair mallory = zc::generate_keypair();
  this->auth_.configure_curve("*", std::vector<zc::public_key>{alice.public_key});
  this->start();
  test_server server(this->ctx_, {.mechanism = mech::curve, .curve = &server_keys});
  auto as = [&](const zc::keypair& k) {
    return client_options{
        .mechanism = mech::curve, .curve = &k, .server_key = &server_keys.public_key};
  };
  auto got = handshake_and_read(this->ctx_, server, as(alice));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, alice.public_key.z85());
  EXPECT_REFUSED_WITH(400, try_handshake(this->ctx_, server, as(mallory)));
}

TYPED_TEST(loop_authenticator_test, malformed_requests_get_400_and_unanswerable_ones_nothing) {
  this->start();
  zap_dealer zap(this->ctx_);
  zap.send({"1.0"});                                        // no request id: dropped
  zap.send({"1.0", "r1", "", "127.0.0.1", "id", "PLAIN"});  // PLAIN without credentials
  zap.send(zap_request("r2", "NULL"));
  auto first = zap.receive();
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)[1], "r1");
  EXPECT_EQ((*first)[2], "400");
  auto second = zap.receive();
  ASSERT_TRUE(second);
  EXPECT_EQ((*second)[1], "r2");
  EXPECT_EQ((*second)[2], "200");
  EXPECT_TRUE(zmqsec::testing::wait_until([&] { return this->auth_.stats().dropped == 1; }));
}

TYPED_TEST(loop_authenticator_test, a_second_authenticator_of_the_context_cannot_start) {
  this->start();
  za::loop_authenticator second{this->ctx_, this->on_.loop()};
  EXPECT_THROW(second.start(), zmqsec::error);
  EXPECT_FALSE(second.is_alive());
}

TYPED_TEST(loop_authenticator_test, an_observer_may_stop_the_authenticator) {
  this->auth_.on_decision([this](const za::decision&) { this->auth_.stop(); });
  this->start();
  zap_dealer zap(this->ctx_);
  zap.send(zap_request("r1", "NULL"));
  zap.send(zap_request("r2", "NULL"));
  EXPECT_TRUE(zmqsec::testing::wait_until([&] { return !this->auth_.is_alive(); }));
  EXPECT_EQ(this->auth_.stats().requests, 1u);
}

// --- Deferred decisions --------------------------------------------------------------------------

TYPED_TEST(loop_authenticator_test, a_deferred_plain_callback_answers_from_another_thread) {
  std::vector<std::thread> answerers;
  this->auth_.configure_plain_deferred(
      "*", [&](std::string_view, std::string_view user, std::string_view password,
               za::zap_completion done) {
        const bool ok = user == "admin" && password == "secret";
        answerers.emplace_back([done, ok]() mutable {
          ok ? done.accept("admin-from-db") : done.refuse("wrong password");
        });
      });
  this->start();
  test_server server(this->ctx_, {.mechanism = mech::plain});
  auto got = handshake_and_read(
      this->ctx_, server, {.mechanism = mech::plain, .username = "admin", .password = "secret"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "admin-from-db");
  EXPECT_REFUSED_WITH(400, this->login("admin", "wrong"));
  this->on_.stop_thread();
  for (auto& t : answerers) t.join();
  EXPECT_EQ(this->auth_.stats().deferred, 2u);
}

TYPED_TEST(loop_authenticator_test, a_plain_callback_decides_synchronously) {
  this->auth_.configure_plain_callback(
      "*", [](std::string_view, std::string_view user, std::string_view password) {
        return user == "admin" && password == "secret";
      });
  this->start();
  EXPECT_ACCEPTED(this->login("admin", "secret"));
  EXPECT_REFUSED_WITH(400, this->login("admin", "wrong"));
  this->on_.stop_thread();
  EXPECT_EQ(this->auth_.stats().deferred, 0u);
}

// A decider that answers later: through a completion (NULL, with metadata) and as a coroutine
// (PLAIN and CURVE; a throw is a 500). The address rules still come first.
TYPED_TEST(loop_authenticator_test, deciders_answer_later_for_every_mechanism) {
  const zc::keypair server_keys = zc::generate_keypair();
  const zc::keypair known = zc::generate_keypair();
  this->auth_.deny("127.0.0.66");
  this->auth_.configure_decider_deferred(
      "null-domain", [](const za::decider_request& r, za::zap_completion done) {
        if (r.mech != za::mechanism::null) return done.fail("unexpected"), void();
        done.complete(za::verdict::accept("guest", {{"Tier", "free"}}));
      });
  this->auth_.configure_decider_async("*", [&](za::decider_call call) -> zl::task<za::verdict> {
    co_await zl::sleep_for(this->on_.loop(), 1ms);
    if (call.mech == za::mechanism::curve) {
      co_return call.z85_key == known.public_key.z85() ? za::verdict::accept("known-key")
                                                       : za::verdict::refuse("unknown key");
    }
    if (call.username == "boom") throw std::runtime_error("directory down");
    if (call.username == "admin" && std::string_view(call.password) == "secret") {
      co_return za::verdict::accept();  // empty: the user name
    }
    co_return za::verdict::refuse("wrong password");
  });
  this->start();

  test_server null_server(this->ctx_, {.mechanism = mech::null, .zap_domain = "null-domain"});
  auto guest = handshake_and_read(this->ctx_, null_server, {}, {"Tier"});
  ASSERT_TRUE(guest);
  EXPECT_EQ(guest->user_id, "guest");
  EXPECT_EQ(guest->properties.at(0).second, "free");
  test_server denied(this->ctx_, {.mechanism = mech::null, .zap_domain = "null-domain"});
  EXPECT_REFUSED_WITH(400, try_handshake(this->ctx_, denied, {.source = "127.0.0.66"}));

  test_server plain_server(this->ctx_, {.mechanism = mech::plain});
  auto admin =
      handshake_and_read(this->ctx_, plain_server,
                         {.mechanism = mech::plain, .username = "admin", .password = "secret"});
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->user_id, "admin");
  EXPECT_REFUSED_WITH(400, this->login("admin", "wrong"));
  EXPECT_REFUSED_WITH(500, this->login("boom", "x"));

  test_server curve_server(this->ctx_, {.mechanism = mech::curve, .curve = &server_keys});
  auto as = [&](const zc::keypair& k) {
    return client_options{
        .mechanism = mech::curve, .curve = &k, .server_key = &server_keys.public_key};
  };
  auto key = handshake_and_read(this->ctx_, curve_server, as(known));
  ASSERT_TRUE(key);
  EXPECT_EQ(key->user_id, "known-key");
  const zc::keypair stranger = zc::generate_keypair();
  EXPECT_REFUSED_WITH(400, try_handshake(this->ctx_, curve_server, as(stranger)));
  this->on_.stop_thread();
  EXPECT_EQ(this->auth_.stats().deferred, 6u);
}

// Event order, not time: the slow answer is given only after the fast client got in.
TYPED_TEST(loop_authenticator_test, a_pending_decision_does_not_hold_up_other_handshakes) {
  std::promise<za::zap_completion> slow;
  this->auth_.configure_plain_deferred(
      "*", [&](std::string_view, std::string_view user, std::string_view, za::zap_completion done) {
        if (user == "slow") {
          slow.set_value(std::move(done));
        } else {
          done.accept();
        }
      });
  this->start();
  test_server server(this->ctx_, {.mechanism = mech::plain});
  test_client slow_client(this->ctx_, server,
                          {.mechanism = mech::plain, .username = "slow", .password = "x"});
  za::zap_completion slow_done = slow.get_future().get();  // its callback ran: it is pending
  EXPECT_ACCEPTED(try_handshake(this->ctx_, server,
                                {.mechanism = mech::plain, .username = "fast", .password = "x"}));
  EXPECT_FALSE(slow_done.answered());
  EXPECT_EQ(this->decided(), std::vector<std::string>{"fast:200"});
  slow_done.accept();
  auto outcome = slow_client.monitor().handshake();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->event, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  EXPECT_EQ(this->decided(), (std::vector<std::string>{"fast:200", "slow:200"}));
}

// A callback that takes 200 ms (a loop timer answers it): a client that comes after it is
// decided first.
TYPED_TEST(loop_authenticator_test, a_200ms_deferred_curve_callback_does_not_delay_another_client) {
  const zc::keypair server_keys = zc::generate_keypair();
  const zc::keypair slow = zc::generate_keypair();
  const zc::keypair fast = zc::generate_keypair();
  std::vector<zl::handle> timers;
  std::promise<void> slow_asked;
  this->auth_.configure_curve_deferred(
      "*", [&](std::string_view, std::string_view key, za::zap_completion done) {
        if (key != slow.public_key.z85()) {
          done.accept();
          return;
        }
        timers.push_back(this->on_.loop().call_later(200ms, [done]() mutable { done.accept(); }));
        slow_asked.set_value();
      });
  this->start();
  test_server server(this->ctx_, {.mechanism = mech::curve, .curve = &server_keys});
  auto as = [&](const zc::keypair& k) {
    return client_options{
        .mechanism = mech::curve, .curve = &k, .server_key = &server_keys.public_key};
  };
  test_client slow_client(this->ctx_, server, as(slow));
  slow_asked.get_future().wait();
  EXPECT_ACCEPTED(try_handshake(this->ctx_, server, as(fast)));
  auto outcome = slow_client.monitor().handshake();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->event, ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
  const auto order = this->decided();
  ASSERT_EQ(order.size(), 2u);
  EXPECT_EQ(order[0], fast.public_key.z85() + ":200");
  EXPECT_EQ(order[1], slow.public_key.z85() + ":200");
  this->on_.stop_thread();  // the timers belong to the loop thread
}

// Coroutine callbacks: they await (here a timer standing in for a database) and answer.
TYPED_TEST(loop_authenticator_test, coroutine_callbacks_decide_after_awaiting) {
  const zc::keypair server_keys = zc::generate_keypair();
  const zc::keypair known = zc::generate_keypair();
  const zc::keypair broken = zc::generate_keypair();
  this->auth_.configure_plain_async("*", [&](auto req) -> zl::task<za::verdict> {
    co_await zl::sleep_for(this->on_.loop(), 20ms);
    if (req.user == "admin" && std::string_view(req.password) == "secret") {
      co_return za::verdict::accept("admin-from-db");
    }
    co_return za::verdict::refuse("wrong password");
  });
  this->auth_.configure_curve_async("*", [&](za::curve_request req) -> zl::task<za::verdict> {
    co_await zl::sleep_for(this->on_.loop(), 1ms);
    if (req.z85_key == broken.public_key.z85()) throw std::runtime_error("directory down");
    co_return za::verdict::accept();
  });
  this->start();
  test_server plain_server(this->ctx_, {.mechanism = mech::plain});
  auto got =
      handshake_and_read(this->ctx_, plain_server,
                         {.mechanism = mech::plain, .username = "admin", .password = "secret"});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->user_id, "admin-from-db");
  EXPECT_REFUSED_WITH(400, this->login("admin", "wrong"));
  test_server curve_server(this->ctx_, {.mechanism = mech::curve, .curve = &server_keys});
  auto as = [&](const zc::keypair& k) {
    return client_options{
        .mechanism = mech::curve, .curve = &k, .server_key = &server_keys.public_key};
  };
  EXPECT_ACCEPTED(try_handshake(this->ctx_, curve_server, as(known)));
  EXPECT_REFUSED_WITH(500, try_handshake(this->ctx_, curve_server, as(broken)));
  this->on_.stop_thread();
  EXPECT_EQ(this->auth_.stats().deferred, 4u);
}

TYPED_TEST(loop_authenticator_test, a_callback_that_never_answers_gets_500_after_the_timeout) {
  std::vector<za::zap_completion> kept;
  this->auth_.set_deferred_timeout(100ms);
  this->auth_.configure_plain_deferred(
      "*", [&](std::string_view, std::string_view, std::string_view, za::zap_completion done) {
        kept.push_back(std::move(done));  // and never answers
      });
  this->start();
  EXPECT_REFUSED_WITH(500, this->login("admin", "secret"));
  EXPECT_EQ(this->auth_.stats().deferred_timeouts, 1u);
  this->on_.stop_thread();
  ASSERT_EQ(kept.size(), 1u);
  kept[0].accept();  // too late: ignored
  EXPECT_EQ(this->auth_.stats().accepted, 0u);
}

TYPED_TEST(loop_authenticator_test, a_dropped_completion_is_answered_500_at_once) {
  this->auth_.configure_plain_deferred(
      "*", [](std::string_view, std::string_view, std::string_view, za::zap_completion) {});
  this->start();
  EXPECT_REFUSED_WITH(500, this->login("admin", "secret"));
  EXPECT_EQ(this->auth_.stats().deferred_timeouts, 0u);
}

TYPED_TEST(loop_authenticator_test, stop_answers_what_is_pending_with_500) {
  std::promise<void> asked;
  std::vector<za::zap_completion> kept;
  this->auth_.configure_plain_deferred(
      "*", [&](std::string_view, std::string_view, std::string_view, za::zap_completion done) {
        kept.push_back(std::move(done));
        asked.set_value();
      });
  this->start();
  test_server server(this->ctx_, {.mechanism = mech::plain});
  test_client client(this->ctx_, server,
                     {.mechanism = mech::plain, .username = "admin", .password = "secret"});
  asked.get_future().wait();
  this->on_.on_loop_thread([&] { this->auth_.stop(); });
  auto outcome = client.monitor().handshake();
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->event, ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  EXPECT_EQ(outcome->value, 500u);
  EXPECT_FALSE(this->auth_.is_alive());
}

TYPED_TEST(loop_authenticator_test, deferred_requests_via_zap_are_answered_out_of_order) {
  std::vector<za::zap_completion> kept;
  this->auth_.configure_plain_deferred(
      "*", [&](std::string_view, std::string_view user, std::string_view, za::zap_completion done) {
        if (user == "later") {
          kept.push_back(std::move(done));
          return;
        }
        done.accept();
        for (auto& k : kept) k.refuse("no");  // the first one, after the second
      });
  this->start();
  zap_dealer zap(this->ctx_);
  zap.send(zap_request("first", "PLAIN", {"later", "pw"}));
  zap.send(zap_request("second", "PLAIN", {"now", "pw"}));
  auto a = zap.receive();
  auto b = zap.receive();
  ASSERT_TRUE(a && b);
  EXPECT_EQ((*a)[1], "second");
  EXPECT_EQ((*a)[2], "200");
  EXPECT_EQ((*a)[4], "now");
  EXPECT_EQ((*b)[1], "first");
  EXPECT_EQ((*b)[2], "400");
  EXPECT_EQ((*b)[3], "no");
}

}  // namespace

namespace {

// The pure core: without a transport that takes deferred decisions, such a request gets 500.
TEST(deferred_core, decide_without_a_deferral_answers_500) {
  za::policy_config config;
  bool called = false;
  config.configure_plain_deferred("*", [&](std::string_view, std::string_view, std::string_view,
                                           za::zap_completion) { called = true; });
  const std::vector<std::string> frames = zap_request("r1", "PLAIN", {"admin", "secret"});
  const std::vector<std::string_view> views(frames.begin(), frames.end());
  za::zap_reply reply;
  EXPECT_EQ(za::decide(*config.build(), views, reply), za::zap_outcome::reply);
  EXPECT_EQ(reply.status, za::zap_status::internal_error);
  EXPECT_FALSE(called);
}

TEST(deferred_core, complete_deferred_gives_the_default_user_id_and_the_reason) {
  za::policy_config config;
  config.configure_plain("*", {});
  const auto policy = config.build();
  const std::vector<std::string> frames = zap_request("r1", "PLAIN", {"admin", "secret"});
  const std::vector<std::string_view> views(frames.begin(), frames.end());
  za::zap_reply reply;
  ASSERT_EQ(za::complete_deferred(*policy, views, {za::zap_status::success, "", ""}, reply),
            za::zap_outcome::reply);
  EXPECT_EQ(reply.status, za::zap_status::success);
  EXPECT_EQ(reply.status_text, "OK");
  EXPECT_EQ(reply.user_id, "admin");
  ASSERT_EQ(za::complete_deferred(*policy, views, {za::zap_status::failure, "locked", "x"}, reply),
            za::zap_outcome::reply);
  EXPECT_EQ(reply.status_text, "locked");
  EXPECT_EQ(reply.user_id, "");
}

}  // namespace
