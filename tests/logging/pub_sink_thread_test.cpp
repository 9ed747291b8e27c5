// pub_sink with a sender thread (pub_sink_config::send_thread): log calls queue formatted records
// and a thread of the sink's sends them. The same promises as without it: every record delivered
// in order or counted and reported, block_for loses nothing, flush() and the end of the sink send
// what is queued.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <zmqsec/error.hpp>
#include <zmqsec/logging.hpp>

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

namespace {

constexpr std::size_t small_queue = 64 * 1024;  // the smallest the sink makes

std::shared_ptr<zl::pub_sink_mt> threaded_sink(
    zl::overflow_policy overflow = zl::overflow_policy::drop, int send_hwm = 100000,
    std::size_t queue_bytes = std::size_t{8} << 20) {
  auto sink =
      std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{.bind = {any_loopback_port},
                                                            .send_hwm = send_hwm,
                                                            .overflow = overflow,
                                                            .send_thread = true,
                                                            .send_queue_bytes = queue_bytes});
  sink->set_pattern("%v");
  return sink;
}

}  // namespace

TEST(pub_sink_thread_test, the_log_call_sends_by_default) {
  EXPECT_FALSE(zl::pub_sink_config{}.send_thread);
}

TEST(pub_sink_thread_test, a_sender_thread_delivers_every_record_in_order) {
  zmq::context_t context;
  auto sink = threaded_sink();
  sub_reader reader(context, {""}, 100000);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  constexpr int n = 5000;
  for (int i = 0; i < n; ++i) log.warn("disk::{}", i);

  const auto got = reader.receive(n, 30s);
  ASSERT_EQ(got.size(), std::size_t{n});
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(got[i], (frames{"WARNING.disk", std::to_string(i) + "\n"})) << i;
  }
  EXPECT_EQ(sink->dropped(), 0u);
  EXPECT_EQ(sink->records(), std::uint64_t{n});
}

TEST(pub_sink_thread_test, flush_returns_once_everything_queued_is_on_the_socket) {
  zmq::context_t context;
  auto sink = threaded_sink();
  sub_reader reader(context, {""}, 100000);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  constexpr std::uint64_t n = 20000;
  for (std::uint64_t i = 0; i < n; ++i) log.info("{}", i);
  log.flush();
  EXPECT_EQ(sink->records() + sink->dropped(), n);
  EXPECT_EQ(sink->dropped(), 0u);
}

TEST(pub_sink_thread_test, the_end_of_the_sink_sends_what_is_queued) {
  zmq::context_t context;
  sub_reader collector(context, {""}, 100000);
  const std::string endpoint = collector.bind();
  constexpr int n = 2000;
  {
    auto sink = std::make_shared<zl::pub_sink_mt>(
        zl::pub_sink_config{.connect = {endpoint}, .linger = 10s, .send_thread = true});
    sink->set_pattern("%v");
    ASSERT_TRUE(zmqsec::testing::wait_for_bound_subscriber(*sink, collector.socket()));
    spdlog::logger log("app", sink);
    for (int i = 0; i < n; ++i) log.info("{}", i);
  }  // no flush: the sink's end sends the queue, then the socket's linger delivers it
  const auto got = collector.receive(n, 30s);
  ASSERT_EQ(got.size(), std::size_t{n});
  EXPECT_EQ(got.back().payload, std::to_string(n - 1) + "\n");
}

TEST(pub_sink_thread_test, every_record_is_delivered_or_counted_with_a_slow_subscriber) {
  auto sink = threaded_sink(zl::overflow_policy::drop, 1000, small_queue);
  record_counter reader(sink->last_endpoint(), 1000, 1ms, 50);  // at most 50 records a ms
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  constexpr std::uint64_t n = 50000;
  for (std::uint64_t i = 0; i < n; ++i) log.info(kilobyte);

  EXPECT_GT(sink->dropped(), 0u) << "the subscriber kept up: the test proves nothing";
  EXPECT_TRUE(all_accounted_for(*sink, reader, n));
  EXPECT_GE(reader.reports(), 1u);
}

// A million records flat out through a queue of 64 KiB into subscriber queues of a thousand: the
// log calls wait for the sender, the sender for the subscriber, and nothing is lost.
TEST(pub_sink_thread_test, block_for_loses_nothing_at_any_burst_size) {
  auto sink = threaded_sink(zl::overflow_policy::block_for(10s), 1000, small_queue);
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

TEST(pub_sink_thread_test, a_record_larger_than_half_the_queue_is_dropped_and_reported) {
  zmq::context_t context;
  auto sink = threaded_sink(zl::overflow_policy::drop, 100000, small_queue);
  sub_reader reader(context);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  log.info(std::string(small_queue / 2 + 1, 'x'));
  EXPECT_EQ(sink->dropped(), 1u);
  log.info("after");

  const auto got = reader.receive(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (frames{"INFO", "after\n"}));
  EXPECT_EQ(got[1].topic, "WARNING.dropped");
  EXPECT_NE(got[1].payload.find("dropped 1 record in "), std::string::npos) << got[1].payload;
  EXPECT_NE(got[1].payload.find("(a record was larger than half the sink's queue)"),
            std::string::npos)
      << got[1].payload;
}

// After a quiet spell the sender thread sleeps until a log call wakes it: the next record must
// not wait for the thread's own periodic wake-up (two seconds).
TEST(pub_sink_thread_test, a_record_after_a_quiet_spell_is_sent_at_once) {
  zmq::context_t context;
  auto sink = threaded_sink();
  sub_reader reader(context);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  log.info("first");
  ASSERT_TRUE(reader.receive());
  std::this_thread::sleep_for(300ms);  // the scenario (a quiet spell), not a synchronisation
  const auto logged = std::chrono::steady_clock::now();
  log.info("second");
  const auto got = reader.receive(5s);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->payload, "second\n");
  EXPECT_LT(std::chrono::steady_clock::now() - logged, 1s);
}

TEST(pub_sink_thread_test, a_queue_of_no_bytes_is_refused) {
  EXPECT_THROW(zl::pub_sink_mt(zl::pub_sink_config{
                   .bind = {any_loopback_port}, .send_thread = true, .send_queue_bytes = 0}),
               zmqsec::error);
}
