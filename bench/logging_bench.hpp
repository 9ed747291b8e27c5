// The measurements of zmqsec_bench_logging (logging_bench.cpp prints them side by side): each
// function runs one measurement and returns its figure.
//   logging_streams.cpp    pub_sink and libzmq alone into one SUB, PUBHandler, a log call's p99
//   logging_peers.cpp      spdlog's null_sink, basic_file_sink, tcp_sink and udp_sink
//   logging_receivers.cpp  the receiving side: subscriber into a null sink, zmq-logtail to a file
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>

#include <zmq.hpp>

#include <zmqsec/logging.hpp>

namespace zmqsec::bench::logs {

namespace fs = std::filesystem;
namespace zl = zmqsec::logging;
using clock_type = std::chrono::steady_clock;

inline constexpr const char* pattern = "%+";  // spdlog's default: "[time] [logger] [level] text"
inline constexpr const char* loopback = "tcp://127.0.0.1:*";

inline double seconds_since(clock_type::time_point start, clock_type::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

/// The records every row logs: n calls of log.info("request {} served in {} us", i, 17).
void log_records(spdlog::logger& log, std::uint64_t n);

struct stream_figures {
  double rate = NAN;       ///< records received a second, first log call to last record
  std::uint64_t lost = 0;  ///< records logged and never received
};

// ---- logging_streams.cpp ----

/// pub_sink with one SUB over tcp on 127.0.0.1: flat out (pace 0) or at most pace records a
/// second.
/// With send_thread, the sink's sender thread puts the records on the socket.
stream_figures pub_sink_rate(std::uint64_t n, zl::payload_format payload, int hwm, double pace,
                             zl::overflow_policy overflow = zl::overflow_policy::drop,
                             bool send_thread = false);
/// The highest rate at which every record arrives, within 15%, from a first guess.
double lossless_rate(std::uint64_t n, int hwm, double first_guess);
/// libzmq alone: the sink's two frames, preformatted once, blocking sends from an XPUB to the
/// same kind of SUB. payload selects the second frame: the pattern's text or a JSON record.
/// through_spdlog: the same sends from a minimal spdlog sink, under the records' log calls (what
/// spdlog itself costs each record before any sink formats it).
double wire_rate(std::uint64_t n, zl::payload_format payload, bool through_spdlog = false);
/// libzmq alone as a sender: the sink's two frames for one record (the pattern's text or a JSON
/// record), preformatted once, sent with blocking sends from an XPUB with NODROP bound on
/// loopback. Nothing is formatted and nothing lost: the cheapest sender there is.
class wire_feed {
 public:
  explicit wire_feed(zl::payload_format payload = zl::payload_format::formatted);
  std::string endpoint() const;
  /// Waits up to 10 s for the first subscription; throws if none comes.
  void wait_for_subscriber();
  /// Sends n records.
  void send(std::uint64_t n);

 private:
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string topic_ = "bench.INFO";
  std::string record_;
};
/// pyzmq's PUBHandler in a python3 child into the same kind of SUB.
stream_figures pubhandler_rate(const std::string& python, const fs::path& script, std::uint64_t n);

enum class audience { none, stalled, keeping_up };
/// The p99 time of one log call, in seconds (with send_thread: a sink with a sender thread).
double p99_log_call(std::uint64_t calls, audience who, bool send_thread = false);

// ---- logging_peers.cpp ----

double null_sink_rate(std::uint64_t n);
double file_sink_rate(std::uint64_t n, const fs::path& file);
/// spdlog's tcp_sink into a loopback reader that counts lines.
double tcp_sink_rate(std::uint64_t n);
/// spdlog's udp_sink into a loopback reader that counts datagrams (UDP may lose some).
stream_figures udp_sink_rate(std::uint64_t n);

// ---- logging_receivers.cpp ----

/// Who sends the records a receiver takes in: pub_sink waiting for room (block_for), so that
/// nothing is lost and the pair sets the pace, or libzmq alone (wire_feed), so that the
/// receiver's own capacity is measured with as much of the machine as a sender leaves.
enum class feeder { sink, wire };
/// zmqsec::logging::subscriber handing records to a logger with spdlog's null_sink.
double subscriber_rate(std::uint64_t n, feeder from);
/// zmq-logtail (the binary at logtail) printing records into a file.
double logtail_rate(std::uint64_t n, const fs::path& logtail, const fs::path& file, feeder from);

}  // namespace zmqsec::bench::logs
