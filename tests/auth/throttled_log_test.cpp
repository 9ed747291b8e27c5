// The decision log and a password guesser: a throttled address is logged once per quiet period,
// with the count of what was held back, while every other decision is logged as before.
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>

#include <zmqsec/auth/decision.hpp>

#include "decision_log.hpp"
#include "throttled_log.hpp"

namespace za = zmqsec::auth;
using za::detail::throttled_log;
using namespace std::chrono_literals;

namespace {

za::decision refusal(std::string_view address, std::string_view reason) {
  za::decision d;
  d.outcome = za::zap_outcome::reply;
  d.status = za::zap_status::failure;
  d.reason = reason;
  d.domain = "api";
  d.address = address;
  d.mechanism = "PLAIN";
  d.username = "admin";
  return d;
}

std::size_t count_of(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST(throttled_log_test, an_address_is_logged_once_per_quiet_period_with_what_was_held_back) {
  throttled_log limiter;
  const auto t0 = throttled_log::clock::now();
  std::uint64_t skipped = 99;
  EXPECT_TRUE(limiter.should_log("10.0.0.1", skipped, t0));
  EXPECT_EQ(skipped, 0u);
  for (int i = 0; i < 500; ++i) EXPECT_FALSE(limiter.should_log("10.0.0.1", skipped, t0 + 9s));
  EXPECT_TRUE(limiter.should_log("10.0.0.2", skipped, t0 + 9s));  // another address: its own
  EXPECT_EQ(skipped, 0u);
  EXPECT_TRUE(limiter.should_log("10.0.0.1", skipped, t0 + 10s));
  EXPECT_EQ(skipped, 500u);
  EXPECT_FALSE(limiter.should_log("10.0.0.1", skipped, t0 + 11s));
}

TEST(throttled_log_test, the_table_stays_bounded_and_forgets_quiet_addresses_first) {
  throttled_log limiter;
  const auto t0 = throttled_log::clock::now();
  std::uint64_t skipped = 0;
  for (std::size_t i = 0; i < throttled_log::addresses; ++i) {
    limiter.should_log("10.1." + std::to_string(i), skipped, t0);
  }
  ASSERT_TRUE(limiter.should_log("10.9.9.9", skipped, t0 + 1s));  // full: none quiet, all cleared
  EXPECT_FALSE(limiter.should_log("10.9.9.9", skipped, t0 + 2s));
  EXPECT_TRUE(limiter.should_log("10.1.0", skipped, t0 + 2s));  // forgotten: logged afresh
}

TEST(throttled_log_test, the_logging_observer_holds_back_a_flood_of_throttled_refusals_only) {
  std::ostringstream text;
  auto logger = std::make_shared<spdlog::logger>(
      "auth", std::make_shared<spdlog::sinks::ostream_sink_st>(text));
  int seen_by_user = 0;
  const auto observe = za::detail::logging_observer(
      logger, [&](const za::decision&) { ++seen_by_user; }, za::decision_logging::all);
  for (int i = 0; i < 1000; ++i) observe(refusal("192.0.2.7", "throttled"));
  for (int i = 0; i < 3; ++i) observe(refusal("192.0.2.7", "wrong password"));
  observe(refusal("192.0.2.8", "throttled"));

  const std::string log = text.str();
  EXPECT_EQ(count_of(log, "ZAP 400 throttled"), 2u) << log;
  EXPECT_EQ(count_of(log, "ZAP 400 wrong password"), 3u) << log;
  EXPECT_EQ(seen_by_user, 1004);  // the observer still sees every decision
}
