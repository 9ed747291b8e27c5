// Throttling of failed authentication in the thread_authenticator, with real PLAIN clients
// connecting from chosen addresses of 127.0.0.0/8 (and ::1): an address that fails too often is
// refused without its credential being checked while the others are untouched; exempt addresses
// never are; blocks end and double; a success resets; the policy file's [throttle] table; IPv6
// /64 grouping through the real ZAP socket. The PLAIN check is a callback that counts its calls,
// so "refused without the check" is seen, not assumed.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>

#include "harness.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
using namespace zmqsec::testing::auth;
using clock_type = std::chrono::steady_clock;

namespace {

class throttle : public ::testing::Test {
 protected:
  throttle() {
    auth_.configure_plain_callback(
        "*", [this](std::string_view, std::string_view user, std::string_view password) {
          checks_.fetch_add(1);
          return user == "admin" && password == "secret";
        });
    auth_.on_decision([this](const za::decision& d) {
      std::lock_guard lock(mutex_);
      reasons_.emplace_back(d.reason);
    });
  }

  static za::throttle_config settings(unsigned failures, std::chrono::milliseconds backoff,
                                      std::chrono::milliseconds max_backoff) {
    za::throttle_config t;
    t.max_failures = failures;
    t.window = std::chrono::minutes(1);
    t.initial_backoff = backoff;
    t.max_backoff = max_backoff;
    return t;
  }

  handshake_outcome login(const std::string& source, const std::string& password) {
    test_server server(ctx_, {.mechanism = mech::plain});
    return try_handshake(
        ctx_, server,
        {.source = source, .mechanism = mech::plain, .username = "admin", .password = password});
  }
  // n wrong passwords from source, each refused after the check ran.
  void fail(const std::string& source, int n) {
    for (int i = 0; i < n; ++i) {
      const int before = checks_.load();
      EXPECT_REFUSED_WITH(400, login(source, "wrong"));
      EXPECT_EQ(checks_.load(), before + 1) << "attempt " << i << " from " << source;
    }
  }
  // Whether a login from source is refused for throttling: 400, and the check did not run.
  bool throttled(const std::string& source, const std::string& password = "secret") {
    const int before = checks_.load();
    const handshake_outcome outcome = login(source, password);
    if (checks_.load() != before) return false;
    EXPECT_TRUE(outcome.refused_with(400)) << describe(outcome);
    return true;
  }
  std::string last_reason() {
    std::lock_guard lock(mutex_);
    return reasons_.empty() ? std::string() : reasons_.back();
  }
  // The time from before the attempt that started a block (from) until an attempt is checked
  // again (polled with wrong passwords). That attempt is a failure on probation: it starts the
  // next block, from next (taken before it was sent).
  std::chrono::milliseconds block_length(const std::string& source, clock_type::time_point from,
                                         clock_type::time_point& next) {
    for (;;) {
      next = clock_type::now();
      if (!throttled(source, "wrong")) break;
      if (next - from > patience) {
        ADD_FAILURE() << "still blocked";
        break;
      }
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - from);
  }

  zmq::context_t ctx_;
  captured_logger log_;
  za::thread_authenticator auth_{ctx_, log_.logger};
  std::atomic<int> checks_{0};
  std::mutex mutex_;
  std::vector<std::string> reasons_;
};

}  // namespace

TEST_F(throttle, an_address_that_fails_too_often_is_refused_without_its_password_being_checked) {
  auth_.configure_throttle(settings(3, std::chrono::minutes(1), std::chrono::minutes(5)));
  auth_.start();
  fail("127.0.0.2", 3);
  // Blocked: even the right password is refused, and the callback does not run.
  EXPECT_TRUE(throttled("127.0.0.2"));
  EXPECT_EQ(last_reason(), "throttled");
  EXPECT_TRUE(throttled("127.0.0.2", "wrong"));
  EXPECT_TRUE(log_.sink->wait_for({"127.0.0.2", "throttled"})) << log_.sink->all();
  // Another address is not.
  const int before = checks_.load();
  EXPECT_ACCEPTED(login("127.0.0.3", "secret"));
  EXPECT_EQ(checks_.load(), before + 1);
  fail("127.0.0.3", 2);  // its own count, below the limit
  EXPECT_ACCEPTED(login("127.0.0.3", "secret"));
  const za::authenticator_stats stats = auth_.stats();
  EXPECT_EQ(stats.throttled, 2U);
  EXPECT_EQ(stats.refused, 3U + 2U + 2U);  // throttled refusals are refusals too
  EXPECT_EQ(stats.accepted, 2U);
}

TEST_F(throttle, exempt_addresses_are_never_throttled) {
  auto t = settings(2, std::chrono::minutes(1), std::chrono::minutes(5));
  t.exempt = {"127.0.0.2", "127.0.1.0/24"};
  auth_.configure_throttle(t);
  auth_.start();
  fail("127.0.0.2", 6);
  fail("127.0.1.9", 6);
  EXPECT_ACCEPTED(login("127.0.0.2", "secret"));
  fail("127.0.0.3", 2);
  EXPECT_TRUE(throttled("127.0.0.3"));
  EXPECT_EQ(auth_.stats().throttled, 1U);
}

// Lower bounds only: a slow machine makes every wait longer, never shorter.
TEST_F(throttle, a_block_ends_after_its_back_off_and_one_more_failure_starts_one_twice_as_long) {
  using std::chrono::milliseconds;
  auth_.configure_throttle(settings(2, milliseconds(400), milliseconds(10'000)));
  auth_.start();
  fail("127.0.0.2", 1);
  const auto start = clock_type::now();
  fail("127.0.0.2", 1);  // the second: a block of 400 ms
  ASSERT_TRUE(throttled("127.0.0.2"));
  clock_type::time_point next;
  EXPECT_GE(block_length("127.0.0.2", start, next), milliseconds(400));
  ASSERT_TRUE(throttled("127.0.0.2"));  // the one failure after the block started the next
  EXPECT_GE(block_length("127.0.0.2", next, next), milliseconds(800));
  ASSERT_TRUE(throttled("127.0.0.2"));
  EXPECT_GE(block_length("127.0.0.2", next, next), milliseconds(1600));
  EXPECT_ACCEPTED(login("127.0.0.3", "secret"));
}

TEST_F(throttle, a_success_resets_the_count) {
  auth_.configure_throttle(settings(3, std::chrono::minutes(1), std::chrono::minutes(5)));
  auth_.start();
  fail("127.0.0.2", 2);
  EXPECT_ACCEPTED(login("127.0.0.2", "secret"));
  fail("127.0.0.2", 2);  // four failures in the window, but only two since the success
  EXPECT_ACCEPTED(login("127.0.0.2", "secret"));
  EXPECT_EQ(auth_.stats().throttled, 0U);
}

TEST_F(throttle, the_state_survives_a_new_policy_and_off_turns_it_off) {
  auth_.configure_throttle(settings(2, std::chrono::minutes(1), std::chrono::minutes(5)));
  auth_.start();
  fail("127.0.0.2", 2);
  ASSERT_TRUE(throttled("127.0.0.2"));
  // Other settings in a whole new policy: the block stays.
  za::policy_config next;
  next.configure_plain_callback("*", [this](auto, auto user, auto password) {
    checks_.fetch_add(1);
    return user == "admin" && password == "secret";
  });
  next.configure_throttle(settings(4, std::chrono::minutes(2), std::chrono::minutes(5)));
  auth_.replace(next);
  EXPECT_TRUE(throttled("127.0.0.2"));
  // Throttling off: let through at once.
  auth_.configure_throttle(settings(0, std::chrono::minutes(1), std::chrono::minutes(5)));
  EXPECT_ACCEPTED(login("127.0.0.2", "secret"));
}

TEST_F(throttle, the_policy_file_throttle_table_takes_effect_and_a_broken_one_keeps_the_last) {
  zmqsec::testing::temp_dir dir;
  dir.write("passwords", "admin=secret\n");
  dir.write("policy.toml", R"([throttle]
max_failures = 2
initial_backoff_ms = 60000
[domains."*"]
plain = { password_file = "passwords" }
)");
  auth_.load_policy_file(dir / "policy.toml");
  auth_.start();
  EXPECT_REFUSED_WITH(400, login("127.0.0.2", "wrong"));
  EXPECT_REFUSED_WITH(400, login("127.0.0.2", "wrong"));
  EXPECT_REFUSED_WITH(400, login("127.0.0.2", "secret"));  // the right one: throttled
  EXPECT_EQ(last_reason(), "throttled");
  EXPECT_ACCEPTED(login("127.0.0.3", "secret"));

  const auto good = auth_.generation();
  dir.write("policy.toml", R"([throttle]
max_failures = 2
initial_backoff_ms = 60000
max_backoff_ms = 1000
[domains."*"]
plain = { password_file = "passwords" }
)");
  ASSERT_TRUE(log_.sink->wait_for({"policy file not reloaded", "policy.toml:1:1", "max_backoff"}))
      << log_.sink->all();
  EXPECT_EQ(auth_.generation(), good);
  EXPECT_EQ(auth_.stats().policy_reload_failures, 1U);
  // Still the last good settings, and what the handler knew.
  EXPECT_REFUSED_WITH(400, login("127.0.0.2", "secret"));
  EXPECT_REFUSED_WITH(400, login("127.0.0.4", "wrong"));
  EXPECT_REFUSED_WITH(400, login("127.0.0.4", "wrong"));
  EXPECT_REFUSED_WITH(400, login("127.0.0.4", "secret"));
  EXPECT_EQ(auth_.stats().throttled, 3U);  // 127.0.0.2 twice, 127.0.0.4 once

  dir.write("policy.toml", "[domains.\"*\"]\nplain = { password_file = \"passwords\" }\n");
  ASSERT_TRUE(auth_.wait_for_generation(good + 1, patience)) << log_.sink->all();
  EXPECT_ACCEPTED(login("127.0.0.2", "secret"));  // no [throttle]: off
}

// The peers of one IPv6 /64 share a count: requests straight at the ZAP socket, whose address
// frame says where they come from (only ::1 exists here to connect from).
TEST_F(throttle, ipv6_peers_are_counted_per_64) {
  auth_.configure_throttle(settings(3, std::chrono::minutes(1), std::chrono::minutes(5)));
  auth_.start();
  zap_dealer zap(ctx_);
  auto status_of = [&](const std::string& address, const std::string& password) {
    zap.send(zap_request("r", "PLAIN", {"admin", password}, address));
    const auto reply = zap.receive();
    return reply ? (*reply)[2] + " " + (*reply)[3] : std::string("no reply");
  };
  EXPECT_EQ(status_of("2001:db8:0:1::1", "wrong"), "400 refused by PLAIN callback");
  EXPECT_EQ(status_of("2001:db8:0:1::2", "wrong"), "400 refused by PLAIN callback");
  EXPECT_EQ(status_of("2001:db8:0:1:ffff::3", "wrong"), "400 refused by PLAIN callback");
  EXPECT_EQ(status_of("2001:db8:0:1::99", "secret"), "400 throttled");
  EXPECT_EQ(status_of("2001:db8:0:2::1", "secret"), "200 OK");  // another /64
  EXPECT_EQ(status_of("::ffff:127.0.0.9", "secret"), "200 OK");
}

// A real IPv6 client on ::1: the address libzmq reports for it is throttled like any other.
TEST_F(throttle, a_client_on_ipv6_loopback_is_throttled) {
  auth_.configure_throttle(settings(2, std::chrono::minutes(1), std::chrono::minutes(5)));
  auth_.start();
  zmq::socket_t server(ctx_, zmq::socket_type::router);
  server.set(zmq::sockopt::linger, 0);
  server.set(zmq::sockopt::ipv6, 1);
  server.set(zmq::sockopt::plain_server, 1);
  socket_monitor server_events(ctx_, server);
  server.bind("tcp://[::1]:*");
  const std::string endpoint = server.get(zmq::sockopt::last_endpoint);
  auto login6 = [&](const std::string& password) {
    zmq::socket_t client(ctx_, zmq::socket_type::dealer);
    client.set(zmq::sockopt::linger, 0);
    client.set(zmq::sockopt::ipv6, 1);
    client.set(zmq::sockopt::plain_username, "admin");
    client.set(zmq::sockopt::plain_password, password);
    socket_monitor events(ctx_, client);
    client.connect(endpoint);
    const auto end = events.handshake();
    EXPECT_TRUE(server_events.handshake()) << server_events.history();
    return end ? end->event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH ? std::to_string(end->value)
                                                               : std::string(event_name(end->event))
               : std::string("nothing");
  };
  EXPECT_EQ(login6("wrong"), "400");
  EXPECT_EQ(login6("wrong"), "400");
  const int before = checks_.load();
  EXPECT_EQ(login6("secret"), "400");
  EXPECT_EQ(checks_.load(), before);
  EXPECT_EQ(last_reason(), "throttled");
  EXPECT_ACCEPTED(login("127.0.0.3", "secret"));
}
