// Log streams between zmqsec and pyzmq, both ways, with the real libraries: a pyzmq SUB receives
// exactly the frames pub_sink publishes, and records from pyzmq's own PUBHandler reach our
// subscriber (and through it a local spdlog logger) and zmq-logtail.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/logging.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

namespace {

namespace zl = zmqsec::logging;
using zmqsec::testing::child_process;
using namespace std::chrono_literals;

std::vector<std::string> logging_helper(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ZMQSEC_INTEROP_PYTHON,
                                   "-I",
                                   "-B",
                                   "-X",
                                   "utf8",
                                   ZMQSEC_INTEROP_SCRIPT_DIR "/logging_helper.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xF];
  }
  return out;
}

std::string frames_line(std::string_view topic, std::string_view payload) {
  return "frames " + hex(topic) + " " + hex(payload) + "\n";
}

// The line number pubhandler printed: where its debug call is; the others follow it.
int first_line(const std::string& out) {
  const auto at = out.find("line ");
  return at == std::string::npos ? -1 : std::stoi(out.substr(at + 5));
}

// What PUBHandler's default formatters make of a record at a given line.
std::string pubhandler_text(const char* level, int line, const char* message) {
  return std::string(level) + " logging_helper.py:" + std::to_string(line) + " - " + message;
}

}  // namespace

TEST(logging_interop, pyzmq_sub_receives_exactly_the_frames_of_pub_sink) {
  auto sink = std::make_shared<zl::pub_sink_mt>("tcp://127.0.0.1:*");
  sink->set_root_topic("myapp");
  sink->set_pattern("%l|%n|%v");
  auto log = std::make_shared<spdlog::logger>("app", sink);
  child_process python(logging_helper({"sub", sink->last_endpoint(), "3", "10000"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(1, 10s));

  log->info("hello");
  log->warn("disk::low space");
  log->error("ディスク::ü ✓");
  const auto result = python.wait(20s);
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_EQ(result.out, frames_line("myapp.INFO", "info|app|hello\n") +
                            frames_line("myapp.WARNING.disk", "warning|app|low space\n") +
                            frames_line("myapp.ERROR.ディスク", "error|app|ü ✓\n"));
}

TEST(logging_interop, pyzmq_sub_filters_pub_sink_topics_by_prefix) {
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{
      .bind = {"tcp://127.0.0.1:*"}, .root_topic = "svc", .payload = zl::payload_format::json});
  spdlog::logger log("app", sink);
  child_process python(
      logging_helper({"sub", sink->last_endpoint(), "1", "10000", "svc.ERROR", "svc.CRITICAL"}));
  ASSERT_TRUE(sink->wait_for_subscriptions(2, 10s));
  log.info("not for python");
  log.warn("nor this");
  log.error("db::for python");
  const auto result = python.wait(20s);
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  EXPECT_TRUE(result.out.starts_with("frames " + hex("svc.ERROR.db") + " " + hex("{\"time\":\"")))
      << result.out;
}

TEST(logging_interop, our_subscriber_reads_pubhandler_records) {
  zl::subscriber sub({.bind = {"tcp://127.0.0.1:*"}, .topics = {"pyapp."}});
  child_process python(
      logging_helper({"pubhandler", sub.bound_endpoints().at(0), "pyapp", "1", "10000"}));
  std::vector<zl::record> got;
  while (got.size() < 6) {
    auto r = sub.receive(20s);
    if (!r) break;
    got.push_back(std::move(*r));
  }
  const auto result = python.wait(20s);
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  ASSERT_EQ(got.size(), 6u);
  const int line = first_line(result.out);

  struct expected {
    const char* topic;
    spdlog::level::level_enum level;
    const char* subtopic;
    std::string message;
  };
  const std::vector<expected> want = {
      {"pyapp.DEBUG", spdlog::level::debug, "", pubhandler_text("DEBUG", line, "dbg")},
      {"pyapp.INFO", spdlog::level::info, "", "hello"},
      {"pyapp.WARNING.disk", spdlog::level::warn, "disk",
       pubhandler_text("WARNING", line + 2, "low space")},
      {"pyapp.ERROR", spdlog::level::err, "", pubhandler_text("ERROR", line + 3, "boom - None")},
      {"pyapp.CRITICAL.net.tcp", spdlog::level::critical, "net.tcp",
       pubhandler_text("CRITICAL", line + 4, "down")},
      {"pyapp.INFO", spdlog::level::info, "", "unicode ✓ ü"},
  };
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got[i].topic, want[i].topic) << i;
    EXPECT_EQ(got[i].root_topic, "pyapp") << i;
    EXPECT_EQ(got[i].level, want[i].level) << i;
    EXPECT_EQ(got[i].subtopic, want[i].subtopic) << i;
    EXPECT_EQ(got[i].message(), want[i].message) << i;
  }
}

namespace {

class level_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::pair<spdlog::level::level_enum, std::string>> seen;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    seen.emplace_back(msg.level, std::string(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}
};

}  // namespace

TEST(logging_interop, pubhandler_records_land_in_a_local_logger_at_their_levels) {
  auto sink = std::make_shared<level_sink>();
  auto local = std::make_shared<spdlog::logger>("collector", sink);
  local->set_level(spdlog::level::info);  // the collector's own threshold still applies
  zl::subscriber sub({.bind = {"tcp://127.0.0.1:*"}}, local);
  child_process python(
      logging_helper({"pubhandler", sub.bound_endpoints().at(0), "", "1", "10000"}));
  std::size_t handed = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (handed < 6 && std::chrono::steady_clock::now() < deadline) handed += sub.dispatch(1s);
  const auto result = python.wait(20s);
  ASSERT_EQ(result.exit_code, 0) << result.describe();
  ASSERT_EQ(handed, 6u);
  std::vector<spdlog::level::level_enum> levels;
  for (const auto& [level, text] : sink->seen) levels.push_back(level);
  EXPECT_EQ(levels, (std::vector<spdlog::level::level_enum>{
                        spdlog::level::info, spdlog::level::warn, spdlog::level::err,
                        spdlog::level::critical, spdlog::level::info}));
  EXPECT_EQ(sink->seen.at(0).second, "hello");
}

#ifdef ZMQ_LOGTAIL_PATH
TEST(logging_interop, zmq_logtail_prints_pubhandler_records_over_ipc) {
  zmqsec::testing::temp_dir dir;
  const std::string endpoint = "ipc://" + (dir / "logs.sock").string();
  child_process tail({ZMQ_LOGTAIL_PATH, "--bind", endpoint, "--count", "6"});
  child_process python(logging_helper({"pubhandler", endpoint, "", "1", "10000"}));
  const auto published = python.wait(20s);
  ASSERT_EQ(published.exit_code, 0) << published.describe();
  const auto tailed = tail.wait(20s);
  ASSERT_EQ(tailed.exit_code, 0) << tailed.describe();
  const int line = first_line(published.out);
  EXPECT_EQ(tailed.out, "DEBUG " + pubhandler_text("DEBUG", line, "dbg") +
                            "\n"
                            "INFO hello\n"
                            "WARNING.disk " +
                            pubhandler_text("WARNING", line + 2, "low space") +
                            "\n"
                            "ERROR " +
                            pubhandler_text("ERROR", line + 3, "boom - None") +
                            "\n"
                            "CRITICAL.net.tcp " +
                            pubhandler_text("CRITICAL", line + 4, "down") +
                            "\n"
                            "INFO unicode ✓ ü\n");
}
#endif
