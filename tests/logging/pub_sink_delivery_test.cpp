// pub_sink under pressure: a stalled subscriber (the logger keeps going, drops are counted and
// reported), a subscriber that keeps up (nothing lost), failures that must not reach the caller,
// the async logger, shutdown bounded by linger, and a CURVE-secured stream.
#include <gtest/gtest.h>
#include <spdlog/async.h>
#include <spdlog/spdlog.h>
#include <zmq.h>

#include <array>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/logging.hpp>

#include "../support/wait_until.hpp"
#include "log_stream.hpp"
#include "pressure.hpp"

namespace zl = zmqsec::logging;
using zmqsec::testing::frames;
using zmqsec::testing::sub_reader;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

using zmqsec::testing::counting_reader;
using zmqsec::testing::kilobyte;
using zmqsec::testing::log_until_accepted;
using zmqsec::testing::stall;

}  // namespace

TEST(pub_sink_delivery_test, a_stalled_subscriber_costs_dropped_records_never_a_blocked_logger) {
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.bind = {zmqsec::testing::any_loopback_port}, .send_hwm = 100});
  sink->set_pattern("%v");
  spdlog::logger log("app", sink);
  sub_reader stalled(context, {""}, 100);
  stalled.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  std::uint64_t sent = stall(log, *sink);
  ASSERT_GT(sink->dropped(), 0u);

  // The subscriber reads again. Every record was either received or dropped, and the drops were
  // all reported: while the kernel's buffers grew, records flowed now and then, each time after a
  // report; the last report follows the first record that gets through now.
  std::uint64_t received = 0;
  std::uint64_t reported = 0;
  std::optional<frames> last;
  const auto take = [&](const frames& f) {
    if (f.topic != "WARNING.dropped") {
      ++received;
      last = f;
      return false;
    }
    std::uint64_t n = 0;
    EXPECT_EQ(std::sscanf(f.payload.c_str(), "dropped %" SCNu64, &n), 1) << f.payload;
    EXPECT_TRUE(f.payload.ends_with(" (a subscriber's queue was full)\n")) << f.payload;
    reported += n;
    return last == frames{"INFO", "after\n"};  // the report that follows the last record
  };
  sent += log_until_accepted(log, *sink, stalled, "after", spdlog::level::info, take);
  for (;;) {
    auto f = stalled.receive();
    ASSERT_TRUE(f) << "no drop report after the last record";
    if (take(*f)) break;
  }
  EXPECT_EQ(received + sink->dropped(), sent);
  EXPECT_EQ(reported, sink->dropped());
  EXPECT_FALSE(stalled.receive(50ms));
}

TEST(pub_sink_delivery_test, the_drop_report_takes_the_highest_level_dropped) {
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{
      .bind = {zmqsec::testing::any_loopback_port}, .root_topic = "app", .send_hwm = 10});
  sink->set_pattern("%v");
  spdlog::logger log("app", sink);
  sub_reader stalled(context, {"app.ERROR"}, 10);
  stalled.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  stall(log, *sink, spdlog::level::err);
  ASSERT_GT(sink->dropped(), 0u);
  log_until_accepted(log, *sink, stalled, "flows again", spdlog::level::err, [](const frames&) {});
  // Only errors were dropped, and a subscriber to errors learns of them.
  for (;;) {
    const auto f = stalled.receive();
    ASSERT_TRUE(f) << "the record that got through never came";
    if (*f == frames{"app.ERROR", "flows again\n"}) break;
  }
  const auto report = stalled.receive();
  ASSERT_TRUE(report);
  EXPECT_EQ(report->topic, "app.ERROR.dropped");
}

// One subscriber reads everything, another never reads. The records are logged in batches that
// wait for the reader to catch up, so that only the stalled subscriber's queue can overflow.
struct two_subscribers {
  explicit two_subscribers(bool count_drops)
      : sink(std::make_shared<zl::pub_sink_mt>(
            zl::pub_sink_config{.bind = {zmqsec::testing::any_loopback_port},
                                .send_hwm = 100,
                                .count_drops = count_drops})),
        stalled(context, {""}, 100),
        reader(context, sink->last_endpoint()) {
    stalled.connect(sink->last_endpoint());
    EXPECT_TRUE(sink->wait_for_subscriptions(2, 10s));
  }

  void run(std::uint64_t records) {
    spdlog::logger log("app", sink);
    for (std::uint64_t batch = 0; batch < records / 50; ++batch) {
      for (int i = 0; i < 50; ++i) log.info(kilobyte);
      sent += 50;
      ASSERT_TRUE(zmqsec::testing::wait_until([&] {
        return reader.count() + sink->dropped() >= sent;
      })) << "the reader fell behind";
    }
  }

  zmq::context_t context;
  std::shared_ptr<zl::pub_sink_mt> sink;
  sub_reader stalled;
  counting_reader reader;
  std::uint64_t sent = 0;
};

TEST(pub_sink_delivery_test, counting_drops_means_a_stalled_subscriber_holds_back_the_others) {
  two_subscribers s(true);
  s.run(20000);
  EXPECT_GT(s.sink->dropped(), 0u);
  EXPECT_EQ(s.reader.count() + s.sink->dropped(), s.sent);
}

TEST(pub_sink_delivery_test, without_counting_a_subscriber_that_keeps_up_loses_nothing) {
  two_subscribers s(false);
  s.run(20000);
  EXPECT_EQ(s.sink->dropped(), 0u);
  EXPECT_EQ(s.reader.count(), s.sent);
}

TEST(pub_sink_delivery_test, a_subscriber_that_keeps_up_gets_every_record_in_order) {
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_mt>(zmqsec::testing::any_loopback_port);
  sink->set_pattern("%v");
  sub_reader reader(context, {""}, 100000);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger log("app", sink);
  constexpr int n = 5000;  // below the default send_hwm: no reading needed meanwhile
  for (int i = 0; i < n; ++i) log.info("{}", i);
  const auto got = reader.receive(n);
  ASSERT_EQ(got.size(), std::size_t{n});
  for (int i = 0; i < n; ++i) ASSERT_EQ(got[i].payload, std::to_string(i) + "\n");
  EXPECT_EQ(sink->dropped(), 0u);
}

TEST(pub_sink_delivery_test, async_logger_publishes_from_the_pool_thread) {
  zmq::context_t context;
  auto log = zl::pub_logger_mt<spdlog::async_factory>(
      "async-app",
      zl::pub_sink_config{.bind = {zmqsec::testing::any_loopback_port}, .root_topic = "async"});
  auto sink = std::dynamic_pointer_cast<zl::pub_sink_mt>(log->sinks().at(0));
  ASSERT_TRUE(sink);
  sink->set_pattern("%v");
  sub_reader reader(context, {""}, 100000);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < 500; ++i) log->warn("t{}::{}", t, i);
    });
  }
  threads.clear();
  log->flush();

  const auto got = reader.receive(2000);
  ASSERT_EQ(got.size(), 2000u);
  std::array<int, 4> next{};
  for (const auto& f : got) {  // each thread's records in its order
    const int t = f.topic.back() - '0';
    ASSERT_EQ(f.topic, "async.WARNING.t" + std::to_string(t));
    ASSERT_EQ(f.payload, std::to_string(next[t]++) + "\n");
  }
  EXPECT_EQ(sink->dropped(), 0u);
  spdlog::drop("async-app");
}

TEST(pub_sink_delivery_test, a_log_call_never_throws_when_the_context_is_gone) {
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.bind = {"inproc://gone"}, .context = &context});
  zmq_ctx_shutdown(context.handle());
  spdlog::details::log_msg msg("app", spdlog::level::info, "into the void");
  EXPECT_NO_THROW(sink->log(msg));
  EXPECT_NO_THROW(sink->log(msg));
  EXPECT_NO_THROW(sink->flush());
  EXPECT_EQ(sink->dropped(), 2u);
}

namespace {

// Throws for one message, as a formatter with a bug might.
class fragile_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view text(msg.payload.data(), msg.payload.size());
    if (text == "boom") throw std::runtime_error("formatter bug");
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<fragile_formatter>();
  }
};

}  // namespace

TEST(pub_sink_delivery_test, a_throwing_formatter_costs_one_counted_and_reported_record) {
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_mt>(zmqsec::testing::any_loopback_port);
  sink->set_formatter(std::make_unique<fragile_formatter>());
  sub_reader reader(context);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  spdlog::details::log_msg boom("app", spdlog::level::err, "boom");
  EXPECT_NO_THROW(sink->log(boom));
  EXPECT_EQ(sink->dropped(), 1u);
  spdlog::details::log_msg fine("app", spdlog::level::info, "fine");
  sink->log(fine);
  const auto got = reader.receive(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (frames{"INFO", "fine"}));
  EXPECT_EQ(got[1].topic, "ERROR.dropped");
  // One record: the interval is one instant.
  const std::string from = got[1].payload.substr(got[1].payload.find(" from ") + 6, 27);
  EXPECT_EQ(got[1].payload,
            "dropped 1 record in 0.000000 s from " + from + " to " + from + " (formatting failed)");
}

TEST(pub_sink_delivery_test, closing_delivers_queued_records_to_a_live_subscriber) {
  zmq::context_t context;
  sub_reader reader(context, {""}, 100000);
  const auto endpoint = reader.bind();
  {
    auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{.connect = {endpoint}});
    sink->set_pattern("%v");
    ASSERT_TRUE(zmqsec::testing::wait_for_bound_subscriber(*sink, reader.socket()));
    spdlog::logger log("app", sink);
    for (int i = 0; i < 1000; ++i) log.info(kilobyte);
  }  // closed at once, with a megabyte on its way
  EXPECT_EQ(reader.receive(1000, 10s).size(), 1000u);
  EXPECT_FALSE(reader.receive(50ms));
}

// How long the records stuck in the queue keep closing waiting depends on the kernel, which may
// still take some of them: what the sink promises is the bound.
TEST(pub_sink_delivery_test, closing_with_a_stalled_subscriber_waits_no_longer_than_linger) {
  zmq::context_t context;
  sub_reader stalled(context, {""}, 10);
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.bind = {zmqsec::testing::any_loopback_port},
                          .send_hwm = 10,
                          .linger = std::chrono::milliseconds(300)});
  stalled.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  {
    spdlog::logger log("app", sink);
    stall(log, *sink);  // records are stuck in the queue
  }

  // Closing runs on another thread so that an unbounded wait fails the test instead of hanging.
  std::promise<clock_type::duration> closing;
  auto closed = closing.get_future();
  std::thread([sink = std::move(sink), closing = std::move(closing)]() mutable {
    const auto start = clock_type::now();
    sink.reset();
    closing.set_value(clock_type::now() - start);
  }).detach();
  ASSERT_EQ(closed.wait_for(10s), std::future_status::ready) << "closing the sink hangs";
  EXPECT_LT(closed.get(), 300ms + 1s);
}

TEST(pub_sink_delivery_test, closing_without_subscribers_is_immediate) {
  const auto start = clock_type::now();
  {
    auto sink = std::make_shared<zl::pub_sink_mt>(zmqsec::testing::any_loopback_port);
    spdlog::logger log("app", sink);
    for (int i = 0; i < 1000; ++i) log.info("nobody listens");
    EXPECT_EQ(sink->dropped(), 0u);  // no subscriber: nothing was refused
  }
  EXPECT_LT(clock_type::now() - start, 500ms);
}

namespace {

struct curve_keys {
  curve_keys() {
    char pub[41], sec[41];
    EXPECT_EQ(zmq_curve_keypair(pub, sec), 0);
    public_key = pub;
    secret_key = sec;
  }
  std::string public_key, secret_key;
};

}  // namespace

// A CURVE server socket that the caller set up; libzmq accepts any CURVE client while no ZAP
// handler is bound (the authenticator's test comes with the auth module).
TEST(pub_sink_delivery_test, curve_server_socket_streams_only_to_curve_clients_with_its_key) {
  zmq::context_t context;
  const curve_keys server, client, impostor;
  zmq::socket_t socket(context, zmq::socket_type::xpub);
  socket.set(zmq::sockopt::curve_server, true);
  socket.set(zmq::sockopt::curve_secretkey, server.secret_key);
  socket.bind(zmqsec::testing::any_loopback_port);
  const std::string endpoint = socket.get(zmq::sockopt::last_endpoint);
  auto sink = std::make_shared<zl::pub_sink_mt>(std::move(socket),
                                                zl::pub_sink_config{.root_topic = "secure"});
  sink->set_pattern("%v");

  sub_reader trusted(context);
  trusted.socket().set(zmq::sockopt::curve_serverkey, server.public_key);
  trusted.socket().set(zmq::sockopt::curve_publickey, client.public_key);
  trusted.socket().set(zmq::sockopt::curve_secretkey, client.secret_key);
  trusted.connect(endpoint);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  sub_reader plain(context);
  plain.connect(endpoint);
  sub_reader wrong_key(context);
  wrong_key.socket().set(zmq::sockopt::curve_serverkey, impostor.public_key);
  wrong_key.socket().set(zmq::sockopt::curve_publickey, client.public_key);
  wrong_key.socket().set(zmq::sockopt::curve_secretkey, client.secret_key);
  wrong_key.connect(endpoint);
  EXPECT_FALSE(sink->wait_for_subscriptions(2, 300ms));  // neither gets through the handshake

  spdlog::logger("app", sink).error("auth::secret matters");
  EXPECT_EQ(trusted.receive(), (frames{"secure.ERROR.auth", "secret matters\n"}));
  EXPECT_FALSE(plain.receive(100ms));
  EXPECT_FALSE(wrong_key.receive(100ms));
}
