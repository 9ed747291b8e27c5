#include <zmqsec/logging/detail/publisher.hpp>

#include <spdlog/fmt/fmt.h>
#include <spdlog/pattern_formatter.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <system_error>
#include <utility>

#include <zmqsec/core/text.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/logging/topic.hpp>

#include "sockets.hpp"

namespace zmqsec::logging::detail {
namespace {

// Subscribe requests wait in the XPUB socket until read; reading them every so many records keeps
// that queue short without a system call per record.
constexpr unsigned read_interval = 256;

// During a stall, every so many refused records the socket is made to handle its commands (a
// system call); rarely enough that a log call stays as cheap as without subscribers.
constexpr unsigned refresh_interval = 1024;

// Sends are retried this often when a signal interrupts them.
constexpr int interrupted_retries = 3;

constexpr std::string_view component = "pub_sink";

std::size_t level_index(spdlog::level::level_enum level) noexcept {
  const auto index = static_cast<std::size_t>(level);
  return index < spdlog::level::n_levels ? index : static_cast<std::size_t>(spdlog::level::info);
}

// ZMQ_LINGER from the config: never -1, libzmq's "wait for ever".
int linger_ms(const pub_sink_config& config) {
  if (config.linger.count() < 0) {
    throw zmqsec::error(errc::invalid_argument, "pub_sink: linger must not be negative");
  }
  return static_cast<int>(
      std::min<std::chrono::milliseconds::rep>(config.linger.count(), 1000 * 3600));
}

template <class Buffer>
void append_number(Buffer& out, std::uint64_t value) {
  const fmt::format_int text(value);
  out.append(text.data(), text.data() + text.size());
}

void append(spdlog::memory_buf_t& out, std::string_view text) {
  out.append(text.data(), text.data() + text.size());
}

}  // namespace

publisher::publisher(pub_sink_config config)
    : subtopics_(config.subtopics), payload_(config.payload), root_topic_(config.root_topic) {
  zmq::context_t* context = &given_or_own_context(config.context, own_context_);
  try {
    socket_ = zmq::socket_t(*context, zmq::socket_type::xpub);
    socket_.set(zmq::sockopt::linger, linger_ms(config));
    socket_.set(zmq::sockopt::sndhwm, config.send_hwm);
  } catch (const zmq::error_t& e) {
    throw socket_error(component, e, "cannot make an XPUB socket");
  }
  open(config);
}

publisher::publisher(zmq::socket_t socket, pub_sink_config config)
    : socket_(std::move(socket)),
      subtopics_(config.subtopics),
      payload_(config.payload),
      root_topic_(config.root_topic) {
  if (!socket_) throw zmqsec::error(errc::invalid_argument, "pub_sink: the socket is closed");
  try {
    const int type = socket_.get(zmq::sockopt::type);
    if (type != ZMQ_XPUB && type != ZMQ_PUB) {
      throw zmqsec::error(errc::invalid_argument, "pub_sink: the socket must be XPUB or PUB");
    }
    xpub_ = type == ZMQ_XPUB;
    socket_.set(zmq::sockopt::linger, linger_ms(config));
  } catch (const zmq::error_t& e) {
    throw socket_error(component, e, "cannot configure the socket");
  }
  open(config);
}

void publisher::open(const pub_sink_config& config) {
  for (auto& formatter : formatters_) formatter = std::make_unique<spdlog::pattern_formatter>();
  topic_.reserve(64);
  try {
    notification_fd_ = socket_.get(zmq::sockopt::fd);
    if (xpub_) {
      // Verbose: every subscriber's subscribe request reaches us, not only a topic's first, so
      // that subscriptions() counts subscribers' filters.
      socket_.set(zmq::sockopt::xpub_verbose, true);
      // Verboser: every unsubscription too (a subscriber leaving), for subscribers().
      socket_.set(zmq::sockopt::xpub_verboser, true);
      socket_.set(zmq::sockopt::xpub_nodrop, config.count_drops);
    }
  } catch (const zmq::error_t& e) {
    throw socket_error(component, e, "cannot configure the socket");
  }
  bind_and_connect(socket_, component, config.bind, config.connect);
}

// The socket closes with its linger set, then an own context terminates: both bounded by linger.
publisher::~publisher() = default;

void publisher::publish(const spdlog::details::log_msg& msg) noexcept {
  if (++records_since_read_ >= read_interval) read_subscriptions();
  const auto level = static_cast<spdlog::level::level_enum>(level_index(msg.level));
  try {
    std::string_view text(msg.payload.data(), msg.payload.size());
    std::string_view subtopic;
    if (subtopics_) std::tie(subtopic, text) = split_subtopic(text);
    build_topic(level, subtopic);
    build_payload(msg, level, text);
  } catch (...) {
    count_drop(level, format_failed);
    return;
  }
  const std::string_view payload(payload_buffer_.data(), payload_buffer_.size());
  sent result = send(topic_, payload);
  // A queue looks full until the socket handles the word that its reader took records out, which
  // send() does only about once a millisecond: before a record counts as dropped, that word is
  // read and the send tried again. During a long stall only once in a while, not every record.
  if (result == sent::full && refused_in_a_row_ % refresh_interval == 0) {
    read_subscriptions();
    result = send(topic_, payload);
  }
  refused_in_a_row_ = result == sent::queued ? 0 : refused_in_a_row_ + 1;
  switch (result) {
    case sent::queued:
      records_.store(records_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      bytes_.store(bytes_.load(std::memory_order_relaxed) + topic_.size() + payload.size(),
                   std::memory_order_relaxed);
      if (unreported_ != 0) report_drops(msg);
      return;
    case sent::full:
      count_drop(level, queue_full);
      return;
    case sent::failed:
      count_drop(level, send_failed);
      return;
  }
}

void publisher::build_topic(spdlog::level::level_enum level, std::string_view subtopic) {
  topic_.clear();
  if (!root_topic_.empty()) topic_.append(root_topic_).push_back('.');
  topic_.append(level_name(level));
  if (!subtopic.empty()) topic_.append(1, '.').append(subtopic);
}

void publisher::build_payload(const spdlog::details::log_msg& msg, spdlog::level::level_enum level,
                              std::string_view text) {
  payload_buffer_.clear();
  if (payload_ == payload_format::formatted) {
    spdlog::details::log_msg shown = msg;
    shown.level = level;
    shown.payload = spdlog::string_view_t(text.data(), text.size());
    formatters_[level]->format(shown, payload_buffer_);
    return;
  }

  using core::append_json_name;
  using core::append_json_string;
  auto& out = payload_buffer_;
  out.push_back('{');
  append_json_name(out, "time", true);
  out.push_back('"');
  append(out, time_.format(msg.time));  // into the reused buffer: no allocation
  out.push_back('"');
  append_json_name(out, "level");
  append_json_string(out, level_name(level));
  append_json_name(out, "logger");
  append_json_string(out, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
  append_json_name(out, "thread");
  append_number(out, msg.thread_id);
  append_json_name(out, "topic");
  append_json_string(out, topic_);
  append_json_name(out, "message");
  append_json_string(out, text);
  if (!msg.source.empty()) {
    append_json_name(out, "file");
    append_json_string(out, msg.source.filename);
    append_json_name(out, "line");
    append_number(out, static_cast<std::uint64_t>(std::max(msg.source.line, 0)));
    append_json_name(out, "function");
    append_json_string(out, msg.source.funcname == nullptr ? "" : msg.source.funcname);
  }
  if (unreported_for_payload_ != 0) {
    append_json_name(out, "dropped");
    append_number(out, unreported_for_payload_);
  }
  out.push_back('}');
}

publisher::sent publisher::send(std::string_view topic, std::string_view payload) noexcept {
  void* socket = socket_.handle();
  int retries = interrupted_retries;
  while (zmq_send(socket, topic.data(), topic.size(), ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0) {
    const int err = zmq_errno();
    if (err == EAGAIN) return sent::full;
    if (err != EINTR || --retries == 0) return sent::failed;
  }
  // The high-water mark counts whole messages and was checked for the first frame, so the second
  // cannot meet a full queue; only a closing socket or context makes it fail.
  retries = interrupted_retries;
  while (zmq_send(socket, payload.data(), payload.size(), ZMQ_DONTWAIT) < 0) {
    if (zmq_errno() != EINTR || --retries == 0) return sent::failed;
  }
  return sent::queued;
}

void publisher::count_drop(spdlog::level::level_enum level, unsigned reason) noexcept {
  dropped_.fetch_add(1, std::memory_order_relaxed);
  ++unreported_;
  unreported_level_ = std::max(unreported_level_, std::min(level, spdlog::level::critical));
  unreported_reasons_ |= reason;
}

void publisher::report_drops(const spdlog::details::log_msg& msg) noexcept {
  try {
    std::string text = fmt::format("dropped {} record{}", unreported_, unreported_ == 1 ? "" : "s");
    const char* separator = " (";
    for (const auto& [reason, why] : {std::pair{queue_full, "a subscriber's queue was full"},
                                      std::pair{send_failed, "sending failed"},
                                      std::pair{format_failed, "formatting failed"}}) {
      if ((unreported_reasons_ & reason) == 0) continue;
      text.append(separator).append(why);
      separator = ", ";
    }
    text.append(")");

    const auto level = unreported_level_;
    spdlog::details::log_msg notice(msg.time, spdlog::source_loc{}, msg.logger_name, level,
                                    spdlog::string_view_t(text.data(), text.size()));
    notice.thread_id = msg.thread_id;
    build_topic(level, "dropped");
    unreported_for_payload_ = unreported_;
    build_payload(notice, level, text);
    unreported_for_payload_ = 0;
    if (send(topic_, {payload_buffer_.data(), payload_buffer_.size()}) != sent::queued) return;
    unreported_ = 0;
    unreported_level_ = spdlog::level::warn;
    unreported_reasons_ = 0;
  } catch (...) {
    unreported_for_payload_ = 0;  // reported with a later record
  }
}

// Receiving is also what makes the socket handle its pending commands (zmq_recv with DONTWAIT
// does so whenever nothing is waiting), which publish() relies on.
void publisher::read_subscriptions() noexcept {
  records_since_read_ = 0;
  if (!xpub_) return;
  zmq_msg_t message;
  zmq_msg_init(&message);
  while (zmq_msg_recv(&message, socket_.handle(), ZMQ_DONTWAIT) >= 0) {
    const auto* data = static_cast<const unsigned char*>(zmq_msg_data(&message));
    if (zmq_msg_size(&message) > 0 && data[0] == 1) {
      subscriptions_.fetch_add(1, std::memory_order_relaxed);
    } else if (zmq_msg_size(&message) > 0 && data[0] == 0) {
      unsubscriptions_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  zmq_msg_close(&message);
}

void publisher::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  if (!formatter) throw zmqsec::error(errc::invalid_argument, "pub_sink: no formatter");
  for (std::size_t i = 0; i + 1 < formatters_.size(); ++i) formatters_[i] = formatter->clone();
  formatters_.back() = std::move(formatter);
}

void publisher::set_formatter(spdlog::level::level_enum level,
                              std::unique_ptr<spdlog::formatter> formatter) {
  if (!formatter) throw zmqsec::error(errc::invalid_argument, "pub_sink: no formatter");
  formatters_[level_index(level)] = std::move(formatter);
}

std::string publisher::last_endpoint() const {
  return socket_.get(zmq::sockopt::last_endpoint);
}

}  // namespace zmqsec::logging::detail
