// pub_sink: an spdlog sink that publishes every record on a ZeroMQ socket as two frames, a topic
// and a payload, in the format of pyzmq's PUBHandler, so that operators can watch and collect a
// server's logs from elsewhere, filtered by program and level.
//
//   #include <zmqsec/logging.hpp>
//   auto sink = std::make_shared<zmqsec::logging::pub_sink_mt>("tcp://127.0.0.1:5556");  // binds
//   sink->set_root_topic("myapp");
//   auto log = std::make_shared<spdlog::logger>("app", sink);
//   log->info("hello");              // frames: "myapp.INFO", "[...] [app] [info] hello\n"
//   log->warn("disk::low space");    // frames: "myapp.WARNING.disk", "[...] [warning] low space\n"
//
// The topic is root_topic.LEVEL[.subtopic] with Python's level names (see topic.hpp); the payload
// is the formatter's output for the record's level, or one JSON object (payload_format::json).
//
// A log call never throws, and by default never blocks: the socket sends without waiting, and
// a record it cannot queue (a subscriber's queue is full, see pub_sink_config::count_drops) is
// counted in dropped() and reported on the stream by a record "ROOT.WARNING.dropped" (or the
// highest level dropped, if higher) as soon as records flow again, or on flush(), with the
// times of the first and last record dropped:
//   dropped 3 records in 0.000210 s from 2026-12-02T10:04:05.123456Z to
//   2026-12-02T10:04:05.123666Z (a subscriber's queue was full)
// Every record logged is either delivered to each subscriber that stays connected or counted in
// dropped(). With pub_sink_config::overflow = overflow_policy::block_for(d), a log call that
// meets a full queue waits up to d for room before it drops. Under spdlog's async logger the
// socket is used from the pool's thread, under the sink's mutex.
//
// The socket is an XPUB that binds or connects where the config says, or a socket the caller
// configured (for instance as a CURVE server) and hands over:
//
//   zmq::socket_t socket(context, zmq::socket_type::xpub);
//   socket.set(zmq::sockopt::curve_server, true);
//   socket.set(zmq::sockopt::curve_secretkey, server_secret_z85);
//   socket.bind("tcp://*:5556");
//   auto sink = std::make_shared<zmqsec::logging::pub_sink_mt>(std::move(socket));
#pragma once

#include <poll.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/details/synchronous_factory.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <zmq.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/logging/detail/publisher.hpp>
#include <zmqsec/logging/pub_sink_config.hpp>

namespace zmqsec::logging {

template <typename Mutex>
class pub_sink final : public spdlog::sinks::base_sink<Mutex> {
  using base = spdlog::sinks::base_sink<Mutex>;

 public:
  /// Binds an XPUB socket to endpoint, like PUBHandler(interface).
  explicit pub_sink(const std::string& endpoint) : pub_sink(pub_sink_config{.bind = {endpoint}}) {}
  /// Makes an XPUB socket and binds and connects it as config says.
  explicit pub_sink(pub_sink_config config) : publisher_(std::move(config)) {}
  /// Publishes on a socket the caller made and configured (an XPUB, or a PUB whose drops libzmq
  /// does not report). The sink takes it over; it also binds and connects it to the config's
  /// endpoints and sets its linger. Its context must outlive the sink.
  explicit pub_sink(zmq::socket_t socket, pub_sink_config config = {})
      : publisher_(std::move(socket), std::move(config)) {}

  /// The first part of every topic from now on; "" leaves it out (PUBHandler.root_topic).
  void set_root_topic(std::string root_topic) {
    std::lock_guard<Mutex> lock(this->mutex_);
    publisher_.set_root_topic(std::move(root_topic));
  }
  std::string root_topic() {
    std::lock_guard<Mutex> lock(this->mutex_);
    return publisher_.root_topic();
  }

  /// set_formatter(f) and set_pattern(p), as on every spdlog sink, apply to all levels, replacing
  /// per-level formatters (as PUBHandler.setFormatter(fmt) does); spdlog's registry calls them
  /// too, when a factory registers a logger and on spdlog::set_pattern().
  using base::set_formatter;
  using base::set_pattern;
  /// The formatter for records of one level (PUBHandler.setFormatter(fmt, level)).
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter,
                     spdlog::level::level_enum level) {
    std::lock_guard<Mutex> lock(this->mutex_);
    publisher_.set_formatter(level, std::move(formatter));
  }
  void set_pattern(const std::string& pattern, spdlog::level::level_enum level) {
    set_formatter(std::make_unique<spdlog::pattern_formatter>(pattern), level);
  }

  /// Formatted text or JSON from the next record on. Formatters set meanwhile are kept.
  void set_payload_format(payload_format payload) {
    std::lock_guard<Mutex> lock(this->mutex_);
    publisher_.set_payload_format(payload);
  }

  /// Records lost since the sink was made: not queued because a subscriber's queue was full,
  /// or because formatting or sending failed. Safe to read from any thread.
  std::uint64_t dropped() const noexcept { return publisher_.dropped(); }

  /// Subscribe requests the socket has seen so far, one per topic filter of each subscriber
  /// (again after a subscriber reconnects). The sink reads them as it logs, on flush() and in
  /// wait_for_subscriptions().
  std::uint64_t subscriptions() const noexcept { return publisher_.subscriptions(); }

  /// Records queued on the socket, and their topic and payload bytes, since the sink was made.
  /// Safe to read from any thread.
  std::uint64_t records() const noexcept { return publisher_.records(); }
  std::uint64_t bytes() const noexcept { return publisher_.bytes(); }
  /// Subscription filters of the subscribers connected now (subscribe requests less
  /// unsubscriptions, which libzmq also sends for a subscriber that left): with the default
  /// topic "", the number of subscribers. Updated when the sink reads the socket (as it logs).
  std::uint64_t subscribers() const noexcept {
    const std::uint64_t subscribed = publisher_.subscriptions();
    const std::uint64_t left = publisher_.unsubscriptions();
    return subscribed > left ? subscribed - left : 0;
  }

  /// Waits until the socket has seen `count` subscribe requests in all, or timeout passes; true
  /// if it has. PUB/SUB delivers nothing to a subscriber until its subscription has arrived, so a
  /// program that logs a few records and exits (or a test) waits here first. Logging goes on
  /// meanwhile. Throws zmqsec::error for a PUB socket, which cannot see subscriptions.
  bool wait_for_subscriptions(std::uint64_t count, std::chrono::milliseconds timeout) {
    using clock = std::chrono::steady_clock;
    const auto deadline = clock::now() + timeout;
    for (;;) {
      {
        std::lock_guard<Mutex> lock(this->mutex_);
        if (!publisher_.sees_subscriptions()) {
          throw error(errc::invalid_argument, "pub_sink: a PUB socket does not see subscriptions");
        }
        publisher_.read_subscriptions();
        if (publisher_.subscriptions() >= count) return true;
      }
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now());
      if (left.count() <= 0) return false;
      // Without the lock, so that logging goes on. A log call may handle the socket's news first
      // and leave the descriptor quiet: hence the slices.
      // A sender thread reads the socket itself (the descriptor may stay quiet here): short slices.
      const std::int64_t slice = publisher_.sends_from_thread() ? 1 : 10;
      pollfd item{publisher_.notification_fd(), POLLIN, 0};
      ::poll(&item, 1, static_cast<int>(std::min<std::int64_t>(left.count(), slice)));
    }
  }

  /// The endpoint the socket bound or connected last, with the port a "*" stood for.
  std::string last_endpoint() const { return publisher_.last_endpoint(); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override { publisher_.publish(msg); }
  void flush_() override { publisher_.flush(); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override {
    publisher_.set_formatter(std::move(formatter));
  }

 private:
  detail::publisher publisher_;
};

using pub_sink_mt = pub_sink<std::mutex>;
using pub_sink_st = pub_sink<spdlog::details::null_mutex>;

/// A logger with a pub_sink bound to endpoint, registered with spdlog like spdlog's own factories
/// (which give it the global pattern). pub_logger_mt<spdlog::async_factory>(...) makes an async
/// logger (include <spdlog/async.h>).
template <typename Factory = spdlog::synchronous_factory>
std::shared_ptr<spdlog::logger> pub_logger_mt(const std::string& logger_name,
                                              const std::string& endpoint) {
  return Factory::template create<pub_sink_mt>(logger_name, endpoint);
}
template <typename Factory = spdlog::synchronous_factory>
std::shared_ptr<spdlog::logger> pub_logger_mt(const std::string& logger_name,
                                              pub_sink_config config) {
  return Factory::template create<pub_sink_mt>(logger_name, std::move(config));
}
template <typename Factory = spdlog::synchronous_factory>
std::shared_ptr<spdlog::logger> pub_logger_st(const std::string& logger_name,
                                              const std::string& endpoint) {
  return Factory::template create<pub_sink_st>(logger_name, endpoint);
}
template <typename Factory = spdlog::synchronous_factory>
std::shared_ptr<spdlog::logger> pub_logger_st(const std::string& logger_name,
                                              pub_sink_config config) {
  return Factory::template create<pub_sink_st>(logger_name, std::move(config));
}

}  // namespace zmqsec::logging
