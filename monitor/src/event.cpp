// Decoding and naming of monitor events. Pure functions over bytes: no socket is needed except
// by recv_monitor_message, which only gathers the frames.
#include <zmq.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

#include <zmqsec/core/text.hpp>
#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/monitor/event.hpp>

namespace zmqsec::monitor {
namespace {

struct event_info {
  event_type type;
  std::string_view name;
  value_kind kind;
};

constexpr std::array<event_info, 15> events{{
    {event_type::connected, "CONNECTED", value_kind::fd},
    {event_type::connect_delayed, "CONNECT_DELAYED", value_kind::error_number},
    {event_type::connect_retried, "CONNECT_RETRIED", value_kind::interval},
    {event_type::listening, "LISTENING", value_kind::fd},
    {event_type::bind_failed, "BIND_FAILED", value_kind::error_number},
    {event_type::accepted, "ACCEPTED", value_kind::fd},
    {event_type::accept_failed, "ACCEPT_FAILED", value_kind::error_number},
    {event_type::closed, "CLOSED", value_kind::fd},
    {event_type::close_failed, "CLOSE_FAILED", value_kind::error_number},
    {event_type::disconnected, "DISCONNECTED", value_kind::fd},
    {event_type::monitor_stopped, "MONITOR_STOPPED", value_kind::none},
    {event_type::handshake_failed_no_detail, "HANDSHAKE_FAILED_NO_DETAIL",
     value_kind::error_number},
    {event_type::handshake_succeeded, "HANDSHAKE_SUCCEEDED", value_kind::none},
    {event_type::handshake_failed_protocol, "HANDSHAKE_FAILED_PROTOCOL",
     value_kind::protocol_error},
    {event_type::handshake_failed_auth, "HANDSHAKE_FAILED_AUTH", value_kind::zap_status},
}};

// The bits must be libzmq's: a mismatch here would misname every event.
static_assert(static_cast<int>(event_type::connected) == ZMQ_EVENT_CONNECTED);
static_assert(static_cast<int>(event_type::bind_failed) == ZMQ_EVENT_BIND_FAILED);
static_assert(static_cast<int>(event_type::monitor_stopped) == ZMQ_EVENT_MONITOR_STOPPED);
static_assert(static_cast<int>(event_type::handshake_failed_no_detail) ==
              ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL);
static_assert(static_cast<int>(event_type::handshake_succeeded) == ZMQ_EVENT_HANDSHAKE_SUCCEEDED);
static_assert(static_cast<int>(event_type::handshake_failed_protocol) ==
              ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL);
static_assert(static_cast<int>(event_type::handshake_failed_auth) ==
              ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);

const event_info* find(std::uint16_t type) noexcept {
  for (const auto& info : events) {
    if (static_cast<std::uint16_t>(info.type) == type) return &info;
  }
  return nullptr;
}

struct protocol_error_info {
  std::uint32_t code;
  std::string_view name;
};

constexpr std::array<protocol_error_info, 21> protocol_errors{{
    {ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED, "ZMTP_UNSPECIFIED"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND, "ZMTP_UNEXPECTED_COMMAND"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE, "ZMTP_INVALID_SEQUENCE"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE, "ZMTP_KEY_EXCHANGE"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED, "ZMTP_MALFORMED_COMMAND_UNSPECIFIED"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE, "ZMTP_MALFORMED_COMMAND_MESSAGE"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO, "ZMTP_MALFORMED_COMMAND_HELLO"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE, "ZMTP_MALFORMED_COMMAND_INITIATE"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR, "ZMTP_MALFORMED_COMMAND_ERROR"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY, "ZMTP_MALFORMED_COMMAND_READY"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME, "ZMTP_MALFORMED_COMMAND_WELCOME"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA, "ZMTP_INVALID_METADATA"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, "ZMTP_CRYPTOGRAPHIC"},
    {ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH, "ZMTP_MECHANISM_MISMATCH"},
    {ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED, "ZAP_UNSPECIFIED"},
    {ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY, "ZAP_MALFORMED_REPLY"},
    {ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID, "ZAP_BAD_REQUEST_ID"},
    {ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION, "ZAP_BAD_VERSION"},
    {ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE, "ZAP_INVALID_STATUS_CODE"},
    {ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA, "ZAP_INVALID_METADATA"},
    {ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED, "WS_UNSPECIFIED"},
}};

[[noreturn]] void malformed(const std::string& why) {
  throw error(errc::invalid_argument, "monitor message: " + why);
}

[[noreturn]] void socket_failure(int err) {
  throw core::zmq_error(err, "monitor socket");
}

std::string hex32(std::uint32_t value) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) out += digits[(value >> shift) & 0xF];
  return out;
}

}  // namespace

std::optional<std::string_view> event_name(std::uint16_t type) noexcept {
  const auto* info = find(type);
  if (info == nullptr) return std::nullopt;
  return info->name;
}

std::optional<event_type> event_from_name(std::string_view name) noexcept {
  std::string upper;
  upper.reserve(name.size());
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string_view bare = upper;
  for (std::string_view prefix : {"ZMQ_EVENT_", "EVENT_"}) {
    if (bare.starts_with(prefix)) {
      bare.remove_prefix(prefix.size());
      break;
    }
  }
  for (const auto& info : events) {
    if (info.name == bare) return info.type;
  }
  return std::nullopt;
}

value_kind value_kind_of(event_type type) noexcept {
  const auto* info = find(static_cast<std::uint16_t>(type));
  return info == nullptr ? value_kind::none : info->kind;
}

std::optional<std::string_view> protocol_error_name(std::uint32_t code) noexcept {
  for (const auto& info : protocol_errors) {
    if (info.code == code) return info.name;
  }
  return std::nullopt;
}

std::optional<std::string_view> zap_status_text(std::uint32_t status) noexcept {
  switch (status) {
    case 200:
      return "success";
    case 300:
      return "temporary failure";
    case 400:
      return "authentication refused";
    case 500:
      return "internal error";
    default:
      return std::nullopt;
  }
}

std::optional<int> event::fd() const noexcept {
  if (kind() != value_kind::fd) return std::nullopt;
  return static_cast<int>(value);
}

std::optional<int> event::error_number() const noexcept {
  if (kind() != value_kind::error_number) return std::nullopt;
  return static_cast<int>(value);
}

std::optional<std::string> event::error_text() const {
  auto err = error_number();
  if (!err) return std::nullopt;
  return core::zmq_category().message(*err);
}

std::optional<std::chrono::milliseconds> event::interval() const noexcept {
  if (kind() != value_kind::interval) return std::nullopt;
  return std::chrono::milliseconds(value);
}

std::optional<std::uint32_t> event::zap_status() const noexcept {
  if (kind() != value_kind::zap_status) return std::nullopt;
  return value;
}

std::optional<std::uint32_t> event::protocol_error() const noexcept {
  if (kind() != value_kind::protocol_error) return std::nullopt;
  return value;
}

std::string event::detail() const {
  switch (kind()) {
    case value_kind::none:
      return {};
    case value_kind::fd:
      return "fd " + std::to_string(static_cast<int>(value));
    case value_kind::error_number:
      return "errno " + std::to_string(value) + " (" + *error_text() + ")";
    case value_kind::interval:
      return "retry in " + std::to_string(value) + " ms";
    case value_kind::zap_status: {
      auto text = zap_status_text(value);
      return "ZAP status " + std::to_string(value) +
             (text ? " (" + std::string(*text) + ")" : std::string(" (not a ZAP status)"));
    }
    case value_kind::protocol_error: {
      auto name = protocol_error_name(value);
      return std::string(name ? *name : "unknown protocol error") + " (" + hex32(value) + ")";
    }
  }
  return {};
}

std::string event::describe() const {
  // Appended piece by piece: GCC 12 at -O3 misreads `" " + std::string` as an overlapping
  // memcpy (-Wrestrict, a known false positive).
  std::string out(name());
  if (!endpoint.empty()) out.append(" ").append(escape(endpoint));
  const std::string more = detail();
  if (!more.empty()) out.append(": ").append(more);
  return out;
}

std::string escape(std::string_view text) {
  return core::escape_for_log(text);
}

event parse_monitor_message(std::span<const std::string_view> frames) {
  if (frames.size() != 2) {
    malformed(std::to_string(frames.size()) + " frames, expected 2 (event and endpoint)");
  }
  const std::string_view head = frames[0];
  if (head.size() != 6) {
    malformed("first frame of " + std::to_string(head.size()) + " bytes, expected 6");
  }
  std::uint16_t number = 0;
  std::uint32_t value = 0;
  std::memcpy(&number, head.data(), sizeof number);
  std::memcpy(&value, head.data() + sizeof number, sizeof value);
  const auto* info = find(number);
  if (info == nullptr) malformed("unknown event " + std::to_string(number));
  event out;
  out.type = info->type;
  out.value = value;
  out.endpoint.assign(frames[1]);
  return out;
}

event parse_monitor_message(std::span<const zmq::message_t> frames) {
  std::vector<std::string_view> views;
  views.reserve(frames.size());
  for (const auto& frame : frames) {
    views.emplace_back(static_cast<const char*>(frame.data()), frame.size());
  }
  return parse_monitor_message(std::span<const std::string_view>(views));
}

std::optional<event> recv_monitor_message(zmq::socket_ref socket,
                                          std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq_poll(&item, 1, timeout.count() < 0 ? -1L : static_cast<long>(timeout.count())) < 0) {
    if (zmq_errno() == EINTR) return std::nullopt;  // a signal: the caller decides what next
    socket_failure(zmq_errno());
  }
  if ((item.revents & ZMQ_POLLIN) == 0) return std::nullopt;
  // At most three frames are kept: enough to tell a malformed message, without letting a long
  // one grow memory.
  std::vector<zmq::message_t> frames;
  std::size_t count = 0;
  for (;;) {
    zmq::message_t frame;
    if (zmq_msg_recv(frame.handle(), socket.handle(), ZMQ_DONTWAIT) < 0) {
      const int err = zmq_errno();
      if (err == EAGAIN && count == 0) return std::nullopt;
      socket_failure(err);
    }
    ++count;
    const bool more = frame.more();
    if (frames.size() < 3) frames.push_back(std::move(frame));
    if (!more) break;
  }
  if (count != frames.size()) malformed(std::to_string(count) + " frames, expected 2");
  return parse_monitor_message(std::span<const zmq::message_t>(frames));
}

}  // namespace zmqsec::monitor
