// ZAP (ZeroMQ RFC 27) messages as plain values: parsing a request strictly, encoding a reply
// exactly as libzmq 4.3 checks it. No sockets: a transport (thread_authenticator, the loop
// variant, a test, a fuzzer) hands over the frames it received and sends the frames it is given.
//
//   // frames: what a ROUTER bound at zap_endpoint received, one string_view per frame
//   auto split = za::split_envelope(frames);            // [peer id][""] | [version]...
//   if (!split) return;                                 // not a ZAP message at all: drop it
//   za::zap_parse_result parsed = za::parse_zap_request(split->body);
//   if (parsed.status == za::parse_status::ok) use(parsed.request);
//
// What a request is (after the envelope): "1.0", request id, domain, address, routing id,
// mechanism, then exactly the credentials of the mechanism: PLAIN a user name and a password,
// CURVE the client's 32-byte public key, GSSAPI the principal, NULL nothing. Every frame has a
// bound (below); a request that breaks any rule is malformed and gets a 400 reply, unless its
// request id is unusable (missing, empty or longer than max_request_id_size), in which case
// there is nobody to answer and the message is dropped.
//
// The reply: "1.0", request id, status code, status text, user id, metadata. The metadata frame
// is a sequence of properties, each a 1-byte name length, the name (1..255 bytes), a 4-byte
// big-endian value length and the value; libzmq fails the handshake with
// ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA for anything else, so the encoder refuses what
// libzmq would reject or misread (see check_metadata_property).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmqsec::auth {

/// Where libzmq sends ZAP requests (in the context of the authenticated sockets).
inline constexpr std::string_view zap_endpoint = "inproc://zeromq.zap.01";
/// The only ZAP version there is.
inline constexpr std::string_view zap_version = "1.0";

/// Bounds of request frames. Each one is at least what libzmq 4.3 can send; a larger frame
/// makes the request malformed.
inline constexpr std::size_t max_request_id_size = 255;
inline constexpr std::size_t max_domain_size = 255;       ///< ZMQ_ZAP_DOMAIN is at most 255
inline constexpr std::size_t max_address_size = 255;      ///< an IP address, or ipc peer creds
inline constexpr std::size_t max_routing_id_size = 255;   ///< ZMQ_ROUTING_ID is at most 255
inline constexpr std::size_t max_mechanism_size = 20;     ///< the ZMTP greeting's field
inline constexpr std::size_t max_plain_field_size = 255;  ///< PLAIN HELLO: 1-byte lengths
inline constexpr std::size_t max_principal_size = 1024;   ///< GSSAPI principal name
inline constexpr std::size_t curve_key_size = 32;         ///< CURVE client public key, raw

/// The security mechanisms ZAP knows; unknown is any other name (always denied).
enum class mechanism : std::uint8_t { null, plain, curve, gssapi, unknown };

/// "NULL", "PLAIN", "CURVE", "GSSAPI" or "unknown".
std::string_view to_string(mechanism m) noexcept;

/// ZAP status codes.
enum class zap_status : std::uint16_t {
  success = 200,            ///< "200": the peer is authenticated
  temporary_failure = 300,  ///< "300": libzmq drops the peer silently; it may try again
  failure = 400,            ///< "400": the peer is refused (and told so)
  internal_error = 500,     ///< "500": the handler failed; the peer is refused
};

/// The status code frame: "200", "300", "400" or "500".
std::string_view status_code(zap_status status) noexcept;

/// A parsed request. The views refer to the frames it was parsed from.
struct zap_request {
  std::string_view version;
  std::string_view request_id;
  std::string_view domain;
  std::string_view address;     ///< as libzmq sends it: "127.0.0.1", "::1", ... (see policy.hpp)
  std::string_view routing_id;  ///< the server socket's own routing id (binary)
  std::string_view mechanism_name;
  auth::mechanism mechanism = auth::mechanism::unknown;
  std::array<std::string_view, 2> credentials{};
  std::size_t credential_count = 0;

  /// PLAIN: the user name and the password (credentials[0] and [1]).
  std::string_view username() const noexcept { return credentials[0]; }
  std::string_view password() const noexcept { return credentials[1]; }
  /// CURVE: the client's raw public key (credential_count == 1, 32 bytes, checked by the parser).
  std::span<const unsigned char, curve_key_size> curve_key() const noexcept {
    return std::span<const unsigned char, curve_key_size>(
        reinterpret_cast<const unsigned char*>(credentials[0].data()), curve_key_size);
  }
  /// GSSAPI: the principal.
  std::string_view principal() const noexcept { return credentials[0]; }
};

enum class parse_status : std::uint8_t {
  ok,             ///< request holds a well-formed request
  malformed,      ///< answer with a 400 reply (reason says why)
  no_request_id,  ///< no usable request id: drop the message, there is nobody to answer
};

struct zap_parse_result {
  parse_status status = parse_status::no_request_id;
  /// For ok: everything. For malformed: whatever could be read before the fault (at least the
  /// request id; later fields may be empty). For no_request_id: nothing reliable.
  zap_request request;
  /// Why the request is malformed or unanswerable (a static string, empty for ok).
  std::string_view reason;
};

/// Parses the frames of a request that follow the envelope. Never throws, never allocates.
zap_parse_result parse_zap_request(std::span<const std::string_view> frames) noexcept;

/// A ROUTER message split at its delimiter: envelope = the routing frames and the empty
/// delimiter (sent back first, unchanged), body = the ZAP request.
struct zap_envelope_split {
  std::span<const std::string_view> envelope;
  std::span<const std::string_view> body;
};

/// Splits a message received by a ROUTER (or DEALER) at the first empty frame. nullopt when
/// there is none: the message cannot be answered.
std::optional<zap_envelope_split> split_envelope(std::span<const std::string_view> frames) noexcept;

/// A reply ready to send. Reusable: the decision functions overwrite every field and keep the
/// strings' capacity, so a transport that keeps one zap_reply allocates nothing in steady state.
struct zap_reply {
  std::string request_id;
  zap_status status = zap_status::internal_error;
  std::string status_text;
  std::string user_id;
  std::string metadata;  ///< the encoded metadata frame (possibly empty)

  /// The six frames to send after the envelope: "1.0", request id, status code, status text,
  /// user id, metadata. The views refer to this reply.
  std::array<std::string_view, 6> frames() const noexcept {
    return {zap_version, request_id, status_code(status), status_text, user_id, metadata};
  }

  /// Empties every field (keeping capacity); status becomes internal_error.
  void clear() noexcept;
};

/// Why a metadata property cannot go into a reply.
enum class metadata_problem : std::uint8_t {
  none,
  empty_name,      ///< names are 1..255 bytes
  name_too_long,   ///< longer than 255 bytes
  value_too_long,  ///< longer than 2^32 - 1 bytes (the 4-byte length)
  reserved_name,   ///< a name libzmq treats specially: "Identity" would replace the peer's
                   ///< routing id, "Socket-Type" would fail the handshake, "User-Id",
                   ///< "Peer-Address", "Routing-Id" and "__fd" would be ignored or misleading;
                   ///< "X-Zmqsec-Session" is session_guard's (the authenticator writes it)
};

/// A human-readable text for a metadata_problem ("reserved by libzmq", ...).
std::string_view to_string(metadata_problem problem) noexcept;

/// Whether a property can be encoded (and read back by libzmq as the same property).
metadata_problem check_metadata_property(std::string_view name, std::size_t value_size) noexcept;

/// The encoded size of one property: 1 + name + 4 + value.
constexpr std::size_t encoded_property_size(std::size_t name_size,
                                            std::size_t value_size) noexcept {
  return 1 + name_size + 4 + value_size;
}

/// Appends one property to a metadata frame. Returns the problem (and leaves frame unchanged)
/// when check_metadata_property refuses it. Throws std::bad_alloc / std::length_error only.
metadata_problem append_metadata(std::string& frame, std::string_view name, std::string_view value);

/// Decodes a metadata frame with libzmq 4.3's rules (a frame libzmq would refuse gives nullopt;
/// it also refuses empty names, which libzmq tolerates but this library never writes). For tests
/// and for tools that look at replies.
std::optional<std::vector<std::pair<std::string_view, std::string_view>>> decode_metadata(
    std::string_view frame);

/// Checks the six frames of a reply the way libzmq 4.3's ZAP client does: six frames, version
/// "1.0", the given request id, a status code of 200/300/400/500, metadata libzmq parses (and
/// no empty names). For the tests and the fuzzer; a transport need not call it.
bool is_valid_reply(std::span<const std::string_view> frames, std::string_view request_id);

}  // namespace zmqsec::auth
