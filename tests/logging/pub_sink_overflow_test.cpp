// pub_sink when a subscriber falls behind: the overflow policy (drop at once, or wait a bounded
// time for room), exact accounting (every record logged is delivered or counted in dropped()),
// and the drop report with its count and interval.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <regex>
#include <string>

#include <zmqsec/error.hpp>
#include <zmqsec/logging.hpp>

#include "../cli/json.hpp"
#include "../support/wait_until.hpp"
#include "log_stream.hpp"
#include "pressure.hpp"

namespace zl = zmqsec::logging;
using zmqsec::testing::all_accounted_for;
using zmqsec::testing::any_loopback_port;
using zmqsec::testing::frames;
using zmqsec::testing::kilobyte;
using zmqsec::testing::record_counter;
using zmqsec::testing::sub_reader;
using zmqsec::testing::wait_until;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

std::shared_ptr<zl::pub_sink_mt> sink_with(zl::overflow_policy overflow, int send_hwm,
                                           zl::payload_format payload = {}) {
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{
      .bind = {any_loopback_port}, .payload = payload, .send_hwm = send_hwm, .overflow = overflow});
  sink->set_pattern("%v");
  return sink;
}

// "dropped 3 records in 0.000210 s from 2026-12-02T10:04:05.123456Z to 2026-12-02T10:04:05.123666Z
// (a subscriber's queue was full)"
const std::regex drop_report(
    R"(dropped (\d+) records? in (\d+\.\d{6}) s from (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) )"
    R"(to (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) \(([^)]*)\)\n?)");

}  // namespace

TEST(pub_sink_overflow_test, drop_is_the_default) {
  EXPECT_EQ(zl::pub_sink_config{}.overflow, zl::overflow_policy::drop);
  EXPECT_FALSE(zl::overflow_policy::drop.blocks());
  EXPECT_EQ(zl::overflow_policy::block_for(250ms).wait(), 250ms);
  EXPECT_EQ(zl::overflow_policy::block_for(0ms).wait(), 1ms);  // never "do not wait" by accident
}

// The same slow subscriber as below, with drop: the logger runs ahead and records are lost, but
// every one of them is counted and reported.
TEST(pub_sink_overflow_test, every_record_is_delivered_or_counted_with_a_slow_subscriber) {
  auto sink = sink_with(zl::overflow_policy::drop, 1000);
  record_counter reader(sink->last_endpoint(), 1000, 1ms, 50);  // at most 50 records a ms
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  constexpr std::uint64_t n = 50000;
  for (std::uint64_t i = 0; i < n; ++i) log.info(kilobyte);

  EXPECT_GT(sink->dropped(), 0u) << "the subscriber kept up: the test proves nothing";
  EXPECT_TRUE(all_accounted_for(*sink, reader, n));
  EXPECT_GE(reader.reports(), 1u);
}

TEST(pub_sink_overflow_test, block_for_waits_for_a_slow_subscriber_and_loses_nothing) {
  auto sink = sink_with(zl::overflow_policy::block_for(10s), 1000);
  record_counter reader(sink->last_endpoint(), 1000, 1ms, 50);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  constexpr std::uint64_t n = 20000;
  for (std::uint64_t i = 0; i < n; ++i) log.info(kilobyte);

  EXPECT_EQ(sink->dropped(), 0u);
  EXPECT_TRUE(all_accounted_for(*sink, reader, n));
  EXPECT_EQ(reader.reports(), 0u);
}

// A million records flat out into queues of a thousand: the burst is a thousand times what the
// queues hold, and a subscriber that keeps up on average gets every one, in order.
TEST(pub_sink_overflow_test, block_for_loses_nothing_at_any_burst_size) {
  auto sink = sink_with(zl::overflow_policy::block_for(10s), 1000);
  record_counter reader(sink->last_endpoint(), 1000);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  constexpr std::uint64_t n = 1000000;
  for (std::uint64_t i = 0; i < n; ++i) log.info("{}", i);

  EXPECT_EQ(sink->dropped(), 0u);
  ASSERT_TRUE(wait_until([&] { return reader.records() >= n; }, 120s)) << reader.records();
  EXPECT_EQ(reader.records(), n);
  EXPECT_EQ(reader.last_payload(), std::to_string(n - 1) + "\n");
  EXPECT_EQ(reader.reports(), 0u);
}

// A subscriber that never reads: each log call waits its time, then the record is dropped,
// counted and reported like any other.
TEST(pub_sink_overflow_test, block_for_waits_its_time_then_drops_when_a_subscriber_stalls) {
  zmq::context_t context;
  auto sink = sink_with(zl::overflow_policy::block_for(30ms), 10);
  sub_reader stalled(context, {""}, 10);
  stalled.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  zmqsec::testing::stall(log, *sink);

  // libzmq's I/O thread may still move a queued record into the kernel's buffers now and then
  // (late, on a busy machine), letting one more call through: the first call that drops is the
  // one that must have waited its time.
  const auto deadline = clock_type::now() + 10s;
  while (clock_type::now() < deadline) {
    const auto before = sink->dropped();
    const auto start = clock_type::now();
    log.info(kilobyte);
    const auto waited = clock_type::now() - start;
    if (sink->dropped() == before) continue;
    EXPECT_EQ(sink->dropped(), before + 1);
    EXPECT_GE(waited, 25ms);  // libzmq's timeout, in whole milliseconds
    EXPECT_LT(waited, 30ms + 2s);
    return;
  }
  FAIL() << "no log call dropped its record against a stalled subscriber";
}

TEST(pub_sink_overflow_test, block_for_needs_drops_that_can_be_counted) {
  EXPECT_THROW(zl::pub_sink_mt(zl::pub_sink_config{.bind = {any_loopback_port},
                                                   .count_drops = false,
                                                   .overflow = zl::overflow_policy::block_for(1s)}),
               zmqsec::error);
  zmq::context_t context;
  zmq::socket_t pub(context, zmq::socket_type::pub);
  EXPECT_THROW(zl::pub_sink_mt(std::move(pub),
                               zl::pub_sink_config{.overflow = zl::overflow_policy::block_for(1s)}),
               zmqsec::error);
}

TEST(pub_sink_overflow_test, the_drop_report_gives_the_count_and_the_interval) {
  zmq::context_t context;
  auto sink = sink_with(zl::overflow_policy::drop, 10);
  sub_reader stalled(context, {""}, 10);
  stalled.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  zmqsec::testing::stall(log, *sink);  // drops for at least 100 ms

  std::optional<frames> report;
  const auto take = [&](const frames& f) {
    if (!report && f.topic == "WARNING.dropped") report = f;
  };
  zmqsec::testing::log_until_accepted(log, *sink, stalled, "after", spdlog::level::info, take);
  const auto deadline = clock_type::now() + 10s;
  while (!report && clock_type::now() < deadline) {
    sink->flush();  // sends the report if the record that got through could not take it along
    if (auto f = stalled.receive(100ms)) take(*f);
  }
  ASSERT_TRUE(report) << "no drop report";
  std::smatch parts;
  ASSERT_TRUE(std::regex_match(report->payload, parts, drop_report)) << report->payload;
  EXPECT_GE(std::stoull(parts[1]), 1u);
  EXPECT_GE(std::stod(parts[2]), 0.0);
  EXPECT_LE(parts[3].str(), parts[4].str());  // the same format: text order is time order
  EXPECT_EQ(parts[5].str(), "a subscriber's queue was full");
}

TEST(pub_sink_overflow_test, a_json_drop_report_gives_the_count_and_the_interval) {
  zmq::context_t context;
  auto sink = sink_with(zl::overflow_policy::drop, 10, zl::payload_format::json);
  sub_reader stalled(context, {""}, 10);
  stalled.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  zmqsec::testing::stall(log, *sink);

  std::uint64_t reported = 0;
  std::string from, to;
  const auto take = [&](const frames& f) {
    if (f.topic != "WARNING.dropped") return;
    const auto report = zmqsec::testing::parse_json(f.payload);
    reported += static_cast<std::uint64_t>(report.at("dropped").number);
    if (from.empty()) from = report.at("dropped_from").string;
    to = report.at("dropped_to").string;
    EXPECT_TRUE(report.at("message").string.starts_with("dropped ")) << f.payload;
  };
  zmqsec::testing::log_until_accepted(log, *sink, stalled, "after", spdlog::level::info, take);
  const auto deadline = clock_type::now() + 10s;
  while (reported < sink->dropped() && clock_type::now() < deadline) {
    sink->flush();
    if (auto f = stalled.receive(100ms)) take(*f);
  }
  EXPECT_EQ(reported, sink->dropped());
  EXPECT_EQ(from.size(), 27u) << from;
  EXPECT_LE(from, to);
}
