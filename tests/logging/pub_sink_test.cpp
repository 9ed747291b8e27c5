// pub_sink: the frames a subscriber receives (topics, subtopics, root topic, unicode, formatters,
// JSON payloads) and the ways its socket is set up (bind, connect, ipc, inproc, a caller's
// socket), over real sockets.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <future>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/logging.hpp>

#include "../cli/json.hpp"
#include "../support/temp_dir.hpp"
#include "log_stream.hpp"

namespace zl = zmqsec::logging;
using zmqsec::testing::frames;
using zmqsec::testing::parse_json;
using zmqsec::testing::sub_reader;
using namespace std::chrono_literals;

namespace {

// A sink bound to a loopback port with one subscriber whose subscriptions have arrived.
struct bound_stream {
  explicit bound_stream(zl::pub_sink_config config = {},
                        const std::vector<std::string>& topics = {""})
      : sink(std::make_shared<zl::pub_sink_mt>(with_loopback(std::move(config)))),
        reader(context, topics) {
    reader.connect(sink->last_endpoint());
    EXPECT_TRUE(sink->wait_for_subscriptions(topics.size(), 10s));
    log = std::make_shared<spdlog::logger>("app", sink);
    log->set_level(spdlog::level::trace);
  }

  static zl::pub_sink_config with_loopback(zl::pub_sink_config config) {
    config.bind = {zmqsec::testing::any_loopback_port};
    return config;
  }

  zmq::context_t context;
  std::shared_ptr<zl::pub_sink_mt> sink;
  sub_reader reader;
  std::shared_ptr<spdlog::logger> log;
};

// True if text has the shape: '#' stands for one digit, every other character for itself.
bool has_shape(std::string_view text, std::string_view shape) {
  if (text.size() != shape.size()) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (shape[i] == '#' ? !digit : text[i] != shape[i]) return false;
  }
  return true;
}

// spdlog's default pattern: "[2024-05-01 12:34:56.789] [app] [info] hello\n".
::testing::AssertionResult default_pattern(const std::string& payload, const std::string& level,
                                           const std::string& text) {
  if (has_shape(payload, "[####-##-## ##:##:##.###] [app] [" + level + "] " + text + "\n")) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "payload [" << payload << "]";
}

}  // namespace

TEST(pub_sink_test, the_issue_example_publishes_the_documented_frames) {
  zmq::context_t context;
  auto sink = std::make_shared<zmqsec::logging::pub_sink_mt>("tcp://127.0.0.1:*");  // binds
  sink->set_root_topic("myapp");
  auto log = std::make_shared<spdlog::logger>("app", sink);
  sub_reader reader(context);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  log->info("hello");
  log->warn("disk::low space");

  const auto got = reader.receive(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].topic, "myapp.INFO");
  EXPECT_TRUE(default_pattern(got[0].payload, "info", "hello"));
  EXPECT_EQ(got[1].topic, "myapp.WARNING.disk");
  EXPECT_TRUE(default_pattern(got[1].payload, "warning", "low space"));
  EXPECT_EQ(sink->dropped(), 0u);
}

TEST(pub_sink_test, every_level_has_its_python_name_in_the_topic) {
  bound_stream stream({.root_topic = "svc"});
  stream.sink->set_pattern("%v");
  stream.log->trace("t");
  stream.log->debug("d");
  stream.log->info("i");
  stream.log->warn("w");
  stream.log->error("e");
  stream.log->critical("c");
  EXPECT_EQ(stream.reader.receive(6), (std::vector<frames>{{"svc.TRACE", "t\n"},
                                                           {"svc.DEBUG", "d\n"},
                                                           {"svc.INFO", "i\n"},
                                                           {"svc.WARNING", "w\n"},
                                                           {"svc.ERROR", "e\n"},
                                                           {"svc.CRITICAL", "c\n"}}));
}

TEST(pub_sink_test, without_a_root_topic_the_topic_starts_with_the_level) {
  bound_stream stream;
  stream.sink->set_pattern("%v");
  stream.log->info("plain");
  stream.log->error("db.pool::exhausted");
  EXPECT_EQ(stream.reader.receive(2),
            (std::vector<frames>{{"INFO", "plain\n"}, {"ERROR.db.pool", "exhausted\n"}}));
}

TEST(pub_sink_test, subtopic_is_cut_at_the_first_double_colon_only) {
  bound_stream stream({.root_topic = "app"});
  stream.sink->set_pattern("%v");
  stream.log->info("net::peer std::string");
  stream.log->info("::no subtopic");
  stream.log->info("a: b : c");
  EXPECT_EQ(stream.reader.receive(3), (std::vector<frames>{{"app.INFO.net", "peer std::string\n"},
                                                           {"app.INFO", "no subtopic\n"},
                                                           {"app.INFO", "a: b : c\n"}}));
}

TEST(pub_sink_test, subtopics_can_be_turned_off) {
  bound_stream stream({.root_topic = "app", .subtopics = false});
  stream.sink->set_pattern("%v");
  stream.log->info("std::vector grew");
  EXPECT_EQ(stream.reader.receive(), (frames{"app.INFO", "std::vector grew\n"}));
}

TEST(pub_sink_test, root_topic_changes_apply_to_the_next_record) {
  bound_stream stream({.root_topic = "first"});
  stream.sink->set_pattern("%v");
  stream.log->info("a");
  stream.sink->set_root_topic("second.tier");
  EXPECT_EQ(stream.sink->root_topic(), "second.tier");
  stream.log->info("b");
  stream.sink->set_root_topic("");
  stream.log->info("c");
  EXPECT_EQ(
      stream.reader.receive(3),
      (std::vector<frames>{{"first.INFO", "a\n"}, {"second.tier.INFO", "b\n"}, {"INFO", "c\n"}}));
}

TEST(pub_sink_test, unicode_passes_through_topic_and_payload_unchanged) {
  bound_stream stream({.root_topic = "приложение"});
  stream.sink->set_pattern("%v");
  stream.log->warn("ディスク::空き容量が少ない ✓ naïve 🚀");
  EXPECT_EQ(stream.reader.receive(),
            (frames{"приложение.WARNING.ディスク", "空き容量が少ない ✓ naïve 🚀\n"}));
}

TEST(pub_sink_test, subscribers_filter_on_topic_prefixes) {
  bound_stream stream({.root_topic = "myapp"}, {"myapp.ERROR", "myapp.WARNING.disk"});
  stream.sink->set_pattern("%v");
  stream.log->info("skipped");
  stream.log->warn("net::skipped");
  stream.log->warn("disk::kept");
  stream.log->error("kept too");
  // FIFO per subscriber: a record let through before these would arrive first.
  EXPECT_EQ(stream.reader.receive(2),
            (std::vector<frames>{{"myapp.WARNING.disk", "kept\n"}, {"myapp.ERROR", "kept too\n"}}));
}

TEST(pub_sink_test, per_level_formatters_like_pubhandler) {
  bound_stream stream({.root_topic = "app"});
  stream.sink->set_pattern("%v", spdlog::level::info);
  stream.sink->set_pattern("%l %s:%# - %v", spdlog::level::warn);
  stream.log->info("hello");
  SPDLOG_LOGGER_WARN(stream.log, "careful");
  const int line = __LINE__ - 1;
  stream.log->error("default");
  const auto got = stream.reader.receive(3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (frames{"app.INFO", "hello\n"}));
  EXPECT_EQ(got[1], (frames{"app.WARNING",
                            "warning pub_sink_test.cpp:" + std::to_string(line) + " - careful\n"}));
  EXPECT_TRUE(default_pattern(got[2].payload, "error", "default"));
}

TEST(pub_sink_test, set_pattern_for_all_levels_replaces_per_level_formatters) {
  bound_stream stream;
  stream.sink->set_pattern("only info %v", spdlog::level::info);
  stream.sink->set_pattern("all %v");
  stream.log->info("a");
  stream.log->error("b");
  EXPECT_EQ(stream.reader.receive(2),
            (std::vector<frames>{{"INFO", "all a\n"}, {"ERROR", "all b\n"}}));
}

TEST(pub_sink_test, factory_logger_takes_the_registry_pattern_and_keeps_topics) {
  zmq::context_t context;
  spdlog::set_pattern("%n|%l|%v");
  auto log = zl::pub_logger_mt(
      "factory-app",
      zl::pub_sink_config{.bind = {zmqsec::testing::any_loopback_port}, .root_topic = "fa"});
  auto sink = std::dynamic_pointer_cast<zl::pub_sink_mt>(log->sinks().at(0));
  ASSERT_TRUE(sink);
  sub_reader reader(context);
  reader.connect(sink->last_endpoint());
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  log->warn("disk::low");
  spdlog::set_pattern("%v!");  // the registry replaces every logger's formatter again
  log->warn("disk::lower");
  EXPECT_EQ(reader.receive(2),
            (std::vector<frames>{{"fa.WARNING.disk", "factory-app|warning|low\n"},
                                 {"fa.WARNING.disk", "lower!\n"}}));
  spdlog::drop("factory-app");
  spdlog::set_pattern("%+");
}

TEST(pub_sink_test, json_payload_holds_one_object_per_record) {
  bound_stream stream({.root_topic = "svc", .payload = zl::payload_format::json});
  SPDLOG_LOGGER_ERROR(stream.log, "db::query \"{}\" failed\tafter {} ms", "SELECT 1", 12);
  const int line = __LINE__ - 1;
  const auto before = std::chrono::system_clock::now();
  stream.log->info("plain");

  const auto got = stream.reader.receive(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].topic, "svc.ERROR.db");
  const auto first = parse_json(got[0].payload);
  EXPECT_EQ(first.at("level").string, "ERROR");
  EXPECT_EQ(first.at("logger").string, "app");
  EXPECT_EQ(first.at("topic").string, "svc.ERROR.db");
  EXPECT_EQ(first.at("message").string, "query \"SELECT 1\" failed\tafter 12 ms");
  EXPECT_EQ(first.at("thread").number, static_cast<double>(spdlog::details::os::thread_id()));
  EXPECT_EQ(first.at("file").string.ends_with("pub_sink_test.cpp"), true);
  EXPECT_EQ(first.at("line").number, line);
  EXPECT_EQ(first.at("function").string, "TestBody");  // __FUNCTION__ inside a gtest TEST
  EXPECT_TRUE(has_shape(first.at("time").string, "####-##-##T##:##:##.######Z"))
      << first.at("time").string;

  const auto second = parse_json(got[1].payload);
  EXPECT_EQ(second.at("message").string, "plain");
  EXPECT_THROW(second.at("file"), std::out_of_range);  // no source location without the macros
  // The second's time is the current UTC second (or the one before, across a boundary).
  const auto now = std::chrono::floor<std::chrono::seconds>(before);
  const auto stamp = second.at("time").string.substr(0, 19);
  const auto as_text = [](std::chrono::sys_seconds s) {
    const std::time_t t = s.time_since_epoch().count();
    std::tm utc{};
    ::gmtime_r(&t, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
    return std::string(buf);
  };
  EXPECT_TRUE(stamp == as_text(now) || stamp == as_text(now + 1s)) << stamp;
}

// The sink keeps the escaped logger name and level topics between records: each record still
// names its own logger and topic, as the members in their order show.
TEST(pub_sink_test, json_names_each_records_logger_and_topic_when_they_change) {
  bound_stream stream({.root_topic = "svc", .payload = zl::payload_format::json});
  spdlog::logger quoted("say \"hi\"", stream.sink);
  stream.log->info("one");
  quoted.warn("two");
  stream.log->info("db::three");
  stream.sink->set_root_topic("other");
  stream.log->info("four");

  const auto got = stream.reader.receive(4);
  ASSERT_EQ(got.size(), 4u);
  const auto members = [](const std::string& payload) {
    const auto at = payload.find(R"(,"level":)");
    return at == std::string::npos ? payload : payload.substr(at);
  };
  const std::string thread = std::to_string(spdlog::details::os::thread_id());
  EXPECT_EQ(members(got[0].payload), R"(,"level":"INFO","logger":"app","thread":)" + thread +
                                         R"(,"topic":"svc.INFO","message":"one"})");
  EXPECT_EQ(members(got[1].payload), R"(,"level":"WARNING","logger":"say \"hi\"","thread":)" +
                                         thread + R"(,"topic":"svc.WARNING","message":"two"})");
  EXPECT_EQ(members(got[2].payload), R"(,"level":"INFO","logger":"app","thread":)" + thread +
                                         R"(,"topic":"svc.INFO.db","message":"three"})");
  EXPECT_EQ(members(got[3].payload), R"(,"level":"INFO","logger":"app","thread":)" + thread +
                                         R"(,"topic":"other.INFO","message":"four"})");
  EXPECT_EQ(got[3].topic, "other.INFO");
}

TEST(pub_sink_test, json_survives_the_registry_replacing_formatters) {
  bound_stream stream({.payload = zl::payload_format::json});
  stream.sink->set_pattern("%v");  // what spdlog::set_pattern() does to every sink
  stream.log->info("still json");
  stream.sink->set_payload_format(zl::payload_format::formatted);
  stream.log->info("now text");
  const auto got = stream.reader.receive(2);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(parse_json(got[0].payload).at("message").string, "still json");
  EXPECT_EQ(got[1], (frames{"INFO", "now text\n"}));
}

TEST(pub_sink_test, json_repairs_invalid_utf8_in_messages) {
  bound_stream stream({.payload = zl::payload_format::json});
  stream.log->info(std::string("bad \xFF byte \x01 ctl"));
  const auto got = stream.reader.receive();
  ASSERT_TRUE(got);
  EXPECT_EQ(parse_json(got->payload).at("message").string, "bad \xEF\xBF\xBD byte \x01 ctl");
}

TEST(pub_sink_test, connect_mode_publishes_into_a_bound_collector) {
  zmq::context_t context;
  sub_reader collector(context);
  const auto endpoint = collector.bind();
  std::vector<std::shared_ptr<zl::pub_sink_mt>> sinks;
  for (const char* name : {"w1", "w2", "w3"}) {
    sinks.push_back(std::make_shared<zl::pub_sink_mt>(
        zl::pub_sink_config{.connect = {endpoint}, .root_topic = name}));
    sinks.back()->set_pattern("%v");
  }
  for (auto& sink : sinks) {
    ASSERT_TRUE(zmqsec::testing::wait_for_bound_subscriber(*sink, collector.socket()));
  }
  for (auto& sink : sinks) spdlog::logger("worker", sink).info("up");

  auto got = collector.receive(3);
  std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.topic < b.topic; });
  EXPECT_EQ(got,
            (std::vector<frames>{{"w1.INFO", "up\n"}, {"w2.INFO", "up\n"}, {"w3.INFO", "up\n"}}));
}

TEST(pub_sink_test, binds_ipc_endpoints) {
  zmqsec::testing::temp_dir dir;
  const std::string endpoint = "ipc://" + (dir / "log.sock").string();
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_mt>(endpoint);
  EXPECT_EQ(sink->last_endpoint(), endpoint);
  sink->set_pattern("%v");
  sub_reader reader(context);
  reader.connect(endpoint);
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("ipc", sink).error("over ipc");
  EXPECT_EQ(reader.receive(), (frames{"ERROR", "over ipc\n"}));
}

TEST(pub_sink_test, binds_inproc_in_a_shared_context) {
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_st>(
      zl::pub_sink_config{.bind = {"inproc://logs"}, .root_topic = "in", .context = &context});
  sink->set_pattern("%v");
  sub_reader reader(context);
  reader.connect("inproc://logs");
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));
  spdlog::logger("inproc", sink).info("same process");
  EXPECT_EQ(reader.receive(), (frames{"in.INFO", "same process\n"}));
}

TEST(pub_sink_test, last_endpoint_names_the_port_chosen_for_a_wildcard) {
  auto sink = std::make_shared<zl::pub_sink_st>("tcp://127.0.0.1:*");
  const std::string endpoint = sink->last_endpoint();
  ASSERT_TRUE(endpoint.starts_with("tcp://127.0.0.1:")) << endpoint;
  const std::string port = endpoint.substr(16);
  EXPECT_TRUE(!port.empty() && has_shape(port, std::string(port.size(), '#'))) << endpoint;
  EXPECT_NE(port, "0");
}

TEST(pub_sink_test, endpoints_that_cannot_be_used_throw_zmqsec_errors) {
  auto first = std::make_shared<zl::pub_sink_st>("tcp://127.0.0.1:*");
  try {
    zl::pub_sink_st second(first->last_endpoint());
    FAIL() << "bound the same port twice";
  } catch (const zmqsec::error& e) {
    EXPECT_EQ(e.code(), std::errc::address_in_use);
    EXPECT_NE(std::string(e.what()).find("cannot bind " + first->last_endpoint()),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(zl::pub_sink_st("nonsense://x"), zmqsec::error);
  EXPECT_THROW(zl::pub_sink_st(zl::pub_sink_config{.connect = {"tcp://"}}), zmqsec::error);
}

TEST(pub_sink_test, an_unbounded_linger_is_refused) {
  EXPECT_THROW(zl::pub_sink_st(zl::pub_sink_config{.linger = std::chrono::milliseconds(-1)}),
               zmqsec::error);
}

TEST(pub_sink_test, a_callers_socket_must_be_xpub_or_pub) {
  zmq::context_t context;
  EXPECT_THROW(zl::pub_sink_mt(zmq::socket_t(context, zmq::socket_type::sub)), zmqsec::error);
  EXPECT_THROW(zl::pub_sink_mt(zmq::socket_t()), zmqsec::error);
}

TEST(pub_sink_test, a_callers_pub_socket_publishes_but_cannot_wait_for_subscriptions) {
  zmq::context_t context;
  zmq::socket_t socket(context, zmq::socket_type::pub);
  socket.bind("inproc://pub");
  auto sink = std::make_shared<zl::pub_sink_mt>(std::move(socket));
  EXPECT_THROW(sink->wait_for_subscriptions(1, 10ms), zmqsec::error);
  sink->set_pattern("%v");
  sub_reader reader(context);
  reader.connect("inproc://pub");
  // Nothing tells a PUB socket that the subscription arrived: send until a record gets through.
  spdlog::logger log("pub", sink);
  std::optional<frames> got;
  for (int i = 0; i < 1000 && !got; ++i) {
    log.info("probe");
    got = reader.receive(10ms);
  }
  EXPECT_EQ(got, (frames{"INFO", "probe\n"}));
}

TEST(pub_sink_test, wait_for_subscriptions_counts_each_filter_and_times_out) {
  zmq::context_t context;
  auto sink = std::make_shared<zl::pub_sink_mt>(zmqsec::testing::any_loopback_port);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sink->wait_for_subscriptions(1, 50ms));
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 50ms);
  EXPECT_LT(waited, 2s);

  sub_reader reader(context, {"a", "b"});
  reader.connect(sink->last_endpoint());
  EXPECT_TRUE(sink->wait_for_subscriptions(2, 10s));
  EXPECT_EQ(sink->subscriptions(), 2u);
  sub_reader same_filter(context, {"a"});
  same_filter.connect(sink->last_endpoint());
  EXPECT_TRUE(sink->wait_for_subscriptions(3, 10s));  // verbose: a repeated filter counts too
}

TEST(pub_sink_test, logging_goes_on_while_another_thread_waits_for_subscriptions) {
  auto sink = std::make_shared<zl::pub_sink_mt>(zmqsec::testing::any_loopback_port);
  auto waiting =
      std::async(std::launch::async, [&] { return sink->wait_for_subscriptions(1, 1s); });
  spdlog::logger log("app", sink);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) log.info("not held up");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 300ms);
  EXPECT_EQ(waiting.wait_for(0s), std::future_status::timeout);  // still waiting meanwhile
  EXPECT_FALSE(waiting.get());
}
