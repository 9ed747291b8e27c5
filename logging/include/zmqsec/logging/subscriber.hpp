// subscriber: the collecting side of a log stream. A SUB socket connects to (or binds for) one or
// more publishers, pub_sinks and pyzmq PUBHandlers alike, with topic filters, and hands each
// record to a local spdlog logger at its original level, so remote records land in the
// collector's own sinks (console, rotating files).
//
//   auto files = spdlog::rotating_logger_mt("collected", "logs/all.log", 50 << 20, 5);
//   zmqsec::logging::subscriber collector(
//       {.connect = {"tcp://10.0.0.5:5556", "tcp://10.0.0.6:5556"},
//        .topics = {"myapp.WARNING", "myapp.ERROR"}},
//       files);
//   std::jthread worker([&](std::stop_token stop) { collector.run(stop); });
//
// Without a logger, receive() returns the records themselves. A subscriber belongs to one thread
// at a time, like its socket.
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>
#include <zmqsec/logging/record.hpp>

namespace zmqsec::logging {

struct subscriber_config {
  /// Publishers to connect to (endpoints where a pub_sink or a PUBHandler binds).
  std::vector<std::string> connect = {};
  /// Endpoints to bind, for publishers that connect (pub_sink_config::connect).
  std::vector<std::string> bind = {};
  /// Topic prefixes to receive, e.g. "myapp." or "myapp.ERROR"; "" receives everything.
  std::vector<std::string> topics = {""};
  /// Records held for this subscriber before libzmq drops newer ones (ZMQ_RCVHWM).
  int receive_hwm = 100000;
  /// Hand the logger "TOPIC: message" instead of the message alone, to keep where a record came
  /// from in a collector that receives from many programs.
  bool with_topic = false;
  /// Called with the socket before it subscribes, binds or connects: set CURVE client keys or
  /// other options here.
  std::function<void(zmq::socket_t&)> configure = {};
  /// A context to make the socket in; nullptr gives the subscriber a context of its own.
  zmq::context_t* context = nullptr;
};

class subscriber {
 public:
  /// Makes the SUB socket, subscribes it, binds and connects it. Records go to target, if given,
  /// through dispatch() and run(). Throws zmqsec::error if an endpoint cannot be used.
  explicit subscriber(subscriber_config config, std::shared_ptr<spdlog::logger> target = nullptr);
  subscriber(const subscriber&) = delete;
  subscriber& operator=(const subscriber&) = delete;
  ~subscriber();

  /// The endpoints bound, with the port a "*" stood for ("tcp://127.0.0.1:45013").
  const std::vector<std::string>& bound_endpoints() const noexcept { return bound_; }

  /// Receives records whose topic starts with prefix too.
  void subscribe(const std::string& prefix);

  /// The next record, or nullopt if none arrives within timeout.
  std::optional<record> receive(std::chrono::milliseconds timeout);

  /// What receive_each() hands over: a record's two frames, valid during the call. Returns
  /// whether to go on with the records queued behind it.
  using frames_handler = std::function<bool(std::string_view topic, std::string_view payload)>;
  /// Waits up to timeout for a record, then hands handle its frames and those of every record
  /// already queued behind it (until handle returns false), copying nothing; returns how many.
  /// For readers that print or forward records at the stream's rate (zmq-logtail).
  std::size_t receive_each(std::chrono::milliseconds timeout, const frames_handler& handle);

  /// Waits up to timeout for a record, then hands it and every record already queued behind it to
  /// the logger; returns how many. Throws zmqsec::error if there is no logger.
  std::size_t dispatch(std::chrono::milliseconds timeout);

  /// Dispatches records as they arrive until stop is requested; returns promptly then.
  void run(std::stop_token stop);

  /// The SUB socket, to poll it together with other things (zmq_poll), then receive() with a
  /// zero timeout.
  zmq::socket_t& socket() noexcept { return socket_; }

  /// Messages received that were not records (not two frames), and ignored.
  std::uint64_t skipped() const noexcept { return skipped_.load(std::memory_order_relaxed); }
  /// Records received (two-frame messages), whether handed on or returned by receive().
  std::uint64_t received() const noexcept { return received_.load(std::memory_order_relaxed); }

 private:
  bool try_receive_frames();
  bool wait_for_frames(std::chrono::milliseconds timeout);
  std::optional<record> try_receive();
  void hand_over_frames();
  spdlog::level::level_enum level_of(std::string_view topic);

  std::unique_ptr<zmq::context_t> own_context_;  // declared first: outlives the socket
  zmq::socket_t socket_;
  std::shared_ptr<spdlog::logger> target_;
  bool with_topic_ = false;
  std::vector<std::string> bound_;
  // The two frames of the last message received, reused: dispatching a record copies nothing
  // but what the logger's sinks copy.
  zmq::message_t topic_frame_;
  zmq::message_t payload_frame_;
  zmq::message_t extra_frame_;
  std::string_view topic_;    // the text of topic_frame_ after a record came
  std::string_view payload_;  // the text of payload_frame_
  std::string last_topic_;    // the topic level_of() parsed last, and its level
  spdlog::level::level_enum last_level_ = spdlog::level::info;
  std::string line_;
  std::atomic<std::uint64_t> skipped_{0};
  std::atomic<std::uint64_t> received_{0};
};

}  // namespace zmqsec::logging
