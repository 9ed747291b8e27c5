// The throttling table on its own, with time given by the test: the back-off schedule, the
// window, reset on success, eviction of the least recently failed, exemption, IPv6 /64 grouping,
// new settings that keep the state.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <zmqsec/auth/policy.hpp>

#include "throttle_table.hpp"

namespace za = zmqsec::auth;
using table = za::detail::throttle_table;
using namespace std::chrono_literals;

namespace {

za::throttle_config three_in_a_minute() {
  za::throttle_config c;
  c.max_failures = 3;
  c.window = 60s;
  c.initial_backoff = 1s;
  c.max_backoff = 8s;
  return c;
}

const table::clock::time_point t0 = table::clock::time_point(1000h);

}  // namespace

TEST(throttle_table, blocks_after_n_failures_and_doubles_up_to_the_maximum) {
  table t(three_in_a_minute());
  const char* a = "192.0.2.7";
  auto now = t0;
  EXPECT_FALSE(t.failed(a, now));
  EXPECT_FALSE(t.failed(a, now));
  EXPECT_FALSE(t.blocked(a, now));
  EXPECT_TRUE(t.failed(a, now));  // the third: blocked for 1 s
  EXPECT_TRUE(t.blocked(a, now + 999ms));
  EXPECT_FALSE(t.blocked(a, now + 1s));
  EXPECT_FALSE(t.blocked("192.0.2.8", now));  // others are not
  // On probation: one failure after each block starts the next, twice as long: 2 s, 4 s, 8 s,
  // then 8 s (the maximum).
  for (auto expected : {2s, 4s, 8s, 8s}) {
    now += 2s;  // within max_backoff of the last failure: the schedule goes on
    ASSERT_TRUE(t.failed(a, now));
    EXPECT_TRUE(t.blocked(a, now + expected - 1ms));
    EXPECT_FALSE(t.blocked(a, now + expected));
    now += expected;
  }
}

TEST(throttle_table, failures_outside_the_window_do_not_add_up) {
  table t(three_in_a_minute());
  const char* a = "192.0.2.7";
  t.failed(a, t0);
  t.failed(a, t0 + 30s);
  EXPECT_FALSE(t.failed(a, t0 + 61s));  // the window began at t0: a new one begins
  EXPECT_FALSE(t.failed(a, t0 + 62s));
  EXPECT_TRUE(t.failed(a, t0 + 63s));
}

TEST(throttle_table, probation_ends_with_the_window_after_the_block) {
  auto c = three_in_a_minute();
  c.max_backoff = 120s;
  table t(c);
  const char* a = "192.0.2.7";
  for (int i = 0; i < 3; ++i) t.failed(a, t0);
  ASSERT_TRUE(t.blocked(a, t0));  // until t0 + 1 s
  // Quiet for more than the window after the block: three failures again, and the next block
  // still lasts twice the first (the schedule starts over only after max_backoff of quiet).
  const auto later = t0 + 1s + 61s;
  EXPECT_FALSE(t.failed(a, later));
  EXPECT_FALSE(t.failed(a, later));
  EXPECT_TRUE(t.failed(a, later));
  EXPECT_TRUE(t.blocked(a, later + 1999ms));
  EXPECT_FALSE(t.blocked(a, later + 2s));
}

TEST(throttle_table, a_success_resets_the_address) {
  table t(three_in_a_minute());
  const char* a = "192.0.2.7";
  t.failed(a, t0);
  t.failed(a, t0);
  t.succeeded(a);
  EXPECT_FALSE(t.failed(a, t0));
  EXPECT_FALSE(t.failed(a, t0));
  EXPECT_TRUE(t.failed(a, t0));
  t.succeeded(a);  // also ends a block
  EXPECT_FALSE(t.blocked(a, t0));
  EXPECT_EQ(t.tracked(), 0u);
}

TEST(throttle_table, exempt_addresses_and_non_ip_peers_are_never_throttled) {
  auto c = three_in_a_minute();
  c.exempt = {"10.0.0.0/8", "fd00::/8"};
  table t(c);
  for (const char* a : {"10.1.2.3", "::ffff:10.1.2.3", "fd00::1", "", ":1000:1000:42"}) {
    for (int i = 0; i < 10; ++i) EXPECT_FALSE(t.failed(a, t0)) << a;
    EXPECT_FALSE(t.blocked(a, t0)) << a;
  }
  EXPECT_EQ(t.tracked(), 0u);
}

TEST(throttle_table, ipv6_addresses_of_one_64_share_an_entry) {
  table t(three_in_a_minute());
  t.failed("2001:db8:1:2::1", t0);
  t.failed("2001:db8:1:2:ffff::9", t0);
  EXPECT_TRUE(t.failed("2001:db8:1:2::abcd%eth0", t0));
  EXPECT_TRUE(t.blocked("2001:db8:1:2:1:2:3:4", t0));
  EXPECT_FALSE(t.blocked("2001:db8:1:3::1", t0));  // the next /64
  // An IPv4 peer seen through an IPv6 socket is its IPv4 address.
  t.failed("192.0.2.1", t0);
  t.failed("::ffff:192.0.2.1", t0);
  EXPECT_TRUE(t.failed("192.0.2.1", t0));
}

TEST(throttle_table, memory_is_bounded_and_the_least_recently_failed_go_first) {
  auto c = three_in_a_minute();
  c.capacity = 64;
  c.initial_backoff = 60s;
  c.max_backoff = 120s;
  table t(c);
  // A blocked attacker stays blocked while 10,000 other addresses fail once each (its requests
  // are refused before they are decided, so it fails no more meanwhile).
  const char* attacker = "198.51.100.1";
  for (int i = 0; i < 3; ++i) t.failed(attacker, t0);
  ASSERT_TRUE(t.blocked(attacker, t0));
  const char* recent = "198.51.100.2";
  for (int i = 0; i < 10000; ++i) {
    const std::string other =
        "203.0." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256);
    t.failed(other, t0 + std::chrono::milliseconds(i));
    ASSERT_LE(t.tracked(), 64u);
  }
  EXPECT_TRUE(t.blocked(attacker, t0 + 10s));
  // Among addresses that are not blocked, the one that failed least recently gives way: two
  // failures of an address, then a flood, and its count is gone.
  t.failed(recent, t0 + 20s);
  t.failed(recent, t0 + 20s);
  for (int i = 0; i < 10000; ++i) {
    t.failed("203.1." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256),
             t0 + 21s + std::chrono::milliseconds(i));
  }
  EXPECT_FALSE(t.failed(recent, t0 + 40s));  // counted from 1 again, not 3
}

TEST(throttle_table, throttling_off_and_bad_settings) {
  za::throttle_config off;
  off.max_failures = 0;
  table t(off);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(t.failed("192.0.2.1", t0));
  EXPECT_FALSE(t.blocked("192.0.2.1", t0));
  auto bad = three_in_a_minute();
  bad.window = 0s;
  EXPECT_THROW(table{bad}, zmqsec::error);
  bad = three_in_a_minute();
  bad.max_backoff = 1ms;
  EXPECT_THROW(table{bad}, zmqsec::error);
  bad = three_in_a_minute();
  bad.exempt = {"not a rule"};
  EXPECT_THROW(table{bad}, zmqsec::error);
}

TEST(throttle_table, new_settings_keep_what_the_addresses_did) {
  table t(three_in_a_minute());
  const char* blocked = "192.0.2.7";
  const char* counting = "192.0.2.8";
  for (int i = 0; i < 3; ++i) t.failed(blocked, t0);
  t.failed(counting, t0);
  t.failed(counting, t0);
  // A longer window and a larger table (the entries move): the block and the count stay.
  auto bigger = three_in_a_minute();
  bigger.window = 120s;
  bigger.capacity = 100'000;
  t.reconfigure(bigger);
  EXPECT_EQ(t.config(), bigger);
  EXPECT_EQ(t.tracked(), 2u);
  EXPECT_TRUE(t.blocked(blocked, t0 + 500ms));
  EXPECT_TRUE(t.failed(counting, t0 + 1s));  // its third failure within the window
  // Exempt from now on: never blocked, whatever it did.
  auto exempting = bigger;
  exempting.exempt = {"192.0.2.7"};
  t.reconfigure(exempting);
  EXPECT_FALSE(t.blocked(blocked, t0 + 500ms));
  // Bad settings change nothing; throttling off forgets everything.
  auto bad = exempting;
  bad.window = 0s;
  EXPECT_THROW(t.reconfigure(bad), zmqsec::error);
  EXPECT_EQ(t.config(), exempting);
  EXPECT_TRUE(t.blocked(counting, t0 + 1s));
  auto off = exempting;
  off.max_failures = 0;
  t.reconfigure(off);
  EXPECT_EQ(t.tracked(), 0u);
  EXPECT_FALSE(t.blocked(counting, t0 + 1s));
}

TEST(throttle_table, a_policy_config_checks_the_settings_at_once) {
  za::policy_config config;
  EXPECT_FALSE(config.throttle().enabled());  // off until configured
  auto bad = three_in_a_minute();
  bad.exempt = {"10.0.0.0/8", "not a rule"};
  EXPECT_THROW(config.configure_throttle(bad), zmqsec::error);
  bad = three_in_a_minute();
  bad.capacity = za::max_throttle_capacity + 1;
  EXPECT_THROW(config.configure_throttle(bad), zmqsec::error);
  EXPECT_FALSE(config.throttle().enabled());  // nothing changed
  config.configure_throttle(three_in_a_minute());
  EXPECT_EQ(config.build()->throttle(), three_in_a_minute());
}
