// zmqsec_bench_metrics: what an attached zmqsec::metrics::exposer, scraped every second, costs.
//   - raw ZAP requests/s through a thread_authenticator (the ZAP driver of auth_drivers.cpp, on
//     one CPU) with an exposer that exports it and a scraper GETting /metrics once a second,
//     against the same authenticator without metrics;
//   - log records/s through a pub_sink with one SUB (tcp on 127.0.0.1), the same way.
// Each pair runs back to back in one process, the order alternating; the table shows the medians
// and the median of the pairs' ratios. Goal: 0.98x or better (docs/metrics.md).
//
//   zmqsec_bench_metrics [--quick | --smoke] [--pairs N] [--seconds S] [--no-header]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/logging.hpp>
#include <zmqsec/metrics.hpp>

#include "auth_bench.hpp"
#include "bench_table.hpp"

namespace {

namespace zb = zmqsec::bench;
namespace za = zmqsec::auth;
namespace zl = zmqsec::logging;
using clock_type = std::chrono::steady_clock;

double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// GET /metrics on 127.0.0.1:port, the whole answer read; returns its size (0 if it failed).
std::size_t scrape_once(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 0;
  const timeval timeout{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::size_t total = 0;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
        static_cast<ssize_t>(request.size())) {
      char buffer[16384];
      for (ssize_t n; (n = ::recv(fd, buffer, sizeof buffer, 0)) > 0;) {
        total += static_cast<std::size_t>(n);
      }
    }
  }
  ::close(fd);
  return total;
}

// What Prometheus does to a process it watches: one scrape a second, from another thread.
class scraper {
 public:
  explicit scraper(std::uint16_t port)
      : thread_([this, port] {
          std::unique_lock lock(mutex_);
          while (!stop_) {
            lock.unlock();
            if (scrape_once(port) == 0) failures_.fetch_add(1);
            scrapes_.fetch_add(1);
            lock.lock();
            wake_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_; });
          }
        }) {}
  scraper(const scraper&) = delete;
  scraper& operator=(const scraper&) = delete;
  ~scraper() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (failures_ != 0) std::cerr << "zmqsec_bench_metrics: " << failures_ << " scrapes failed\n";
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<int> scrapes_{0};
  std::atomic<int> failures_{0};
  std::thread thread_;
};

// ---- ZAP ----

struct zap_files {
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("zmqsec-metrics-bench-" + std::to_string(::getpid()));
  std::vector<zmqsec::certs::public_key> keys;
  zap_files() {
    std::filesystem::create_directories(dir);
    std::ofstream k(dir / "keys"), a(dir / "addresses");
    for (int i = 0; i < 100; ++i) {
      keys.push_back(zmqsec::certs::generate_keypair().public_key);
      k << keys.back().z85() << '\n';
    }
    a << "127.0.0.1\n";
  }
  ~zap_files() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

double zap_rate(bool with_metrics, const zap_files& files, double seconds) {
  zmq::context_t ctx;
  za::thread_authenticator auth(ctx);
  auth.allow("127.0.0.1").configure_curve("*", files.keys);
  auth.start();
  std::optional<zmqsec::metrics::exposer> metrics;
  zmqsec::metrics::registration exported;
  std::optional<scraper> scrapes;
  if (with_metrics) {
    metrics.emplace();
    exported = metrics->add(auth);
    scrapes.emplace(metrics->port());
  }
  zmqsec_bench_result r{};
  const std::string keys = (files.dir / "keys").string();
  const std::string addresses = (files.dir / "addresses").string();
  if (zmqsec_bench_zap_drive(ctx.handle(), keys.c_str(), addresses.c_str(), 0, 1, seconds / 4,
                             seconds, 64, &r) != 0 ||
      r.failures != 0) {
    throw std::runtime_error(std::string("ZAP driver: ") + r.first_failure);
  }
  return r.completed / r.seconds;
}

// ---- log records ----

double log_rate(bool with_metrics, double seconds) {
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{.bind = {"tcp://127.0.0.1:*"}});
  sink->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%l] %v");
  spdlog::logger log("bench", sink);
  zmq::context_t ctx;
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::subscribe, "");
  sub.set(zmq::sockopt::rcvtimeo, 200);
  sub.connect(sink->last_endpoint());
  if (!sink->wait_for_subscriptions(1, std::chrono::seconds(10))) {
    throw std::runtime_error("the SUB did not subscribe");
  }
  std::atomic<bool> done{false};
  std::thread reader([&] {
    zmq::message_t message;
    while (!done.load(std::memory_order_relaxed)) (void)sub.recv(message);
  });
  std::optional<zmqsec::metrics::exposer> metrics;
  zmqsec::metrics::registration exported;
  std::optional<scraper> scrapes;
  if (with_metrics) {
    metrics.emplace();
    exported = metrics->add(*sink, "bench");
    scrapes.emplace(metrics->port());
  }
  const auto start = clock_type::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  std::uint64_t n = 0;
  while (clock_type::now() < end) {
    for (int i = 0; i < 100; ++i) log.info("request {} served in {} us", n + i, 42);
    n += 100;
  }
  const double rate =
      static_cast<double>(n) / std::chrono::duration<double>(clock_type::now() - start).count();
  done = true;
  reader.join();
  return rate;
}

struct pair_figures {
  std::vector<double> with, without, ratios;
};

template <typename Measure>
pair_figures pairs_of(int pairs, const Measure& measure) {
  pair_figures f;
  measure(false);  // warm-up, not counted
  for (int i = 0; i < pairs; ++i) {
    double with, without;
    if (i % 2 == 0) {
      without = measure(false);
      with = measure(true);
    } else {
      with = measure(true);
      without = measure(false);
    }
    f.with.push_back(with);
    f.without.push_back(without);
    f.ratios.push_back(with / without);
  }
  return f;
}

void print_pair(const std::string& measure, const std::string& reference, const pair_figures& f) {
  const double ratio = median(f.ratios);
  zb::print_row(std::cout,
                {measure, zb::rate(median(f.with)), reference, zb::rate(median(f.without)), ratio,
                 zb::goal(ratio >= 0.98, ">= 0.98x")});
}

}  // namespace

int main(int argc, char** argv) {
  int pairs = 7;
  double zap_seconds = 2.0;
  double log_seconds = 2.0;
  bool header = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick") {
      pairs = 3;
      zap_seconds = log_seconds = 1.0;
    } else if (a == "--smoke") {
      pairs = 1;
      zap_seconds = log_seconds = 0.2;
    } else if (a == "--no-header") {
      header = false;
    } else if (a == "--pairs" && i + 1 < argc) {
      pairs = std::max(1, std::stoi(argv[++i]));
    } else if (a == "--seconds" && i + 1 < argc) {
      zap_seconds = log_seconds = std::stod(argv[++i]);
    } else {
      std::cerr << "usage: zmqsec_bench_metrics [--quick | --smoke] [--pairs N] [--seconds S]\n";
      return 2;
    }
  }
  try {
    const zap_files files;
    const auto zap = pairs_of(pairs, [&](bool with) { return zap_rate(with, files, zap_seconds); });
    const auto logs = pairs_of(pairs, [&](bool with) { return log_rate(with, log_seconds); });
    if (header) zb::print_header(std::cout);
    print_pair("ZAP requests/s, exposer scraped 1/s", "the same, no metrics", zap);
    print_pair("log records/s, exposer scraped 1/s", "the same, no metrics", logs);
    std::cerr << "zmqsec_bench_metrics: " << pairs << " pairs; ZAP ratios";
    for (double r : zap.ratios) std::cerr << ' ' << r;
    std::cerr << "; log ratios";
    for (double r : logs.ratios) std::cerr << ' ' << r;
    std::cerr << '\n';
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_metrics: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
