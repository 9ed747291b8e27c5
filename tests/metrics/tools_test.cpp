// --metrics HOST:PORT of the tools (cli/common/metrics.hpp): the real zmq-logtail and
// zmq-monitor serve their series while they run, and refuse an address they cannot use.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdint>
#include <string>

#include "http_get.hpp"
#include "process.hpp"
#include "prometheus_server.hpp"

namespace {

using namespace std::chrono_literals;
using zmqsec::testing::child_process;
using zmqsec::testing::http_get;

// Runs argv (a tool given --metrics 0: a port the kernel picks as the tool binds, so that no
// other test can take it between a probe and the tool's bind) until it says where it serves and,
// when printed is not empty, until it has printed that on its standard output (what the scrape
// must then count), then returns the body of GET /metrics; stops the tool.
std::string scrape_tool(std::vector<std::string> argv, const std::string& printed = {}) {
  argv.insert(argv.end(), {"--metrics", "0"});
  child_process tool(argv);
  const std::string serving = "metrics at http://127.0.0.1:";
  EXPECT_TRUE(tool.wait_for_error_output("/metrics\n", 10s)) << tool.error_output_so_far();
  const std::string& said = tool.error_output_so_far();
  const auto at = said.find(serving);
  EXPECT_NE(at, std::string::npos) << said;
  const auto port = at == std::string::npos
                        ? 0
                        : static_cast<std::uint16_t>(std::stoi(said.substr(at + serving.size())));
  if (!printed.empty()) {
    EXPECT_TRUE(tool.wait_for_output(printed, 10s)) << tool.output_so_far();
  }
  const auto response = http_get("127.0.0.1", port, "/metrics");
  tool.send_signal(SIGTERM);
  const auto done = tool.wait(10s);
  EXPECT_EQ(done.exit_code, 0) << done;
  if (!response || response->status != 200) return "no answer";
  return response->body;
}

TEST(tools_test, zmq_logtail_serves_its_subscriber_series) {
  const std::string body = scrape_tool({ZMQ_LOGTAIL_PATH, "tcp://127.0.0.1:1"});
  EXPECT_NE(body.find(R"(zmqsec_log_subscriber_records_total{subscriber="zmq-logtail"} 0)"),
            std::string::npos)
      << body;
}

TEST(tools_test, zmq_monitor_serves_the_events_it_printed) {
  const std::string body = scrape_tool(
      {ZMQ_MONITOR_PATH, "--bind", "tcp://127.0.0.1:*", "--type", "router"}, " LISTENING ");
  EXPECT_NE(body.find(R"(zmqsec_monitor_events_total{event="LISTENING",socket="zmq-monitor"} 1)"),
            std::string::npos)
      << body;
}

TEST(tools_test, an_address_the_tool_cannot_use_is_bad_input) {
  const auto r = zmqsec::testing::run_process(
      {ZMQ_LOGTAIL_PATH, "tcp://127.0.0.1:1", "--metrics", "127.0.0.1:99999"});
  EXPECT_EQ(r.exit_code, 1) << r;
  EXPECT_NE(r.err.find("HOST:PORT"), std::string::npos) << r;
}

}  // namespace
