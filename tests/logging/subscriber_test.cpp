// subscriber: records from one or more publishers, filtered by topic, handed to a local spdlog
// logger at their original levels; and the proxy that fans many publishers into many
// subscribers.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/logging.hpp>

#include "../support/wait_until.hpp"
#include "log_stream.hpp"

namespace zl = zmqsec::logging;
using zmqsec::testing::capture_sink;
using zmqsec::testing::captured;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<zl::pub_sink_mt> text_sink(zl::pub_sink_config config) {
  auto sink = std::make_shared<zl::pub_sink_mt>(std::move(config));
  sink->set_pattern("%v");
  return sink;
}

std::shared_ptr<zl::pub_sink_mt> bound_sink(const std::string& root_topic) {
  return text_sink({.bind = {zmqsec::testing::any_loopback_port}, .root_topic = root_topic});
}

// A collector's logger: everything it is handed, kept.
struct collector_logger {
  collector_logger() : sink(std::make_shared<capture_sink>()) {
    logger = std::make_shared<spdlog::logger>("collector", sink);
    logger->set_level(spdlog::level::trace);
  }
  std::shared_ptr<capture_sink> sink;
  std::shared_ptr<spdlog::logger> logger;
};

std::vector<std::string> topics_of(std::vector<zl::record> records) {
  std::vector<std::string> topics;
  for (const auto& r : records) topics.push_back(r.topic);
  std::sort(topics.begin(), topics.end());
  return topics;
}

// Dispatches until n records have been handed to the local logger, or 10 s have passed; returns
// how many were.
std::size_t dispatch_until(zl::subscriber& sub, std::size_t n) {
  std::size_t handed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (handed < n && std::chrono::steady_clock::now() < deadline) handed += sub.dispatch(1s);
  return handed;
}

}  // namespace

TEST(subscriber_test, hands_records_to_a_local_logger_at_their_original_levels) {
  auto sink = bound_sink("remote");
  collector_logger local;
  zl::subscriber sub({.connect = {sink->last_endpoint()}}, local.logger);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  spdlog::logger remote("app", sink);
  remote.set_level(spdlog::level::trace);
  remote.trace("t");
  remote.debug("d");
  remote.info("i");
  remote.warn("disk::w");
  remote.error("e");
  remote.critical("c");
  ASSERT_EQ(dispatch_until(sub, 6), 6u);

  const auto got = local.sink->records();
  ASSERT_EQ(got.size(), 6u);
  const std::vector<std::pair<spdlog::level::level_enum, std::string>> expected = {
      {spdlog::level::trace, "t"}, {spdlog::level::debug, "d"}, {spdlog::level::info, "i"},
      {spdlog::level::warn, "w"},  {spdlog::level::err, "e"},   {spdlog::level::critical, "c"}};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].level, expected[i].first) << i;
    EXPECT_EQ(got[i].text, expected[i].second) << i;
    EXPECT_EQ(got[i].logger, "collector");
  }
}

// A stream repeats its topics record after record; each record still gets its own topic's level.
TEST(subscriber_test, each_record_keeps_its_level_when_topics_repeat_and_alternate) {
  auto sink = bound_sink("remote");
  collector_logger local;
  zl::subscriber sub({.connect = {sink->last_endpoint()}}, local.logger);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger remote("app", sink);
  remote.info("1");
  remote.info("2");
  remote.error("3");
  remote.info("4");
  remote.error("5");
  remote.error("6");
  remote.warn("disk::7");
  remote.warn("8");
  ASSERT_EQ(dispatch_until(sub, 8), 8u);
  const auto got = local.sink->records();
  ASSERT_EQ(got.size(), 8u);
  using spdlog::level::err, spdlog::level::info, spdlog::level::warn;
  const spdlog::level::level_enum expected[] = {info, info, err, info, err, err, warn, warn};
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].level, expected[i]) << i;
    EXPECT_EQ(got[i].text, std::to_string(i + 1)) << i;
  }
}

TEST(subscriber_test, the_local_loggers_level_still_filters) {
  auto sink = bound_sink("");
  collector_logger local;
  local.logger->set_level(spdlog::level::warn);
  zl::subscriber sub({.connect = {sink->last_endpoint()}}, local.logger);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger remote("app", sink);
  remote.info("quiet");
  remote.error("loud");
  ASSERT_EQ(sub.dispatch(10s) + sub.dispatch(1s), 2u);  // both received, one kept
  const auto got = local.sink->records();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "loud");
}

TEST(subscriber_test, with_topic_keeps_where_a_record_came_from) {
  auto sink = bound_sink("billing");
  collector_logger local;
  zl::subscriber sub({.connect = {sink->last_endpoint()}, .with_topic = true}, local.logger);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("app", sink).warn("db::slow query");
  ASSERT_EQ(sub.dispatch(10s), 1u);
  EXPECT_EQ(local.sink->records().at(0).text, "billing.WARNING.db: slow query");
}

TEST(subscriber_test, receives_from_several_publishers_with_topic_filters) {
  auto a = bound_sink("a");
  auto b = bound_sink("b");
  zl::subscriber sub(
      {.connect = {a->last_endpoint(), b->last_endpoint()}, .topics = {"a.ERROR", "b."}});
  ASSERT_TRUE(a->wait_for_subscriptions(2, 10s));
  ASSERT_TRUE(b->wait_for_subscriptions(2, 10s));
  spdlog::logger log_a("a", a), log_b("b", b);
  log_a.info("filtered out");
  log_a.error("kept");
  log_b.info("kept");
  log_b.critical("net::kept");

  std::vector<zl::record> got;
  while (got.size() < 3) {
    auto r = sub.receive(10s);
    ASSERT_TRUE(r);
    got.push_back(std::move(*r));
  }
  EXPECT_EQ(topics_of(got), (std::vector<std::string>{"a.ERROR", "b.CRITICAL.net", "b.INFO"}));
  const auto net =
      std::find_if(got.begin(), got.end(), [](auto& r) { return r.subtopic == "net"; });
  ASSERT_NE(net, got.end());
  EXPECT_EQ(net->root_topic, "b");
  EXPECT_EQ(net->level, spdlog::level::critical);
  EXPECT_EQ(net->level_name, "CRITICAL");
  EXPECT_EQ(net->message(), "kept");
  EXPECT_FALSE(sub.receive(100ms));  // "a.INFO" never came
}

TEST(subscriber_test, binds_for_publishers_that_connect) {
  zl::subscriber sub({.bind = {zmqsec::testing::any_loopback_port}});
  ASSERT_EQ(sub.bound_endpoints().size(), 1u);
  std::vector<std::shared_ptr<zl::pub_sink_mt>> workers;
  for (const char* name : {"w1", "w2"}) {
    workers.push_back(text_sink({.connect = {sub.bound_endpoints()[0]}, .root_topic = name}));
  }
  for (auto& w : workers) {
    ASSERT_TRUE(zmqsec::testing::wait_for_bound_subscriber(*w, sub.socket()));
    spdlog::logger("worker", w).info("ready");
  }
  auto first = sub.receive(10s);
  auto second = sub.receive(10s);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(topics_of({*first, *second}), (std::vector<std::string>{"w1.INFO", "w2.INFO"}));
}

TEST(subscriber_test, messages_that_are_not_records_are_skipped_and_counted) {
  zmq::context_t context;
  zmq::socket_t pub(context, zmq::socket_type::xpub);
  pub.set(zmq::sockopt::linger, 0);
  pub.bind(zmqsec::testing::any_loopback_port);
  zl::subscriber sub({.connect = {pub.get(zmq::sockopt::last_endpoint)}});
  zmq::message_t subscription;
  ASSERT_TRUE(pub.recv(subscription));  // XPUB: the subscription has arrived

  pub.send(zmq::str_buffer("INFO"), zmq::send_flags::none);
  pub.send(zmq::str_buffer("INFO"), zmq::send_flags::sndmore);
  pub.send(zmq::str_buffer("a"), zmq::send_flags::sndmore);
  pub.send(zmq::str_buffer("b"), zmq::send_flags::none);
  pub.send(zmq::str_buffer("ERROR"), zmq::send_flags::sndmore);
  pub.send(zmq::str_buffer("real\n"), zmq::send_flags::none);
  const auto r = sub.receive(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->topic, "ERROR");
  EXPECT_EQ(r->message(), "real");
  EXPECT_EQ(sub.skipped(), 2u);
}

TEST(subscriber_test, receive_each_hands_over_every_queued_record_until_told_to_stop) {
  zmq::context_t context;
  zmq::socket_t pub(context, zmq::socket_type::xpub);
  pub.set(zmq::sockopt::linger, 0);
  pub.bind(zmqsec::testing::any_loopback_port);
  zl::subscriber sub({.connect = {pub.get(zmq::sockopt::last_endpoint)}});
  zmq::message_t subscription;
  ASSERT_TRUE(pub.recv(subscription));
  for (const char* text : {"one\n", "two\n", "three\n", "four\n"}) {
    pub.send(zmq::str_buffer("app.INFO"), zmq::send_flags::sndmore);
    pub.send(zmq::buffer(std::string_view(text)), zmq::send_flags::none);
  }
  pub.send(zmq::str_buffer("not a record"), zmq::send_flags::none);
  pub.send(zmq::str_buffer("app.ERROR"), zmq::send_flags::sndmore);
  pub.send(zmq::str_buffer("five\n"), zmq::send_flags::none);

  std::vector<std::string> seen;
  const auto take_until_three = [&](std::string_view topic, std::string_view payload) {
    seen.push_back(std::string(topic) + " " + std::string(payload));
    return payload != "three\n";
  };
  // The first call waits for the first record, then takes what is queued behind it; whether all
  // of it has arrived by then is libzmq's business, so the calls go on until three is seen.
  std::size_t handed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while ((seen.empty() || seen.back() != "app.INFO three\n") &&
         std::chrono::steady_clock::now() < deadline) {
    handed += sub.receive_each(1s, take_until_three);
  }
  EXPECT_EQ(seen,
            (std::vector<std::string>{"app.INFO one\n", "app.INFO two\n", "app.INFO three\n"}));
  EXPECT_EQ(handed, 3u);
  seen.clear();
  while (seen.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    sub.receive_each(1s, [&](std::string_view topic, std::string_view payload) {
      seen.push_back(std::string(topic) + " " + std::string(payload));
      return true;
    });
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"app.INFO four\n", "app.ERROR five\n"}));
  EXPECT_EQ(sub.skipped(), 1u);
  EXPECT_EQ(sub.received(), 5u);
  EXPECT_EQ(sub.receive_each(20ms, take_until_three), 0u);
}

TEST(subscriber_test, receive_and_dispatch_time_out_when_nothing_comes) {
  auto sink = bound_sink("quiet");
  collector_logger local;
  zl::subscriber sub({.connect = {sink->last_endpoint()}}, local.logger);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sub.receive(50ms));
  EXPECT_EQ(sub.dispatch(50ms), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
}

TEST(subscriber_test, dispatch_without_a_logger_is_an_error) {
  zl::subscriber sub({.bind = {"inproc://nobody"}});
  EXPECT_THROW(sub.dispatch(1ms), zmqsec::error);
  EXPECT_THROW(sub.run(std::stop_token()), zmqsec::error);
}

TEST(subscriber_test, run_dispatches_until_stopped_and_stops_promptly) {
  auto sink = bound_sink("svc");
  collector_logger local;
  zl::subscriber sub({.connect = {sink->last_endpoint()}}, local.logger);
  std::jthread runner([&sub](std::stop_token stop) { sub.run(stop); });
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger remote("app", sink);
  for (int i = 0; i < 100; ++i) remote.info("record {}", i);
  ASSERT_TRUE(zmqsec::testing::wait_until([&] { return local.sink->size() == 100; }));

  const auto start = std::chrono::steady_clock::now();
  runner.request_stop();
  runner.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(local.sink->records().back().text, "record 99");
}

TEST(subscriber_test, bad_endpoints_throw_zmqsec_errors) {
  EXPECT_THROW(zl::subscriber({.connect = {"nonsense://x"}}), zmqsec::error);
  zl::subscriber first({.bind = {zmqsec::testing::any_loopback_port}});
  EXPECT_THROW(zl::subscriber({.bind = {first.bound_endpoints()[0]}}), zmqsec::error);
}

TEST(proxy_test, fans_several_publishers_into_several_subscribers) {
  zl::proxy hub({.frontend = {zmqsec::testing::any_loopback_port},
                 .backend = {zmqsec::testing::any_loopback_port}});
  const auto frontend = hub.frontend_endpoints().at(0);
  const auto backend = hub.backend_endpoints().at(0);

  zl::subscriber everything({.connect = {backend}});
  zl::subscriber one_worker({.connect = {backend}, .topics = {"w2."}});
  zl::subscriber errors_of_w3({.connect = {backend}, .topics = {"w3.ERROR"}});
  std::vector<std::shared_ptr<zl::pub_sink_mt>> workers;
  for (const char* name : {"w1", "w2", "w3"}) {
    workers.push_back(text_sink({.connect = {frontend}, .root_topic = name}));
  }
  // The proxy's XPUB passes every subscribe request upstream: each worker sees all three.
  for (auto& w : workers) ASSERT_TRUE(w->wait_for_subscriptions(3, 10s));
  for (auto& w : workers) {
    spdlog::logger log("worker", w);
    log.info("up");
    log.error("down");
  }

  const auto take = [](zl::subscriber& sub, std::size_t n) {
    std::vector<zl::record> got;
    while (got.size() < n) {
      auto r = sub.receive(10s);
      if (!r) break;
      got.push_back(std::move(*r));
    }
    EXPECT_FALSE(sub.receive(100ms)) << "more than " << n;
    return topics_of(got);
  };
  EXPECT_EQ(take(everything, 6), (std::vector<std::string>{"w1.ERROR", "w1.INFO", "w2.ERROR",
                                                           "w2.INFO", "w3.ERROR", "w3.INFO"}));
  EXPECT_EQ(take(one_worker, 2), (std::vector<std::string>{"w2.ERROR", "w2.INFO"}));
  EXPECT_EQ(take(errors_of_w3, 1), (std::vector<std::string>{"w3.ERROR"}));
}

TEST(proxy_test, stops_promptly_when_destroyed) {
  const auto start = std::chrono::steady_clock::now();
  { zl::proxy hub({.frontend = {"inproc://front"}, .backend = {"inproc://back"}}); }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

// Endpoints libzmq would reinterpret (a port past 65535 wraps) are refused by the library before
// the socket binds or connects anything.
TEST(subscriber_test, refuses_malformed_endpoints_before_binding_anything) {
  for (const auto& config : {zmqsec::logging::subscriber_config{.bind = {"tcp://127.0.0.1:99999"}},
                             zmqsec::logging::subscriber_config{.connect = {"tcp://127.0.0.1:-1"}},
                             zmqsec::logging::subscriber_config{.connect = {"tcp://127.0.0.1"},
                             .bind = {"tcp://127.0.0.1:*"}}}) {
    try {
      zmqsec::logging::subscriber sub(config);
      ADD_FAILURE() << "accepted";
    } catch (const zmqsec::error& e) {
      EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument) << e.what();
      EXPECT_NE(std::string(e.what()).find("endpoint tcp://127.0.0.1"), std::string::npos)
          << e.what();
    }
  }
}
