// ZAP request parsing and reply encoding (RFC 27, as libzmq 4.3 sends and checks them).
#include <zmqsec/auth/zap.hpp>

#include <cstring>
#include <limits>

namespace zmqsec::auth {

namespace {

// Frame positions after the envelope.
enum frame_index : std::size_t {
  version_frame,
  request_id_frame,
  domain_frame,
  address_frame,
  routing_id_frame,
  mechanism_frame,
  first_credential_frame,
};

// Equality with a literal by size first: a handful of instructions (every request is parsed).
template <std::size_t N>
bool equals(std::string_view text, const char (&literal)[N]) noexcept {
  return text.size() == N - 1 && std::memcmp(text.data(), literal, N - 1) == 0;
}

mechanism mechanism_of(std::string_view name) noexcept {
  switch (name.size()) {
    case 4:
      return equals(name, "NULL") ? mechanism::null : mechanism::unknown;
    case 5:
      if (equals(name, "CURVE")) return mechanism::curve;
      return equals(name, "PLAIN") ? mechanism::plain : mechanism::unknown;
    case 6:
      return equals(name, "GSSAPI") ? mechanism::gssapi : mechanism::unknown;
    default:
      return mechanism::unknown;
  }
}

zap_parse_result malformed(zap_parse_result result, std::string_view reason) noexcept {
  result.status = parse_status::malformed;
  result.reason = reason;
  return result;
}

bool is_reserved_metadata_name(std::string_view name) noexcept {
  // What libzmq 4.3's parse_metadata and stream engine treat specially (exact, case-sensitive
  // comparisons there): "Identity" replaces the peer's routing id on ROUTER sockets,
  // "Socket-Type" is checked against the socket's type and fails the handshake when it does not
  // fit; "User-Id" and "Peer-Address" are set by libzmq first and an entry of ours would be
  // ignored; "Routing-Id" would be answered for zmq_msg_gets("Identity"); "__fd" is private.
  // "X-Zmqsec-Session" names the session for session_guard: nobody else may set it.
  switch (name.size()) {
    case 4:
      return equals(name, "__fd");
    case 7:
      return equals(name, "User-Id");
    case 8:
      return equals(name, "Identity");
    case 10:
      return equals(name, "Routing-Id");
    case 16:  // session_guard's: the authenticator writes it (session_record.hpp)
      return equals(name, "X-Zmqsec-Session");
    case 11:
      return equals(name, "Socket-Type");
    case 12:
      return equals(name, "Peer-Address");
    default:
      return false;
  }
}

// Why the credential frames of a request of mechanism m break RFC 27, or null if they do not.
const char* credentials_problem(mechanism m,
                                std::span<const std::string_view> credentials) noexcept {
  switch (m) {
    case mechanism::null:
      return credentials.empty() ? nullptr : "NULL request with credentials";
    case mechanism::plain:
      if (credentials.size() != 2) return "PLAIN request without exactly 2 credentials";
      if (credentials[0].size() > max_plain_field_size) {
        return "PLAIN user name longer than 255 bytes";
      }
      if (credentials[1].size() > max_plain_field_size)
        return "PLAIN password longer than 255 bytes";
      return nullptr;
    case mechanism::curve:
      if (credentials.size() != 1) return "CURVE request without exactly 1 credential";
      if (credentials[0].size() != curve_key_size) return "CURVE key is not 32 bytes";
      return nullptr;
    case mechanism::gssapi:
      if (credentials.size() != 1) return "GSSAPI request without exactly 1 credential";
      if (credentials[0].size() > max_principal_size) {
        return "GSSAPI principal longer than 1024 bytes";
      }
      return nullptr;
    case mechanism::unknown:
      break;
  }
  return nullptr;
}

void put_uint32(char* out, std::uint32_t value) noexcept {
  out[0] = static_cast<char>((value >> 24) & 0xff);
  out[1] = static_cast<char>((value >> 16) & 0xff);
  out[2] = static_cast<char>((value >> 8) & 0xff);
  out[3] = static_cast<char>(value & 0xff);
}

std::uint32_t get_uint32(const char* in) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(in);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

}  // namespace

std::string_view to_string(mechanism m) noexcept {
  switch (m) {
    case mechanism::null:
      return "NULL";
    case mechanism::plain:
      return "PLAIN";
    case mechanism::curve:
      return "CURVE";
    case mechanism::gssapi:
      return "GSSAPI";
    case mechanism::unknown:
      break;
  }
  return "unknown";
}

std::string_view status_code(zap_status status) noexcept {
  switch (status) {
    case zap_status::success:
      return "200";
    case zap_status::temporary_failure:
      return "300";
    case zap_status::failure:
      return "400";
    case zap_status::internal_error:
      break;
  }
  return "500";
}

zap_parse_result parse_zap_request(std::span<const std::string_view> frames) noexcept {
  zap_parse_result result;
  zap_request& request = result.request;

  // The request id decides whether there is anybody to answer at all.
  if (frames.size() <= request_id_frame) {
    result.reason = "no request id frame";
    return result;
  }
  // RFC 27 lets the request id be any string, the empty one included: it is echoed as it came.
  request.request_id = frames[request_id_frame];
  if (request.request_id.size() > max_request_id_size) {
    request.request_id = {};
    result.reason = "request id longer than 255 bytes";
    return result;
  }

  request.version = frames[version_frame];
  if (request.version != zap_version) return malformed(result, "unsupported ZAP version");
  if (frames.size() <= mechanism_frame) return malformed(result, "missing frames");

  // Each field is taken only once it passed its bound, so that an observer of a malformed
  // request sees bounded fields.
  if (frames[domain_frame].size() > max_domain_size) return malformed(result, "domain too long");
  request.domain = frames[domain_frame];
  if (frames[address_frame].size() > max_address_size) {
    return malformed(result, "address too long");
  }
  request.address = frames[address_frame];
  if (frames[routing_id_frame].size() > max_routing_id_size) {
    return malformed(result, "routing id too long");
  }
  request.routing_id = frames[routing_id_frame];
  if (frames[mechanism_frame].size() > max_mechanism_size) {
    return malformed(result, "mechanism name too long");
  }
  request.mechanism_name = frames[mechanism_frame];
  request.mechanism = mechanism_of(request.mechanism_name);

  const auto credentials = frames.subspan(first_credential_frame);
  if (request.mechanism == mechanism::unknown) {
    // Not malformed as such, but nothing is known of its credentials: refused by the policy.
    // The credentials are not kept (nobody may log what could be a secret).
    result.status = parse_status::ok;
    return result;
  }
  if (const char* problem = credentials_problem(request.mechanism, credentials)) {
    return malformed(result, problem);
  }
  for (std::size_t i = 0; i < credentials.size(); ++i) request.credentials[i] = credentials[i];
  request.credential_count = credentials.size();
  result.status = parse_status::ok;
  return result;
}

std::optional<zap_envelope_split> split_envelope(
    std::span<const std::string_view> frames) noexcept {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    if (frames[i].empty()) return zap_envelope_split{frames.first(i + 1), frames.subspan(i + 1)};
  }
  return std::nullopt;
}

void zap_reply::clear() noexcept {
  request_id.clear();
  status = zap_status::internal_error;
  status_text.clear();
  user_id.clear();
  metadata.clear();
}

std::string_view to_string(metadata_problem problem) noexcept {
  switch (problem) {
    case metadata_problem::none:
      return "none";
    case metadata_problem::empty_name:
      return "empty name";
    case metadata_problem::name_too_long:
      return "name longer than 255 bytes";
    case metadata_problem::value_too_long:
      return "value longer than 4 GiB";
    case metadata_problem::reserved_name:
      break;
  }
  return "name reserved by libzmq";
}

metadata_problem check_metadata_property(std::string_view name, std::size_t value_size) noexcept {
  if (name.empty()) return metadata_problem::empty_name;
  if (name.size() > 255) return metadata_problem::name_too_long;
  if (value_size > std::numeric_limits<std::uint32_t>::max()) {
    return metadata_problem::value_too_long;
  }
  if (is_reserved_metadata_name(name)) return metadata_problem::reserved_name;
  return metadata_problem::none;
}

metadata_problem append_metadata(std::string& frame, std::string_view name,
                                 std::string_view value) {
  const metadata_problem problem = check_metadata_property(name, value.size());
  if (problem != metadata_problem::none) return problem;
  const std::size_t old_size = frame.size();
  // One resize (the strong guarantee: on bad_alloc the frame is unchanged), then fill in.
  frame.resize(old_size + encoded_property_size(name.size(), value.size()));
  char* out = frame.data() + old_size;
  *out++ = static_cast<char>(name.size());
  std::memcpy(out, name.data(), name.size());
  out += name.size();
  put_uint32(out, static_cast<std::uint32_t>(value.size()));
  out += 4;
  if (!value.empty()) std::memcpy(out, value.data(), value.size());
  return metadata_problem::none;
}

std::optional<std::vector<std::pair<std::string_view, std::string_view>>> decode_metadata(
    std::string_view frame) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  std::size_t pos = 0;
  // libzmq loops while more than one byte is left and fails on any byte left over.
  while (frame.size() - pos > 1) {
    const std::size_t name_size = static_cast<unsigned char>(frame[pos]);
    pos += 1;
    if (name_size == 0 || frame.size() - pos < name_size) return std::nullopt;
    std::string_view name = frame.substr(pos, name_size);
    pos += name_size;
    if (frame.size() - pos < 4) return std::nullopt;
    const std::size_t value_size = get_uint32(frame.data() + pos);
    pos += 4;
    if (frame.size() - pos < value_size) return std::nullopt;
    out.emplace_back(name, frame.substr(pos, value_size));
    pos += value_size;
  }
  if (pos != frame.size()) return std::nullopt;
  return out;
}

bool is_valid_reply(std::span<const std::string_view> frames, std::string_view request_id) {
  if (frames.size() != 6) return false;
  if (frames[0] != zap_version || frames[1] != request_id) return false;
  const std::string_view code = frames[2];
  if (code != "200" && code != "300" && code != "400" && code != "500") return false;
  const auto metadata = decode_metadata(frames[5]);
  if (!metadata) return false;
  for (const auto& [name, value] : *metadata) {
    if (check_metadata_property(name, value.size()) != metadata_problem::none) return false;
  }
  return true;
}

}  // namespace zmqsec::auth
