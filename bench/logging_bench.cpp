// zmqsec_bench_logging: pub_sink against spdlog's own sinks and pyzmq's PUBHandler, in one run:
//   - records/s through a pub_sink with one SUB (on another thread, over tcp on 127.0.0.1,
//     libzmq's default options) receiving everything, timed from the first log call to the last
//     record received, against spdlog's null_sink and basic_file_sink (a file in the build tree,
//     flushed at the end) with the same pattern (spdlog's default) and message, and against
//     PUBHandler in a python3 child with the same pattern feeding the same kind of SUB;
//   - what libzmq alone carries to such a SUB: the same two frames per record, preformatted once,
//     sent with blocking zmq_send (no sink, no formatting, no loss): the ceiling of any sink;
//   - records lost at that rate with the default send HWM (every record should arrive), and,
//     when some were, the highest rate at which none is: the logger paced at falling rates;
//   - the p99 time of one log call while a subscriber is stalled (connected and subscribed but
//     never reading: its queues and the kernel's buffers are full and every record is dropped)
//     against no subscriber at all, and, for information, with one that keeps up.
//
//   zmqsec_bench_logging [--quick | --smoke] [--records N] [--pyzmq-records N] [--calls N]
//                        [--repeat R] [--hwm N] [--python /usr/bin/python3] [--no-pyzmq]
//                        [--cache DIR] [--no-header]
//
// Each measurement runs --repeat times, interleaved with the others; the table shows the best
// rate (and what that run lost) and the median p99. Progress and each run's figures go to
// stderr. Exits 1 if a measurement failed.
#include <unistd.h>
#include <zmq.h>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>
#include <zmqsec/logging.hpp>

#include "bench_process.hpp"
#include "bench_table.hpp"

namespace fs = std::filesystem;
namespace zb = zmqsec::bench;
namespace zl = zmqsec::logging;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct options {
  std::uint64_t records = 1000000;
  std::uint64_t pyzmq_records = 100000;
  std::uint64_t calls = 200000;
  int repeat = 3;
  std::string python = "/usr/bin/python3";
  fs::path pyzmq_script = ZMQSEC_BENCH_LOGGING_PYZMQ_SCRIPT;
  fs::path dir = ZMQSEC_BENCH_CACHE_DIR;
  int hwm = zl::pub_sink_config{}.send_hwm;
  bool pyzmq = true;
  bool header = true;
};

constexpr const char* pattern = "%+";  // spdlog's default: "[time] [logger] [level] message"
constexpr const char* loopback = "tcp://127.0.0.1:*";

double seconds_since(clock_type::time_point start, clock_type::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

void log_records(spdlog::logger& log, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) log.info("request {} served in {} us", i, 17);
}

// ---- spdlog's sinks ----

double null_sink_rate(std::uint64_t n) {
  spdlog::logger log("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
  log.set_pattern(pattern);
  const auto start = clock_type::now();
  log_records(log, n);
  return static_cast<double>(n) / seconds_since(start, clock_type::now());
}

double file_sink_rate(std::uint64_t n, const fs::path& file) {
  double rate;
  {
    spdlog::logger log("bench", std::make_shared<spdlog::sinks::basic_file_sink_mt>(file, true));
    log.set_pattern(pattern);
    const auto start = clock_type::now();
    log_records(log, n);
    log.flush();
    rate = static_cast<double>(n) / seconds_since(start, clock_type::now());
  }
  fs::remove(file);
  return rate;
}

// ---- a subscriber that receives everything ----

// A SUB socket on a thread of its own, with libzmq's default options, counting records until it
// has `expected` of them or nothing arrives for two seconds.
class receiver {
 public:
  receiver(std::uint64_t expected, bool bind, const std::string& endpoint)
      : socket_(context_, zmq::socket_type::sub), expected_(expected) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::subscribe, "");
    if (bind) {
      socket_.bind(endpoint);
      endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
    } else {
      socket_.connect(endpoint);
    }
    thread_ = std::thread([this] { run(); });
  }
  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;
  ~receiver() {
    if (thread_.joinable()) thread_.join();
  }

  const std::string& endpoint() const { return endpoint_; }

  /// Waits for the thread; returns the records received and when the last one came.
  std::pair<std::uint64_t, clock_type::time_point> wait() {
    thread_.join();
    return {count_, last_};
  }

 private:
  void run() {
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    void* s = socket_.handle();
    while (count_ < expected_) {
      if (zmq_msg_recv(&msg, s, ZMQ_DONTWAIT) >= 0) {
        if (!zmq_msg_more(&msg) && ++count_ == expected_) last_ = clock_type::now();
        continue;
      }
      if (zmq_errno() != EAGAIN && zmq_errno() != EINTR) break;
      last_ = clock_type::now();
      zmq_pollitem_t item{s, 0, ZMQ_POLLIN, 0};
      if (zmq_poll(&item, 1, 2000) == 0) break;  // quiet for 2 s: the rest is not coming
    }
    zmq_msg_close(&msg);
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::uint64_t expected_;
  std::uint64_t count_ = 0;
  clock_type::time_point last_{};
  std::thread thread_;
};

struct stream_figures {
  double rate = NAN;
  std::uint64_t lost = 0;
};

// One pub_sink run of n records: flat out (pace 0) or at most `pace` records a second (the
// producer sleeps when it is ahead, leaving the CPU to the subscriber).
stream_figures pub_sink_rate(std::uint64_t n, zl::payload_format payload, int hwm, double pace) {
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{
      .bind = {loopback}, .root_topic = "bench", .payload = payload, .send_hwm = hwm});
  sink->set_pattern(pattern);
  spdlog::logger log("bench", sink);
  receiver sub(n, false, sink->last_endpoint());
  if (!sink->wait_for_subscriptions(1, 10s)) throw std::runtime_error("the SUB never subscribed");
  const auto start = clock_type::now();
  if (pace <= 0) {
    log_records(log, n);
  } else {
    constexpr std::uint64_t slice = 256;
    for (std::uint64_t done = 0; done < n; done += slice) {
      const auto due = start + std::chrono::duration_cast<clock_type::duration>(
                                   std::chrono::duration<double>(done / pace));
      if (clock_type::now() < due) std::this_thread::sleep_until(due);
      for (std::uint64_t i = done; i < std::min(n, done + slice); ++i) {
        log.info("request {} served in {} us", i, 17);
      }
    }
  }
  const auto logged = clock_type::now();
  const auto [received, last] = sub.wait();
  stream_figures f;
  f.rate = static_cast<double>(received) / seconds_since(start, last);
  // Received counts the sink's drop reports too; dropped() counts every record lost.
  f.lost = std::max<std::uint64_t>(sink->dropped(), n > received ? n - received : 0);
  std::cerr << "zmqsec_bench_logging: pub_sink"
            << (payload == zl::payload_format::json ? " json" : "") << ", pace "
            << (pace > 0 ? zb::rate(pace) : "flat out") << ": " << n << " log calls in "
            << seconds_since(start, logged) << " s, received after " << seconds_since(start, last)
            << " s, " << f.lost << " lost\n";
  return f;
}

// The highest rate at which every record arrives, within 15%: runs paced at falling rates from a
// first guess (what the subscriber took in when flooded).
double lossless_rate(std::uint64_t n, int hwm, double first_guess) {
  double pace = first_guess;
  for (int attempt = 0; attempt < 6; ++attempt, pace *= 0.85) {
    const auto f = pub_sink_rate(n, zl::payload_format::formatted, hwm, pace);
    if (f.lost == 0) return f.rate;
  }
  return NAN;
}

// ---- the wire alone ----

// What libzmq itself carries from one publisher to the same kind of subscriber: the frames the
// sink sends for one record (topic, then the record as the pattern formats it), preformatted
// once and sent with plain blocking zmq_send on an XPUB with NODROP, so that nothing is lost and
// nothing is formatted. No sink can deliver more records per second than this; the sink formats
// every record and must never block.
double wire_rate(std::uint64_t n) {
  spdlog::details::log_msg record("bench", spdlog::level::info, "request 123456 served in 17 us");
  spdlog::memory_buf_t formatted;
  spdlog::pattern_formatter(pattern).format(record, formatted);
  const std::string topic = "bench.INFO";
  zmq::context_t context;
  zmq::socket_t pub(context, zmq::socket_type::xpub);
  pub.set(zmq::sockopt::linger, 0);
  pub.set(zmq::sockopt::xpub_nodrop, 1);
  pub.bind(loopback);
  receiver sub(n, false, pub.get(zmq::sockopt::last_endpoint));
  zmq::message_t subscription;
  if (!pub.recv(subscription)) throw std::runtime_error("the SUB never subscribed");
  const auto start = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i) {
    if (zmq_send(pub.handle(), topic.data(), topic.size(), ZMQ_SNDMORE) < 0 ||
        zmq_send(pub.handle(), formatted.data(), formatted.size(), 0) < 0) {
      throw std::runtime_error(std::string("zmq_send: ") + zmq_strerror(zmq_errno()));
    }
  }
  const auto [received, last] = sub.wait();
  if (received != n) throw std::runtime_error("the wire lost records");
  return static_cast<double>(received) / seconds_since(start, last);
}

// ---- pyzmq ----

stream_figures pubhandler_rate(const options& opt) {
  receiver sub(opt.pyzmq_records, true, loopback);
  const std::string out = zb::run({opt.python, "-I", "-B", opt.pyzmq_script.string(),
                                   sub.endpoint(), std::to_string(opt.pyzmq_records)});
  const auto [received, last] = sub.wait();
  const auto at = out.find("start=");
  if (at == std::string::npos) throw std::runtime_error("logging_pyzmq.py printed no start");
  const double start = std::stod(out.substr(at + 6));
  const double end = std::chrono::duration<double>(last.time_since_epoch()).count();
  stream_figures f;
  f.rate = static_cast<double>(received) / (end - start);
  f.lost = opt.pyzmq_records - received;
  return f;
}

// ---- the time of one log call ----

enum class audience { none, stalled, keeping_up };

// Logs until the sink has refused every record for 100 ms: the stalled subscriber's queue, its
// socket's and the kernel's buffers are full, and from now on every record is dropped.
void stall(spdlog::logger& log, zl::pub_sink_mt& sink) {
  const auto deadline = clock_type::now() + 30s;
  auto refusing_since = clock_type::time_point::max();
  for (std::uint64_t i = 0;; ++i) {
    const auto before = sink.dropped();
    log.info("request {} served in {} us", i, 17);
    const auto now = clock_type::now();
    if (sink.dropped() == before) {
      refusing_since = clock_type::time_point::max();
    } else if (refusing_since == clock_type::time_point::max()) {
      refusing_since = now;
    } else if (now - refusing_since >= 100ms) {
      return;
    }
    if (now > deadline) throw std::runtime_error("the subscriber never stalled");
  }
}

double p99_log_call(std::uint64_t calls, audience who) {
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.bind = {loopback}, .root_topic = "bench"});
  sink->set_pattern(pattern);
  spdlog::logger log("bench", sink);
  zmq::context_t context;
  zmq::socket_t stalled(context, zmq::socket_type::sub);
  stalled.set(zmq::sockopt::linger, 0);
  std::unique_ptr<receiver> reader;
  if (who == audience::stalled) {
    stalled.set(zmq::sockopt::subscribe, "");
    stalled.connect(sink->last_endpoint());  // and never read from again
  } else if (who == audience::keeping_up) {
    reader = std::make_unique<receiver>(calls, false, sink->last_endpoint());
  }
  if (who != audience::none && !sink->wait_for_subscriptions(1, 10s)) {
    throw std::runtime_error("the SUB never subscribed");
  }

  if (who == audience::stalled) stall(log, *sink);

  std::vector<std::uint32_t> times(calls);
  for (std::uint64_t i = 0; i < calls; ++i) {
    const auto start = clock_type::now();
    log.info("request {} served in {} us", i, 17);
    times[i] = static_cast<std::uint32_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - start).count());
  }
  if (who == audience::stalled && sink->dropped() < calls) {
    std::cerr << "zmqsec_bench_logging: the stalled subscriber took records again\n";
  }
  if (reader) reader->wait();
  const auto p99 = times.begin() + static_cast<std::ptrdiff_t>(calls * 99 / 100);
  std::nth_element(times.begin(), p99, times.end());
  return *p99 * 1e-9;
}

// ---- the table ----

double best(const std::vector<double>& v) {
  double b = NAN;
  for (double x : v) {
    if (std::isfinite(x) && !(x <= b)) b = x;
  }
  return b;
}

double median(std::vector<double> v) {
  std::erase_if(v, [](double x) { return !std::isfinite(x); });
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string count_text(std::uint64_t n) {
  return n < 1000 ? std::to_string(n) : zb::si(static_cast<double>(n), "");
}

struct results {
  std::vector<double> null_rate, file_rate, pub_rate, lossless_rate, json_rate, py_rate, wire_rate;
  std::vector<double> p99_none, p99_stalled, p99_keeping;
  std::vector<std::uint64_t> pub_lost;
  std::uint64_t json_lost = 0, py_lost = 0;  // reported on stderr
};

template <class F>
void attempt(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_logging: " << what << " failed: " << e.what() << '\n';
  }
}

void measure(const options& opt, results& r) {
  const fs::path file = opt.dir / "logging-bench.log";
  fs::create_directories(opt.dir);
  for (int rep = 0; rep < opt.repeat; ++rep) {
    attempt("null_sink", [&] { r.null_rate.push_back(null_sink_rate(opt.records)); });
    attempt("basic_file_sink", [&] { r.file_rate.push_back(file_sink_rate(opt.records, file)); });
    attempt("pub_sink", [&] {
      const auto f = pub_sink_rate(opt.records, zl::payload_format::formatted, opt.hwm, 0);
      r.pub_rate.push_back(f.rate);
      r.pub_lost.push_back(f.lost);
      // Flooded, the subscriber may fall behind; the rate it sustains without loss is found by
      // pacing the logger (needless when nothing was lost).
      r.lossless_rate.push_back(f.lost == 0 ? f.rate
                                            : ::lossless_rate(opt.records, opt.hwm, f.rate * 0.95));
    });
    attempt("the wire alone", [&] { r.wire_rate.push_back(::wire_rate(opt.records)); });
    attempt("pub_sink json", [&] {
      const auto f = pub_sink_rate(opt.records, zl::payload_format::json, opt.hwm, 0);
      r.json_rate.push_back(f.rate);
      r.json_lost = std::max(r.json_lost, f.lost);
    });
    if (opt.pyzmq) {
      attempt("pyzmq PUBHandler", [&] {
        const auto f = pubhandler_rate(opt);
        r.py_rate.push_back(f.rate);
        r.py_lost = std::max(r.py_lost, f.lost);
      });
    }
    attempt("p99, no subscriber",
            [&] { r.p99_none.push_back(p99_log_call(opt.calls, audience::none)); });
    attempt("p99, stalled subscriber",
            [&] { r.p99_stalled.push_back(p99_log_call(opt.calls, audience::stalled)); });
    attempt("p99, subscriber keeping up",
            [&] { r.p99_keeping.push_back(p99_log_call(opt.calls, audience::keeping_up)); });
    const auto last = [](const std::vector<double>& v) { return v.empty() ? NAN : v.back(); };
    std::cerr << "zmqsec_bench_logging: pass " << rep + 1 << ": records/s null "
              << last(r.null_rate) << " file " << last(r.file_rate) << " pub " << last(r.pub_rate)
              << " lossless " << last(r.lossless_rate) << " json " << last(r.json_rate) << " (lost "
              << r.json_lost << ") pyzmq " << last(r.py_rate) << " (lost " << r.py_lost
              << "); p99 s none " << last(r.p99_none) << " stalled " << last(r.p99_stalled)
              << " keeping up " << last(r.p99_keeping) << '\n';
  }
}

std::string rate_or_dash(double v) {
  return std::isfinite(v) ? zb::rate(v) : "-";
}
std::string seconds_or_dash(double v) {
  return std::isfinite(v) ? zb::seconds(v) : "-";
}

// The best rate of the runs and what that run lost.
std::pair<double, std::uint64_t> best_run(const std::vector<double>& rates,
                                          const std::vector<std::uint64_t>& lost) {
  std::pair<double, std::uint64_t> b{NAN, 0};
  for (std::size_t i = 0; i < rates.size() && i < lost.size(); ++i) {
    if (std::isfinite(rates[i]) && !(rates[i] <= b.first)) b = {rates[i], lost[i]};
  }
  return b;
}

// Prints the rows; returns false if a measurement failed.
bool print(const options& opt, const results& r) {
  const auto [pub, pub_lost] = best_run(r.pub_rate, r.pub_lost);
  const double lossless = best(r.lossless_rate), json = best(r.json_rate);
  const double file = best(r.file_rate), null = best(r.null_rate), py = best(r.py_rate);
  const double wire = best(r.wire_rate);
  const double none = median(r.p99_none), stalled = median(r.p99_stalled);
  const double keeping = median(r.p99_keeping);
  const std::string hwm = count_text(static_cast<std::uint64_t>(opt.hwm));

  if (opt.header) zb::print_header(std::cout);
  zb::print_row(std::cout, {"log records/s, pub_sink + 1 SUB (tcp)", rate_or_dash(pub),
                            "spdlog basic_file_sink, same pattern", rate_or_dash(file), pub / file,
                            zb::goal(std::isfinite(pub / file) && pub / file >= 0.5, ">= 0.5x")});
  zb::print_row(std::cout, {"  the same", rate_or_dash(pub), "spdlog null_sink (formats nothing)",
                            rate_or_dash(null), pub / null});
  zb::print_row(std::cout, {"  the same", rate_or_dash(pub), "libzmq alone, XPUB->SUB same frames",
                            rate_or_dash(wire), pub / wire});
  zb::print_row(std::cout,
                {"libzmq alone (no sink, no formatting)", rate_or_dash(wire),
                 "spdlog basic_file_sink, same pattern", rate_or_dash(file), wire / file});
  if (opt.pyzmq) {
    zb::print_row(std::cout, {"  the same", rate_or_dash(pub), "pyzmq PUBHandler + 1 SUB, python3",
                              rate_or_dash(py), pub / py,
                              zb::goal(std::isfinite(pub / py) && pub / py >= 20, ">= 20x")});
  }
  zb::print_row(std::cout, {"  records lost at that rate, HWM " + hwm, count_text(pub_lost),
                            "records logged", count_text(opt.records), NAN,
                            zb::goal(std::isfinite(pub) && pub_lost == 0, "0 lost")});
  zb::print_row(std::cout,
                {"  highest rate without loss, HWM " + hwm, rate_or_dash(lossless),
                 "spdlog basic_file_sink, same pattern", rate_or_dash(file), lossless / file});
  zb::print_row(std::cout,
                {"JSON records/s, pub_sink + 1 SUB (tcp)", rate_or_dash(json),
                 "spdlog basic_file_sink, same pattern", rate_or_dash(file), json / file});
  zb::print_row(std::cout,
                {"p99 log call, 1 stalled subscriber", seconds_or_dash(stalled),
                 "p99 log call, no subscriber", seconds_or_dash(none), none / stalled,
                 zb::goal(std::isfinite(none / stalled) && stalled <= 2 * none, "<= 2x")});
  zb::print_row(std::cout, {"p99 log call, 1 SUB keeping up", seconds_or_dash(keeping),
                            "p99 log call, no subscriber", seconds_or_dash(none), none / keeping});

  return std::isfinite(pub) && std::isfinite(json) && std::isfinite(file) && std::isfinite(none) &&
         std::isfinite(stalled) && (!opt.pyzmq || std::isfinite(py));
}

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "zmqsec_bench_logging: " << message << '\n';
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") {
      opt.records = 300000;
      opt.pyzmq_records = 30000;
      opt.calls = 100000;
      opt.repeat = 2;
    } else if (a == "--smoke") {
      opt.records = 20000;
      opt.pyzmq_records = 2000;
      opt.calls = 20000;
      opt.repeat = 1;
    } else if (a == "--records") {
      opt.records = std::stoull(value());
    } else if (a == "--pyzmq-records") {
      opt.pyzmq_records = std::stoull(value());
    } else if (a == "--calls") {
      opt.calls = std::stoull(value());
    } else if (a == "--repeat") {
      opt.repeat = std::stoi(value());
    } else if (a == "--hwm") {
      opt.hwm = std::stoi(value());
    } else if (a == "--python") {
      opt.python = value();
    } else if (a == "--cache") {
      opt.dir = value();
    } else if (a == "--no-pyzmq") {
      opt.pyzmq = false;
    } else if (a == "--no-header") {
      opt.header = false;
    } else {
      usage_error("unknown argument " + a);
    }
  }
  if (opt.records == 0 || opt.pyzmq_records == 0 || opt.calls < 100 || opt.repeat < 1) {
    usage_error("counts must be positive (--calls at least 100)");
  }
  results r;
  measure(opt, r);
  return print(opt, r) ? 0 : 1;
}
