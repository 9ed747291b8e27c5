// The part of pub_sink that does not depend on its mutex: the socket, the topic and payload of
// each record, and the drop accounting. Every member except the counters (dropped(),
// subscriptions(), records() ...) expects the caller to hold the sink's lock. The frames go onto
// the socket through the outlet: from the log call itself, or (pub_sink_config::send_thread) from
// the sender thread, which then alone uses the socket.
#pragma once

#include <spdlog/common.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <zmq.h>

#include <zmq.hpp>
#include <zmqsec/core/text.hpp>
#include <zmqsec/logging/detail/outlet.hpp>
#include <zmqsec/logging/pub_sink_config.hpp>

namespace zmqsec::logging::detail {

class send_thread;
class json_payload;
struct unreported_drops;

class publisher {
 public:
  explicit publisher(pub_sink_config config);
  publisher(zmq::socket_t socket, pub_sink_config config);
  publisher(const publisher&) = delete;
  publisher& operator=(const publisher&) = delete;
  ~publisher();

  /// Queues one record without blocking; whatever goes wrong is counted, never thrown.
  void publish(const spdlog::details::log_msg& msg) noexcept;

  /// Reads the subscribe requests, and sends the report of drops not yet reported, if the queues
  /// take it now. With a sender thread, first waits until it has sent what is queued.
  void flush() noexcept;

  /// Reads the subscribe requests that have reached an XPUB socket (the next periodic read is
  /// due a millisecond after now). With a sender thread, which reads them itself, nothing.
  void read_subscriptions(spdlog::log_clock::time_point now = spdlog::log_clock::now()) noexcept;
  /// Whether a sender thread puts the records on the socket.
  bool sends_from_thread() const noexcept { return sender_ != nullptr; }
  /// True for an XPUB socket (every socket the sink makes), false for a caller's PUB socket.
  bool sees_subscriptions() const noexcept { return xpub_; }
  /// A file descriptor that becomes readable when the socket has something to handle (ZMQ_FD),
  /// such as a subscribe request; it may be polled without the lock.
  int notification_fd() const noexcept { return notification_fd_; }

  /// A pattern for every level, or for one: spdlog's default "%+" gets the sink's own formatter
  /// of that pattern (the same text, cheaper), any other spdlog's pattern_formatter.
  void set_pattern(const std::string& pattern);
  void set_pattern(spdlog::level::level_enum level, const std::string& pattern);
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter);
  void set_formatter(spdlog::level::level_enum level, std::unique_ptr<spdlog::formatter> formatter);
  void set_root_topic(std::string root_topic);
  const std::string& root_topic() const noexcept { return root_topic_; }
  void set_payload_format(payload_format payload) noexcept { payload_ = payload; }
  payload_format payload() const noexcept { return payload_; }
  /// The endpoint bound or connected last (kept from the start: the sink binds nothing later).
  const std::string& last_endpoint() const noexcept { return last_endpoint_; }

  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  std::uint64_t subscriptions() const noexcept { return outlet_.subscriptions(); }
  std::uint64_t unsubscriptions() const noexcept { return outlet_.unsubscriptions(); }
  std::uint64_t records() const noexcept { return outlet_.records(); }
  std::uint64_t bytes() const noexcept { return outlet_.bytes(); }

 private:
  void open(const pub_sink_config& config);
  void apply_overflow(const pub_sink_config& config);
  void start_send_thread(const pub_sink_config& config);
  void queue_for_sender(const spdlog::details::log_msg& msg) noexcept;
  bool build_record(const spdlog::details::log_msg& msg, spdlog::level::level_enum level) noexcept;
  void absorb_sender_drops() noexcept;
  bool deliver_report() noexcept;
  void build_topic(spdlog::level::level_enum level, std::string_view subtopic);
  void build_payload(const spdlog::details::log_msg& msg, spdlog::level::level_enum level,
                     std::string_view text);
  void count_drop(const spdlog::details::log_msg& msg, spdlog::level::level_enum level,
                  unsigned reason) noexcept;
  std::string drop_report_text();
  void report_drops(const spdlog::details::log_msg& msg) noexcept;

  std::unique_ptr<zmq::context_t> own_context_;  // declared first: outlives the socket
  zmq::socket_t socket_;
  bool xpub_ = true;
  int notification_fd_ = -1;
  bool subtopics_ = true;
  payload_format payload_ = payload_format::formatted;
  int send_flags_ = ZMQ_DONTWAIT;  // 0 with overflow_policy::block_for: the socket's SNDTIMEO
  std::chrono::milliseconds overflow_wait_{0};
  std::string last_endpoint_;
  std::string root_topic_;
  // The topic of each level without a subtopic, made when the root topic is set: most records
  // have none, and their topic is then not built again.
  std::array<std::string, spdlog::level::n_levels> level_topics_;
  std::array<std::unique_ptr<spdlog::formatter>, spdlog::level::n_levels> formatters_;

  // Reused for every record, so a steady stream allocates nothing. topic_view_ is the current
  // record's topic: one of level_topics_, or topic_ when it has a subtopic.
  std::string topic_;
  std::string_view topic_view_;
  spdlog::memory_buf_t payload_buffer_;
  core::utc_timestamp time_;            // the drop report's times, the date formatted once a second
  std::unique_ptr<json_payload> json_;  // the JSON payload's writer, with what it keeps

  // Drops not yet reported on the stream, the highest level among them and why they happened.
  std::uint64_t unreported_ = 0;
  spdlog::level::level_enum unreported_level_ = spdlog::level::warn;
  unsigned unreported_reasons_ = 0;
  spdlog::log_clock::time_point first_unreported_{};  // the interval of the unreported drops:
  spdlog::log_clock::time_point last_unreported_{};   // the times of the records dropped
  std::uint64_t unreported_for_payload_ = 0;  // set while the JSON of a drop report is built

  std::atomic<std::uint64_t> dropped_{0};
  outlet outlet_;
  std::unique_ptr<send_thread> sender_;  // last: stopped before anything it uses goes
};

}  // namespace zmqsec::logging::detail
