// log_streaming: servers' spdlog records published on ZeroMQ and collected elsewhere, all in this
// process over TCP on 127.0.0.1 so that it runs anywhere and ends by itself.
//
//   log_streaming            # prints what the collector received, exit 0
//
// The pieces, each of which would be a process (or a machine) of its own in production:
//
//   worker-1 --\                                 /--> collector: a subscriber that hands records
//               >-- proxy (XSUB/XPUB, zmq_proxy) --<    to its own spdlog logger (here: stdout)
//   worker-2 --/                                 \--> zmq-logtail tcp://HOST:PORT (operators)
//
// Each worker logs through a pub_sink that *connects* to the proxy, so workers come and go
// without anyone reconfiguring the collector. A single server without a proxy simply binds:
//
//   auto sink = std::make_shared<zmqsec::logging::pub_sink_mt>("tcp://*:5556");
//
// Exit status: 0 every record collected, 1 not all of them arrived in time.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/logging.hpp>

namespace zl = zmqsec::logging;
using namespace std::chrono_literals;

namespace {

constexpr int workers = 2;
constexpr int records_per_worker = 3;

// A worker: its own logger, publishing into the proxy under its name.
void run_worker(const std::string& name, const std::string& proxy_frontend) {
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.connect = {proxy_frontend}, .root_topic = name});
  sink->set_pattern("%v");  // the collector's logger adds time and level itself
  spdlog::logger log(name, sink);

  // PUB/SUB delivers nothing before a subscription arrives. A long-running server does not care;
  // a program that logs a few records and exits waits for its collector first.
  if (!sink->wait_for_subscriptions(1, 5s)) {
    std::fprintf(stderr, "%s: nobody listens\n", name.c_str());
  }

  log.info("started");
  log.warn("db::connection pool at {}%", 85);
  log.error("payment::card declined for order {}", 1234);
  log.flush();
}

}  // namespace

int main() {
  // The hub: publishers connect to its frontend, subscribers to its backend.
  zl::proxy hub({.frontend = {"tcp://127.0.0.1:*"}, .backend = {"tcp://127.0.0.1:*"}});
  std::printf("proxy: workers publish to %s, watch with: zmq-logtail %s\n",
              hub.frontend_endpoints()[0].c_str(), hub.backend_endpoints()[0].c_str());

  // The collector: records land in its own logger, with their original levels; with_topic keeps
  // which worker each came from.
  auto console = std::make_shared<spdlog::logger>(
      "collector", std::make_shared<spdlog::sinks::stdout_sink_mt>());
  console->set_pattern("[%H:%M:%S.%e] [%l] %v");
  zl::subscriber collector({.connect = {hub.backend_endpoints()[0]}, .with_topic = true}, console);

  std::vector<std::jthread> threads;
  for (int i = 1; i <= workers; ++i) {
    threads.emplace_back(run_worker, "worker-" + std::to_string(i), hub.frontend_endpoints()[0]);
  }

  std::size_t collected = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (collected < workers * records_per_worker && std::chrono::steady_clock::now() < deadline) {
    collected += collector.dispatch(100ms);
  }
  console->flush();
  std::printf("collected %zu of %d records\n", collected, workers * records_per_worker);
  return collected == workers * records_per_worker ? 0 : 1;
}
