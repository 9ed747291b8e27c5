// How a pub_sink publishes: where its socket binds or connects, the root topic, the payload
// format, and the limits that keep a log call from ever blocking.
//
//   // A worker that pushes its records into a collector (or a proxy) that binds:
//   auto sink = std::make_shared<zmqsec::logging::pub_sink_mt>(zmqsec::logging::pub_sink_config{
//       .connect = {"tcp://logs.internal:5557"},
//       .root_topic = "worker-7",
//       .payload = zmqsec::logging::payload_format::json});
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace zmq {
class context_t;
}

namespace zmqsec::logging {

/// What a log call does when a subscriber's queue is full (with count_drops, the default: one
/// full queue holds the record back from every subscriber it matches).
///
///   .overflow = overflow_policy::drop                    // never wait: drop, count, report
///   .overflow = overflow_policy::block_for(50ms)         // wait up to 50 ms for room, then drop
///
/// With block_for, a subscriber that keeps up on average loses nothing however large a burst
/// is: the logger waits while the subscriber catches up. A stalled subscriber costs each log
/// call up to d (and the sink's lock is held meanwhile, so other threads' calls wait too).
class overflow_policy {
 public:
  /// Drop at once (the default): a log call never waits.
  static const overflow_policy drop;
  /// Wait up to d for room, then drop. d is at least 1 ms and at most an hour.
  static constexpr overflow_policy block_for(std::chrono::milliseconds d) noexcept {
    overflow_policy p;
    p.wait_ = std::clamp(d, std::chrono::milliseconds(1), std::chrono::milliseconds(3600 * 1000));
    return p;
  }
  /// How long a log call waits for room; zero for drop.
  constexpr std::chrono::milliseconds wait() const noexcept { return wait_; }
  constexpr bool blocks() const noexcept { return wait_.count() > 0; }
  friend constexpr bool operator==(const overflow_policy&, const overflow_policy&) = default;

 private:
  constexpr overflow_policy() = default;
  std::chrono::milliseconds wait_{0};
};
inline constexpr overflow_policy overflow_policy::drop{};

/// What the second frame of a record holds.
enum class payload_format {
  formatted,  ///< the sink's formatter output for the record's level (spdlog's default pattern)
  json,  ///< one JSON object: time, level, logger, thread, topic, message, file, line, function
};

struct pub_sink_config {
  /// Endpoints the socket binds ("tcp://*:5556", "ipc:///run/app/log", "tcp://127.0.0.1:*").
  std::vector<std::string> bind = {};
  /// Endpoints the socket connects to: a collector or a proxy that binds. Many workers can
  /// connect into one collector.
  std::vector<std::string> connect = {};
  /// The first part of every topic, e.g. the program's name; "" leaves it out.
  std::string root_topic = {};
  payload_format payload = payload_format::formatted;
  /// Records queued for each subscriber before the sink drops records (ZMQ_SNDHWM). Deeper than
  /// libzmq's 1000, so that a burst of records is not lost while a subscriber catches up; a
  /// queued record takes some 300 bytes with its text, so a subscriber that stalls for good holds
  /// up to about 30 MB. Not applied to a socket the caller made: set it there before binding or
  /// connecting.
  int send_hwm = 100000;
  /// How long closing the sink waits for queued records to leave (ZMQ_LINGER). Always bounded:
  /// a negative value (libzmq's "for ever") is refused.
  std::chrono::milliseconds linger{1000};
  /// With true, a record that a subscriber's full queue cannot take is dropped for every
  /// subscriber it matches, and counted in dropped() (ZMQ_XPUB_NODROP). With false, each
  /// subscriber's queue overflows on its own, as with pyzmq's PUB socket: a subscriber that keeps
  /// up loses nothing while a stalled one falls behind, but libzmq drops those records without
  /// telling anyone, so dropped() cannot count them.
  bool count_drops = true;
  /// What a log call does when a queue is full: drop (the default) or wait a bounded time.
  /// block_for needs count_drops: without it libzmq drops for full subscribers by itself, and a
  /// sink with both is refused (zmqsec::error).
  overflow_policy overflow = overflow_policy::drop;
  /// Take a subtopic from the text before "::" in each message, as PUBHandler does.
  bool subtopics = true;
  /// A context to make the socket in; nullptr gives the sink a context of its own (one I/O
  /// thread). A shared context must outlive the sink.
  zmq::context_t* context = nullptr;
  /// Who puts the records on the socket. With false (the default), the log call itself. With
  /// true, a thread of the sink's: a log call formats its record into a queue of
  /// send_queue_bytes and returns, so its time no longer depends on libzmq or on subscribers
  /// (with a subscriber keeping up, the slowest log calls are several times faster); records
  /// reach the socket within about a millisecond. Accounting is the same: a record the queue
  /// cannot take (overflow_policy::block_for waits for room first), or that a subscriber's full
  /// queue refuses, is counted in dropped() and reported. flush() waits until the queue is
  /// sent; the end of the sink sends what is queued, for up to linger.
  bool send_thread = false;
  /// The sender thread's queue, in bytes (a record takes its topic, payload and 48 bytes).
  std::size_t send_queue_bytes = std::size_t{8} << 20;
};

}  // namespace zmqsec::logging
