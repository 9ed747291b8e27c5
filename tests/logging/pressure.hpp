// Helpers for the tests that put a pub_sink under pressure: a subscriber that stalls (its queues
// and the kernel's buffers full for good), one that reads on a thread of its own, and a logger
// that goes on until the sink takes a record again.
#pragma once

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <zmq.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <zmq.hpp>
#include <zmqsec/logging.hpp>

#include "../support/wait_until.hpp"
#include "log_stream.hpp"

namespace zmqsec::testing {

namespace zl = zmqsec::logging;
using pressure_clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

inline const std::string kilobyte(1000, 'x');

// Logs text until a record gets through (a sink that was refusing records learns that the queue
// has room only as libzmq passes it word), handing what the reader receives meanwhile to
// on_frame; returns how many were logged.
template <class OnFrame>
inline std::uint64_t log_until_accepted(spdlog::logger& log, zl::pub_sink_mt& sink,
                                        sub_reader& reader, const std::string& text,
                                        spdlog::level::level_enum level, OnFrame on_frame) {
  const auto deadline = pressure_clock::now() + 10s;
  for (std::uint64_t attempts = 1;; ++attempts) {
    const auto before = sink.dropped();
    log.log(level, text);
    if (sink.dropped() == before) return attempts;
    while (auto f = reader.receive(10ms)) on_frame(*f);
    if (pressure_clock::now() > deadline) {
      ADD_FAILURE() << "the queue never drained";
      return attempts;
    }
  }
}

// Logs 1 kB records until the sink has refused every record for 100 ms: the subscriber's queues
// and the kernel's socket buffers are full for good, not merely slow to drain (on a busy machine
// libzmq's I/O thread may not run for a while). Returns how many were logged.
inline std::uint64_t stall(spdlog::logger& log, zl::pub_sink_mt& sink,
                           spdlog::level::level_enum level = spdlog::level::info) {
  const auto deadline = pressure_clock::now() + 20s;
  std::optional<pressure_clock::time_point> refusing_since;
  std::uint64_t sent = 0;
  for (;;) {
    const auto before = sink.dropped();
    log.log(level, kilobyte);
    ++sent;
    const auto now = pressure_clock::now();
    if (sink.dropped() == before) {
      refusing_since.reset();
    } else if (!refusing_since) {
      refusing_since = now;
    } else if (now - *refusing_since >= 100ms) {
      return sent;
    }
    if (now > deadline) {
      ADD_FAILURE() << "no lasting stall after " << sent << " records";
      return sent;
    }
  }
}

// Reads on a thread of its own, counting records (not the sink's drop reports), until stopped.
class counting_reader {
 public:
  counting_reader(zmq::context_t& context, const std::string& endpoint)
      : thread_([this, &context, endpoint](std::stop_token stop) {
          sub_reader reader(context);
          reader.connect(endpoint);
          while (!stop.stop_requested()) {
            const auto f = reader.receive(5ms);
            if (f && !f->topic.ends_with("dropped")) count_.fetch_add(1);
          }
        }) {}
  std::uint64_t count() const { return count_.load(); }

 private:
  std::atomic<std::uint64_t> count_{0};
  std::jthread thread_;
};

// A subscriber on a thread of its own that reads as fast as it can (or, with a pause, slowly:
// it sleeps pause after every `every` records, a reader that falls behind on purpose), counting
// records and, apart, the sink's drop reports and the drops they report.
class record_counter {
 public:
  record_counter(const std::string& endpoint, int receive_hwm = 1000,
                 std::chrono::microseconds pause = {}, std::uint64_t every = 0)
      : socket_(context_, zmq::socket_type::sub) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvhwm, receive_hwm);
    socket_.set(zmq::sockopt::subscribe, "");
    socket_.connect(endpoint);
    thread_ = std::jthread([this, pause, every](std::stop_token stop) { run(stop, pause, every); });
  }

  std::uint64_t records() const { return records_.load(); }
  std::uint64_t reports() const { return reports_.load(); }
  std::uint64_t reported() const { return reported_.load(); }
  /// Whether a record with this payload has arrived (the last one only is kept).
  std::string last_payload() {
    std::lock_guard<std::mutex> lock(mutex_);
    return last_payload_;
  }

 private:
  void run(std::stop_token stop, std::chrono::microseconds pause, std::uint64_t every) {
    zmq::message_t topic, payload;
    while (!stop.stop_requested()) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, std::chrono::milliseconds(5)) == 0) continue;
      while (socket_.recv(topic, zmq::recv_flags::dontwait)) {
        if (!socket_.recv(payload)) return;  // the second frame follows the first at once
        take(topic.to_string_view(), payload.to_string_view());
        if (every != 0 && records_.load() % every == 0) std::this_thread::sleep_for(pause);
        if (stop.stop_requested()) return;
      }
    }
  }

  void take(std::string_view topic, std::string_view payload) {
    if (topic.ends_with(".dropped") || topic == "WARNING.dropped") {
      std::uint64_t n = 0;
      if (std::sscanf(std::string(payload).c_str(), "dropped %" SCNu64, &n) != 1) {
        ADD_FAILURE() << "a drop report without a count: " << payload;
      }
      reported_.fetch_add(n);
      reports_.fetch_add(1);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last_payload_.assign(payload);
    }
    records_.fetch_add(1);
  }

  zmq::context_t context_;
  zmq::socket_t socket_;
  std::atomic<std::uint64_t> records_{0}, reports_{0}, reported_{0};
  std::mutex mutex_;
  std::string last_payload_;
  std::jthread thread_;  // last: stops and joins before the rest goes
};

// Flushes the sink until the reader has every record logged or counted as dropped and every drop
// reported (flush() sends a report the queue could not take when the drops happened).
inline ::testing::AssertionResult all_accounted_for(zl::pub_sink_mt& sink, record_counter& reader,
                                                    std::uint64_t logged) {
  const bool settled = wait_until(
      [&] {
        sink.flush();
        return reader.records() + sink.dropped() >= logged && reader.reported() >= sink.dropped();
      },
      std::chrono::seconds(120));
  if (settled && reader.records() + sink.dropped() == logged &&
      reader.reported() == sink.dropped()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << "logged " << logged << ", received " << reader.records() << ", dropped "
         << sink.dropped() << ", reported " << reader.reported();
}

}  // namespace zmqsec::testing
