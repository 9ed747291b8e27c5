#include <zmqsec/logging/detail/publisher.hpp>

#include <spdlog/fmt/fmt.h>
#include <spdlog/pattern_formatter.h>
#include <zmq.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <system_error>
#include <utility>

#include <zmqsec/core/text.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/logging/topic.hpp>

#include "default_format.hpp"
#include "json_payload.hpp"
#include "send_thread.hpp"
#include "sockets.hpp"

namespace zmqsec::logging::detail {
namespace {

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

}  // namespace

publisher::publisher(pub_sink_config config)
    : subtopics_(config.subtopics), payload_(config.payload), root_topic_(config.root_topic) {
  zmq::context_t* context =
      &given_or_own_context(config.context, own_context_, io_thread_class::batch);
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
  json_ = std::make_unique<json_payload>();
  for (auto& formatter : formatters_) formatter = formatter_for("%+");
  topic_.reserve(64);
  set_root_topic(root_topic_);
  apply_overflow(config);
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
  try {
    last_endpoint_ = socket_.get(zmq::sockopt::last_endpoint);
  } catch (const zmq::error_t& e) {
    throw socket_error(component, e, "cannot read the endpoint");
  }
  outlet_.attach(socket_.handle(), xpub_, send_flags_);
  if (config.send_thread) start_send_thread(config);
}

void publisher::start_send_thread(const pub_sink_config& config) {
  if (config.send_queue_bytes == 0) {
    throw zmqsec::error(errc::invalid_argument, "pub_sink: send_queue_bytes must not be 0");
  }
  sender_ = std::make_unique<send_thread>(outlet_, xpub_ ? notification_fd_ : -1,
                                          config.send_queue_bytes, dropped_, config.linger);
}

// block_for: sends that wait up to the policy's time (ZMQ_SNDTIMEO) instead of DONTWAIT. Only
// with ZMQ_XPUB_NODROP does a full queue make a send wait; a lossy socket would drop silently.
void publisher::apply_overflow(const pub_sink_config& config) {
  if (!config.overflow.blocks()) return;
  if (!xpub_ || !config.count_drops) {
    throw zmqsec::error(
        errc::invalid_argument,
        "pub_sink: overflow_policy::block_for needs an XPUB socket and count_drops");
  }
  try {
    socket_.set(zmq::sockopt::sndtimeo, static_cast<int>(config.overflow.wait().count()));
  } catch (const zmq::error_t& e) {
    throw socket_error(component, e, "cannot configure the socket");
  }
  send_flags_ = 0;
  overflow_wait_ = config.overflow.wait();
}

void publisher::set_root_topic(std::string root_topic) {
  root_topic_ = std::move(root_topic);
  for (std::size_t i = 0; i < level_topics_.size(); ++i) {
    level_topics_[i] = make_topic(root_topic_, static_cast<spdlog::level::level_enum>(i), {});
  }
  json_->set_level_topics(level_topics_);
}

// The socket closes with its linger set, then an own context terminates: both bounded by linger.
publisher::~publisher() = default;

void publisher::publish(const spdlog::details::log_msg& msg) noexcept {
  if (sender_) {
    queue_for_sender(msg);
    return;
  }
  if (outlet_.read_due(msg.time)) outlet_.read_subscriptions(msg.time);
  const auto level = static_cast<spdlog::level::level_enum>(level_index(msg.level));
  if (!build_record(msg, level)) return;
  const std::string_view payload(payload_buffer_.data(), payload_buffer_.size());
  switch (outlet_.send_record(topic_view_, payload)) {
    case outlet::sent::queued:
      if (unreported_ != 0) report_drops(msg);
      return;
    case outlet::sent::full:
      count_drop(msg, level, queue_full);
      return;
    case outlet::sent::failed:
      count_drop(msg, level, send_failed);
      return;
  }
}

// The topic and payload of msg into the reused buffers; false (the record counted as dropped)
// if formatting failed.
bool publisher::build_record(const spdlog::details::log_msg& msg,
                             spdlog::level::level_enum level) noexcept {
  try {
    std::string_view text(msg.payload.data(), msg.payload.size());
    std::string_view subtopic;
    if (subtopics_) std::tie(subtopic, text) = split_subtopic(text);
    build_topic(level, subtopic);
    build_payload(msg, level, text);
    return true;
  } catch (...) {
    count_drop(msg, level, format_failed);
    return false;
  }
}

void publisher::queue_for_sender(const spdlog::details::log_msg& msg) noexcept {
  if (sender_->has_drops()) absorb_sender_drops();
  const auto level = static_cast<spdlog::level::level_enum>(level_index(msg.level));
  if (!build_record(msg, level)) return;
  const ring_entry entry{.topic = topic_view_,
                         .payload = {payload_buffer_.data(), payload_buffer_.size()},
                         .time_ns = msg.time.time_since_epoch().count(),
                         .level = static_cast<std::uint32_t>(level)};
  switch (sender_->queue(entry, overflow_wait_)) {
    case record_ring::pushed::queued:
      if (unreported_ != 0) report_drops(msg);
      return;
    case record_ring::pushed::full:
      count_drop(msg, level, sink_queue_full);
      return;
    case record_ring::pushed::too_large:
      count_drop(msg, level, larger_than_queue);
      return;
  }
}

// The sender thread's drops (already in dropped()) join those the stream has not been told of.
void publisher::absorb_sender_drops() noexcept {
  const unreported_drops taken = sender_->take_drops();
  if (taken.count == 0) return;
  const spdlog::log_clock::time_point from{spdlog::log_clock::duration(taken.from_ns)};
  const spdlog::log_clock::time_point to{spdlog::log_clock::duration(taken.to_ns)};
  if (unreported_ == 0 || from < first_unreported_) first_unreported_ = from;
  if (unreported_ == 0 || to > last_unreported_) last_unreported_ = to;
  unreported_ += taken.count;
  unreported_level_ = std::max(
      unreported_level_,
      std::min(static_cast<spdlog::level::level_enum>(taken.level), spdlog::level::critical));
  unreported_reasons_ |= taken.reasons;
}

void publisher::build_topic(spdlog::level::level_enum level, std::string_view subtopic) {
  const std::string& level_topic = level_topics_[level_index(level)];
  if (subtopic.empty()) {
    topic_view_ = level_topic;
    return;
  }
  topic_.assign(level_topic).append(1, '.').append(subtopic);
  topic_view_ = topic_;
}

void publisher::build_payload(const spdlog::details::log_msg& msg, spdlog::level::level_enum level,
                              std::string_view text) {
  if (payload_ == payload_format::json) {
    const drop_span drops{unreported_for_payload_, first_unreported_, last_unreported_};
    json_->write(payload_buffer_, msg, level, topic_view_, text,
                 unreported_for_payload_ != 0 ? &drops : nullptr);
    return;
  }
  payload_buffer_.clear();
  spdlog::details::log_msg shown = msg;
  shown.level = level;
  shown.payload = spdlog::string_view_t(text.data(), text.size());
  formatters_[level]->format(shown, payload_buffer_);
}

void publisher::count_drop(const spdlog::details::log_msg& msg, spdlog::level::level_enum level,
                           unsigned reason) noexcept {
  dropped_.fetch_add(1, std::memory_order_relaxed);
  if (unreported_++ == 0) first_unreported_ = msg.time;
  last_unreported_ = msg.time;
  unreported_level_ = std::max(unreported_level_, std::min(level, spdlog::level::critical));
  unreported_reasons_ |= reason;
}

// "dropped 3 records in 0.000210 s from 2026-12-02T10:04:05.123456Z to
// 2026-12-02T10:04:05.123666Z (a subscriber's queue was full)": how many, when, and why.
std::string publisher::drop_report_text() {
  const std::chrono::duration<double> span = last_unreported_ - first_unreported_;
  std::string text = fmt::format("dropped {} record{} in {:.6f} s from ", unreported_,
                                 unreported_ == 1 ? "" : "s", span.count());
  text.append(time_.format(first_unreported_)).append(" to ");
  text.append(time_.format(last_unreported_));
  const char* separator = " (";
  for (const auto& [reason, why] :
       {std::pair{queue_full, "a subscriber's queue was full"},
        std::pair{sink_queue_full, "the sink's queue was full"},
        std::pair{larger_than_queue, "a record was larger than half the sink's queue"},
        std::pair{send_failed, "sending failed"}, std::pair{format_failed, "formatting failed"}}) {
    if ((unreported_reasons_ & reason) == 0) continue;
    text.append(separator).append(why);
    separator = ", ";
  }
  text.append(")");
  return text;
}

void publisher::report_drops(const spdlog::details::log_msg& msg) noexcept {
  try {
    const std::string text = drop_report_text();
    const auto level = unreported_level_;
    spdlog::details::log_msg notice(msg.time, spdlog::source_loc{}, msg.logger_name, level,
                                    spdlog::string_view_t(text.data(), text.size()));
    notice.thread_id = msg.thread_id;
    build_topic(level, "dropped");
    unreported_for_payload_ = unreported_;
    build_payload(notice, level, text);
    unreported_for_payload_ = 0;
    if (!deliver_report()) return;
    unreported_ = 0;
    unreported_level_ = spdlog::level::warn;
    unreported_reasons_ = 0;
  } catch (...) {
    unreported_for_payload_ = 0;  // reported with a later record
  }
}

// The drop report now in the buffers: onto the socket, or into the sender's queue with what it
// reports, so that the sender can hand those drops back if the socket refuses it.
bool publisher::deliver_report() noexcept {
  const std::string_view payload(payload_buffer_.data(), payload_buffer_.size());
  if (!sender_) return outlet_.send_frames(topic_view_, payload) == outlet::sent::queued;
  const ring_entry entry{.topic = topic_view_,
                         .payload = payload,
                         .time_ns = last_unreported_.time_since_epoch().count(),
                         .level = static_cast<std::uint32_t>(unreported_level_),
                         .reasons = unreported_reasons_,
                         .reports = unreported_,
                         .reported_from_ns = first_unreported_.time_since_epoch().count(),
                         .reported_to_ns = last_unreported_.time_since_epoch().count()};
  return sender_->queue(entry, std::chrono::milliseconds(0)) == record_ring::pushed::queued;
}

void publisher::flush() noexcept {
  if (sender_) {
    sender_->flush();
    if (sender_->has_drops()) absorb_sender_drops();
  }
  read_subscriptions();
  if (unreported_ == 0) return;
  const spdlog::details::log_msg now(spdlog::log_clock::now(), spdlog::source_loc{},
                                     spdlog::string_view_t(), unreported_level_,
                                     spdlog::string_view_t());
  report_drops(now);
  if (sender_) sender_->flush();
}

void publisher::read_subscriptions(spdlog::log_clock::time_point now) noexcept {
  if (!sender_) outlet_.read_subscriptions(now);
}

void publisher::set_formatter(std::unique_ptr<spdlog::formatter> formatter) {
  if (!formatter) throw zmqsec::error(errc::invalid_argument, "pub_sink: no formatter");
  for (std::size_t i = 0; i + 1 < formatters_.size(); ++i) formatters_[i] = formatter->clone();
  formatters_.back() = std::move(formatter);
}

void publisher::set_pattern(const std::string& pattern) {
  for (auto& formatter : formatters_) formatter = formatter_for(pattern);
}

void publisher::set_pattern(spdlog::level::level_enum level, const std::string& pattern) {
  formatters_[level_index(level)] = formatter_for(pattern);
}

void publisher::set_formatter(spdlog::level::level_enum level,
                              std::unique_ptr<spdlog::formatter> formatter) {
  if (!formatter) throw zmqsec::error(errc::invalid_argument, "pub_sink: no formatter");
  formatters_[level_index(level)] = std::move(formatter);
}

}  // namespace zmqsec::logging::detail
