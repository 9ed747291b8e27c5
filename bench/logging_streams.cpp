// zmqsec_bench_logging's streams: pub_sink and libzmq alone into one SUB, pyzmq's PUBHandler,
// and the time of one log call with no subscriber, a stalled one and one that keeps up.
#include <zmq.h>

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "bench_process.hpp"
#include "bench_table.hpp"
#include "logging_bench.hpp"

namespace zmqsec::bench::logs {
namespace {

using namespace std::chrono_literals;

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

}  // namespace

void log_records(spdlog::logger& log, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) log.info("request {} served in {} us", i, 17);
}

// One pub_sink run of n records: flat out (pace 0) or at most `pace` records a second (the
// producer sleeps when it is ahead, leaving the CPU to the subscriber).
stream_figures pub_sink_rate(std::uint64_t n, zl::payload_format payload, int hwm, double pace,
                             zl::overflow_policy overflow, bool send_thread) {
  auto sink = std::make_shared<zl::pub_sink_mt>(zl::pub_sink_config{.bind = {loopback},
                                                                    .root_topic = "bench",
                                                                    .payload = payload,
                                                                    .send_hwm = hwm,
                                                                    .overflow = overflow,
                                                                    .send_thread = send_thread});
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
            << (payload == zl::payload_format::json ? " json" : "")
            << (send_thread ? " send_thread" : "") << ", pace "
            << (pace > 0 ? rate(pace) : "flat out") << ": " << n << " log calls in "
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
namespace {

// The cheapest spdlog sink on this transport: it sends the preformatted frames of wire_rate for
// each record it is given, so a logger with it pays spdlog's own work (the call, the message
// formatted by fmt, the sink's lock) and the sends, and nothing else.
class preformatted_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit preformatted_sink(wire_feed& feed) : feed_(feed) {}

 private:
  void sink_it_(const spdlog::details::log_msg&) override { feed_.send(1); }
  void flush_() override {}

  wire_feed& feed_;
};

}  // namespace

namespace {

std::string preformatted_record(zl::payload_format payload) {
  const std::string message = "request 123456 served in 17 us";
  spdlog::details::log_msg record("bench", spdlog::level::info, message);
  if (payload == zl::payload_format::formatted) {
    spdlog::memory_buf_t formatted;
    spdlog::pattern_formatter(pattern).format(record, formatted);
    return {formatted.data(), formatted.size()};
  }
  // What the sink's JSON payload holds for such a record.
  return R"({"time":"2026-12-02T10:04:05.123456Z","level":"INFO",)"
         R"("logger":"bench","thread":123456,"topic":"bench.INFO",)"
         R"("message":")" +
         message + R"("})";
}

}  // namespace

wire_feed::wire_feed(zl::payload_format payload)
    : socket_(context_, zmq::socket_type::xpub), record_(preformatted_record(payload)) {
  socket_.set(zmq::sockopt::linger, 0);
  socket_.set(zmq::sockopt::xpub_nodrop, 1);
  socket_.bind(loopback);
}

std::string wire_feed::endpoint() const {
  return socket_.get(zmq::sockopt::last_endpoint);
}

void wire_feed::wait_for_subscriber() {
  socket_.set(zmq::sockopt::rcvtimeo, 10000);
  zmq::message_t subscription;
  if (!socket_.recv(subscription)) throw std::runtime_error("the SUB never subscribed");
}

void wire_feed::send(std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i) {
    if (zmq_send(socket_.handle(), topic_.data(), topic_.size(), ZMQ_SNDMORE) < 0 ||
        zmq_send(socket_.handle(), record_.data(), record_.size(), 0) < 0) {
      throw std::runtime_error(std::string("zmq_send: ") + zmq_strerror(zmq_errno()));
    }
  }
}

double wire_rate(std::uint64_t n, zl::payload_format payload, bool through_spdlog) {
  wire_feed feed(payload);
  receiver sub(n, false, feed.endpoint());
  feed.wait_for_subscriber();
  auto sink = std::make_shared<preformatted_sink>(feed);
  spdlog::logger log("bench", sink);
  const auto start = clock_type::now();
  if (through_spdlog) {
    log_records(log, n);
  } else {
    feed.send(n);
  }
  const auto [received, last] = sub.wait();
  if (received != n) throw std::runtime_error("the wire lost records");
  return static_cast<double>(received) / seconds_since(start, last);
}
// ---- pyzmq ----

stream_figures pubhandler_rate(const std::string& python, const fs::path& script, std::uint64_t n) {
  receiver sub(n, true, loopback);
  const std::string out =
      run({python, "-I", "-B", script.string(), sub.endpoint(), std::to_string(n)});
  const auto [received, last] = sub.wait();
  const auto at = out.find("start=");
  if (at == std::string::npos) throw std::runtime_error("logging_pyzmq.py printed no start");
  const double start = std::stod(out.substr(at + 6));
  const double end = std::chrono::duration<double>(last.time_since_epoch()).count();
  stream_figures f;
  f.rate = static_cast<double>(received) / (end - start);
  f.lost = n - received;
  return f;
}
// ---- the time of one log call ----

namespace {

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

}  // namespace

// The timed calls' rate, records/s.
constexpr double p99_pace = 100000;

double p99_log_call(std::uint64_t calls, audience who, bool send_thread) {
  auto sink = std::make_shared<zl::pub_sink_mt>(
      zl::pub_sink_config{.bind = {loopback}, .root_topic = "bench", .send_thread = send_thread});
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

  // Paced, so that the subscriber does keep up and the machine has time to spare: flat out, five
  // busy threads on two cores would make the p99 a measure of preemption. The wait between calls
  // spins: after a sleep, the first call would find cold caches and measure those.
  std::vector<std::uint32_t> times(calls);
  const auto begin = clock_type::now();
  const auto spacing =
      std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(1 / p99_pace));
  for (std::uint64_t i = 0; i < calls; ++i) {
    const auto due = begin + spacing * static_cast<std::int64_t>(i);
    while (clock_type::now() < due) {
    }
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

}  // namespace zmqsec::bench::logs
