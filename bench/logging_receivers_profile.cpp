// zmqsec_profile_log_receivers: the receiving side of a log stream, small enough to run under
// callgrind (valgrind --tool=callgrind --separate-threads=yes), so that the instructions a receiver
// spends per record can be counted on a loaded machine. The same waiting pub_sink as
// zmqsec_bench_logging's receiver rows (overflow_policy::block_for) feeds:
//   subscriber N   zmqsec::logging::subscriber into a logger with spdlog's null_sink, on the
//                  thread "subscriber" (dispatch() as in the bench);
//   bare N         a bare SUB that only counts (zmq_msg_recv), on the thread "bare-sub";
//   publish N      nothing in this process: prints the endpoint on stdout, waits for one
//                  subscriber (zmq-logtail under valgrind, say), logs N records and exits once
//                  they have left (linger).
// Instructions per record: the receiving thread's total divided by N.
#include <pthread.h>
#include <zmq.h>

#include <spdlog/sinks/null_sink.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "logging_bench.hpp"

namespace zl = zmqsec::logging;
using namespace std::chrono_literals;

namespace {

std::shared_ptr<zl::pub_sink_mt> waiting_sink() {
  // Linger long enough for a receiver under valgrind to take the last records.
  zl::pub_sink_config config{.bind = {zmqsec::bench::logs::loopback},
                             .root_topic = "bench",
                             .overflow = zl::overflow_policy::block_for(60s)};
  config.linger = 120s;
  auto sink = std::make_shared<zl::pub_sink_mt>(std::move(config));
  sink->set_pattern(zmqsec::bench::logs::pattern);
  return sink;
}

void log_all(const std::shared_ptr<zl::pub_sink_mt>& sink, std::uint64_t n) {
  spdlog::logger log("bench", sink);
  // The records of zmqsec_bench_logging (log_records in logging_streams.cpp).
  for (std::uint64_t i = 0; i < n; ++i) log.info("request {} served in {} us", i, 17);
}

std::uint64_t run_subscriber(std::uint64_t n, int hwm) {
  auto sink = waiting_sink();
  auto target = std::make_shared<spdlog::logger>("collected",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  zl::subscriber sub({.connect = {sink->last_endpoint()}, .receive_hwm = hwm}, target);
  if (!sink->wait_for_subscriptions(1, 60s)) throw std::runtime_error("no subscriber");
  std::uint64_t handed = 0;
  std::thread collector([&] {
    pthread_setname_np(pthread_self(), "subscriber");
    while (handed < n) {
      const std::size_t got = sub.dispatch(30s);
      if (got == 0) break;
      handed += got;
    }
  });
  log_all(sink, n);
  collector.join();
  return handed;
}

std::uint64_t run_bare(std::uint64_t n, int hwm) {
  auto sink = waiting_sink();
  zmq::context_t context(1);
  zmq::socket_t sub(context, zmq::socket_type::sub);
  sub.set(zmq::sockopt::rcvhwm, hwm);
  sub.set(zmq::sockopt::subscribe, "");
  sub.connect(sink->last_endpoint());
  if (!sink->wait_for_subscriptions(1, 60s)) throw std::runtime_error("no subscriber");
  std::uint64_t count = 0;
  std::thread counter([&] {
    pthread_setname_np(pthread_self(), "bare-sub");
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    void* s = sub.handle();
    while (count < n) {
      if (zmq_msg_recv(&msg, s, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&msg)) ++count;
        continue;
      }
      zmq_pollitem_t item{s, 0, ZMQ_POLLIN, 0};
      if (zmq_poll(&item, 1, 30000) == 0) break;
    }
    zmq_msg_close(&msg);
  });
  log_all(sink, n);
  counter.join();
  return count;
}

std::uint64_t run_publisher(std::uint64_t n) {
  auto sink = waiting_sink();
  std::cout << sink->last_endpoint() << std::endl;
  if (!sink->wait_for_subscriptions(1, 120s)) throw std::runtime_error("no subscriber");
  log_all(sink, n);
  return n;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::cerr << "usage: zmqsec_profile_log_receivers subscriber|bare|publish N [RCVHWM]\n";
    return 2;
  }
  const std::string mode = argv[1];
  const std::uint64_t n = std::stoull(argv[2]);
  const int hwm = argc == 4 ? std::stoi(argv[3]) : zl::subscriber_config{}.receive_hwm;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t got = 0;
  if (mode == "subscriber") {
    got = run_subscriber(n, hwm);
  } else if (mode == "bare") {
    got = run_bare(n, hwm);
  } else if (mode == "publish") {
    got = run_publisher(n);
  } else {
    std::cerr << "zmqsec_profile_log_receivers: unknown mode " << mode << '\n';
    return 2;
  }
  if (got != n) {
    std::cerr << "zmqsec_profile_log_receivers: " << got << " of " << n << " records\n";
    return 1;
  }
  // A rough rate (set-up included), for comparing runs of this harness only.
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  std::cerr << mode << " " << n << " records, " << n / took.count() << " records/s\n";
  return 0;
}
