// How a pub_sink publishes: where its socket binds or connects, the root topic, the payload
// format, and the limits that keep a log call from ever blocking.
//
//   // A worker that pushes its records into a collector (or a proxy) that binds:
//   auto sink = std::make_shared<zmqsec::logging::pub_sink_mt>(zmqsec::logging::pub_sink_config{
//       .connect = {"tcp://logs.internal:5557"},
//       .root_topic = "worker-7",
//       .payload = zmqsec::logging::payload_format::json});
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace zmq {
class context_t;
}

namespace zmqsec::logging {

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
  /// Take a subtopic from the text before "::" in each message, as PUBHandler does.
  bool subtopics = true;
  /// A context to make the socket in; nullptr gives the sink a context of its own (one I/O
  /// thread). A shared context must outlive the sink.
  zmq::context_t* context = nullptr;
};

}  // namespace zmqsec::logging
