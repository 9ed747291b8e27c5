// A socket monitor event as a value: what happened, to which endpoint, and what libzmq's number
// means for that event (an errno, a ZAP status, a ZMTP or ZAP protocol error, a file descriptor
// or a reconnect interval).
//
//   zmqsec::monitor::event e = zmqsec::monitor::parse_monitor_message(frames);
//   if (e.type == zm::event_type::handshake_failed_auth && e.zap_status() == 400)
//     std::clog << e.describe() << '\n';
//   // "HANDSHAKE_FAILED_AUTH tcp://127.0.0.1:5555: ZAP status 400 (authentication refused)"
//
// The parser takes the two frames of libzmq's version 1 monitor format: 6 bytes (the event as a
// 16-bit number and its value as a 32-bit number, both in the host's byte order, as libzmq writes
// them) and the endpoint. Anything else (another frame count, a first frame of another size, an
// event number that is not one of libzmq 4.3's) is refused with a zmqsec::error; the parser never
// reads outside the frames it is given. The endpoint is the one the application bound or
// connected to (for accepted connections: the listening one); for the parser it is arbitrary
// bytes, so escape it before printing (describe() does).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <zmq.hpp>

namespace zmqsec::monitor {

/// Every event libzmq 4.3 reports with the version 1 format (the values are libzmq's bits).
enum class event_type : std::uint16_t {
  connected = 0x0001,                   ///< value: the connection's fd
  connect_delayed = 0x0002,             ///< value: errno (usually EINPROGRESS)
  connect_retried = 0x0004,             ///< value: the reconnect interval in milliseconds
  listening = 0x0008,                   ///< value: the listening fd
  bind_failed = 0x0010,                 ///< value: errno
  accepted = 0x0020,                    ///< value: the accepted connection's fd
  accept_failed = 0x0040,               ///< value: errno
  closed = 0x0080,                      ///< value: the fd that was closed
  close_failed = 0x0100,                ///< value: errno
  disconnected = 0x0200,                ///< value: the connection's fd
  monitor_stopped = 0x0400,             ///< value: 0; the last event a monitor receives
  handshake_failed_no_detail = 0x0800,  ///< value: errno
  handshake_succeeded = 0x1000,         ///< value: 0
  handshake_failed_protocol = 0x2000,   ///< value: a ZMQ_PROTOCOL_ERROR_* code
  handshake_failed_auth = 0x4000,       ///< value: the ZAP status code (300, 400, 500)
};

/// What an event's value is.
enum class value_kind : std::uint8_t {
  none,            ///< always 0
  fd,              ///< a file descriptor (may be closed or reused by the time it is read)
  error_number,    ///< an errno value
  interval,        ///< a reconnect interval in milliseconds
  zap_status,      ///< a ZAP status code
  protocol_error,  ///< a ZMQ_PROTOCOL_ERROR_* code
};

/// A set of event types (libzmq's event mask).
class event_mask {
 public:
  constexpr event_mask() noexcept = default;
  constexpr event_mask(event_type type) noexcept : bits_(static_cast<std::uint16_t>(type)) {}
  static constexpr event_mask from_bits(std::uint16_t bits) noexcept {
    event_mask m;
    m.bits_ = bits;
    return m;
  }
  constexpr std::uint16_t bits() const noexcept { return bits_; }
  constexpr bool contains(event_type type) const noexcept {
    return (bits_ & static_cast<std::uint16_t>(type)) != 0;
  }
  constexpr bool empty() const noexcept { return bits_ == 0; }
  friend constexpr event_mask operator|(event_mask a, event_mask b) noexcept {
    return from_bits(static_cast<std::uint16_t>(a.bits_ | b.bits_));
  }
  friend constexpr bool operator==(event_mask, event_mask) noexcept = default;

 private:
  std::uint16_t bits_ = 0;
};

constexpr event_mask operator|(event_type a, event_type b) noexcept {
  return event_mask(a) | event_mask(b);
}

/// Every event (ZMQ_EVENT_ALL).
inline constexpr event_mask all_events = event_mask::from_bits(0xFFFF);
/// The events that end a handshake, whichever way.
inline constexpr event_mask handshake_events =
    event_type::handshake_succeeded | event_type::handshake_failed_no_detail |
    event_type::handshake_failed_protocol | event_type::handshake_failed_auth;

/// libzmq's name without the prefix ("HANDSHAKE_FAILED_AUTH"), or nullopt for a number that is
/// not a libzmq 4.3 event.
std::optional<std::string_view> event_name(std::uint16_t type) noexcept;
/// The name of type ("UNKNOWN" for a number cast into event_type that is no libzmq 4.3 event).
inline std::string_view event_name(event_type type) noexcept {
  return event_name(static_cast<std::uint16_t>(type)).value_or("UNKNOWN");
}
/// The event type of a name as event_name() gives it (also with the "ZMQ_EVENT_" or "EVENT_"
/// prefix, any case), or nullopt.
std::optional<event_type> event_from_name(std::string_view name) noexcept;
/// What the value of an event type is.
value_kind value_kind_of(event_type type) noexcept;

/// The name of a ZMQ_PROTOCOL_ERROR_* code without the prefix ("ZMTP_MECHANISM_MISMATCH",
/// "ZAP_BAD_REQUEST_ID"), or nullopt for a code libzmq 4.3 does not define.
std::optional<std::string_view> protocol_error_name(std::uint32_t code) noexcept;
/// What a ZAP status code means ("authentication refused" for 400), or nullopt.
std::optional<std::string_view> zap_status_text(std::uint32_t status) noexcept;

/// One monitor event.
struct event {
  event_type type = event_type::monitor_stopped;
  std::uint32_t value = 0;  ///< libzmq's number, as sent
  std::string endpoint;     ///< the endpoint libzmq names (empty for MONITOR_STOPPED)

  std::string_view name() const noexcept { return event_name(type); }
  value_kind kind() const noexcept { return value_kind_of(type); }

  /// The value read as what it is for this event; nullopt when it is something else.
  std::optional<int> fd() const noexcept;
  std::optional<int> error_number() const noexcept;
  /// The system's text for error_number() ("Connection refused").
  std::optional<std::string> error_text() const;
  std::optional<std::chrono::milliseconds> interval() const noexcept;
  std::optional<std::uint32_t> zap_status() const noexcept;
  std::optional<std::uint32_t> protocol_error() const noexcept;

  /// The value in words: "fd 12", "errno 111 (Connection refused)", "retry in 100 ms",
  /// "ZAP status 400 (authentication refused)", "ZMTP_MECHANISM_MISMATCH (0x11000002)", or ""
  /// for events without a value.
  std::string detail() const;
  /// "NAME ENDPOINT: detail", the endpoint escaped (see escape()).
  std::string describe() const;

  friend bool operator==(const event&, const event&) = default;
};

/// Text that is safe to print on one log line: printable ASCII kept; everything else, the double
/// quote and the backslash as \xHH (so a quoted user name cannot end its quotes early). The same
/// as every zmqsec module's log escaping (zmqsec::core::escape_for_log), kept as the monitor's
/// public name for it.
std::string escape(std::string_view text);

/// Decodes the frames of one monitor message (version 1: two frames). Throws zmqsec::error
/// (errc::invalid_argument) with the reason when they are not a libzmq 4.3 event.
event parse_monitor_message(std::span<const std::string_view> frames);
event parse_monitor_message(std::span<const zmq::message_t> frames);

/// Reads one monitor message from socket (the reading end of zmq_socket_monitor) and decodes it.
/// nullopt if none arrives within timeout (negative: wait for ever). Throws zmqsec::error: with
/// errc::invalid_argument for a malformed message (all of its frames are read, so the next call
/// starts at the next message), with the errno for a failed receive (ETERM when the context is
/// terminated).
std::optional<event> recv_monitor_message(zmq::socket_ref socket,
                                          std::chrono::milliseconds timeout);

}  // namespace zmqsec::monitor
