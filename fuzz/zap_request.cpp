// ZAP requests of arbitrary frames through the whole core (parse, decide, encode) against a
// policy that uses every feature: never crashes; the reply is always one libzmq accepts, with
// the request's id; there is no reply only when the request id is unusable; a refusal carries
// neither User-Id nor metadata; a PLAIN password never shows in what an observer sees (no field
// views the password frame, nor holds the configured password unless the request carried it in
// another frame too).
//
// Input: frames, each a length byte followed by that many bytes (a length byte of 255 is
// followed by a 2-byte big-endian length, for frames beyond the bounds). The first byte chooses
// whether the frames start with a ROUTER envelope.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/keys.hpp>

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;

namespace {

constexpr std::string_view password = "fuzz-secret-password";

// A key every fuzzer can find: 32 bytes of 'K'.
zc::public_key known_key() {
  std::vector<unsigned char> bytes(32, 'K');
  return zc::public_key::from_bytes(bytes);
}

bool observed_secret = false;
std::string_view secret_frame;    // the PLAIN password frame of the current input
bool password_elsewhere = false;  // the configured password is in a frame that is no secret

bool overlaps(std::string_view a, std::string_view b) {
  if (a.empty() || b.empty()) return false;
  return a.data() < b.data() + b.size() && b.data() < a.data() + a.size();
}

const za::policy& fuzz_policy() {
  static const std::shared_ptr<const za::policy> policy = [] {
    za::policy_config config;
    config.allow("127.0.0.0/8").allow("::1").allow("10.0.0.0/8").deny("10.9.0.0/16");
    config.configure_plain("*", {{"admin", password}, {"u", ""}});
    config.configure_plain("p", {{"p", "p"}});
    zc::certificate cert;
    cert.public_key = known_key();
    cert.metadata = {{"name", "Fuzz"}, {"Socket-Type", "PUB"}, {std::string(300, 'n'), "v"}};
    zc::cert_store_options options;
    options.follow = false;
    config.configure_curve("*",
                           std::make_shared<const zc::cert_store>(
                               zc::cert_store::from_certificates(std::span(&cert, 1), options)));
    config.configure_curve("any", za::curve_allow_any);
    config.configure_curve_callback(
        "cb", [](std::string_view, std::string_view key) { return key.front() < 'M'; });
    config.configure_curve_callback("throw", [](std::string_view, std::string_view) -> bool {
      throw std::runtime_error("callback");
    });
    config.configure_gssapi("g");
    config.on_decision([](const za::decision& d) {
      for (std::string_view field : {d.reason, d.request_id, d.domain, d.address, d.mechanism,
                                     d.username, d.client_key, d.user_id}) {
        if (overlaps(field, secret_frame)) observed_secret = true;
        if (!password_elsewhere && field.find(password) != std::string_view::npos) {
          observed_secret = true;
        }
      }
    });
    return config.build();
  }();
  return *policy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool with_envelope = data[0] & 1;
  std::vector<std::string_view> frames;
  if (with_envelope) {
    frames.emplace_back("peer-routing-id");
    frames.emplace_back("");
  }
  std::size_t pos = 1;
  while (pos < size && frames.size() < 64) {
    std::size_t length = data[pos++];
    if (length == 255) {
      if (size - pos < 2) break;
      length = (std::size_t{data[pos]} << 8) | data[pos + 1];
      pos += 2;
    }
    if (length > size - pos) length = size - pos;
    frames.emplace_back(reinterpret_cast<const char*>(data + pos), length);
    pos += length;
  }

  std::span<const std::string_view> body(frames);
  if (with_envelope) {
    const auto split = za::split_envelope(frames);
    if (!split || split->envelope.size() != 2) std::abort();
    body = split->body;
  }

  const za::zap_parse_result parsed = za::parse_zap_request(body);
  const bool usable_id = body.size() > 1 && body[1].size() <= 255;
  if ((parsed.status == za::parse_status::no_request_id) == usable_id) std::abort();

  secret_frame = body.size() == 8 && body[5] == "PLAIN" ? body[7] : std::string_view();
  password_elsewhere = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (i != 7 && body[i].find(password) != std::string_view::npos) password_elsewhere = true;
  }
  za::zap_reply reply;
  const za::zap_outcome outcome = za::decide(fuzz_policy(), body, reply);
  if (!usable_id) {
    if (outcome != za::zap_outcome::drop) std::abort();
    return 0;
  }
  if (outcome != za::zap_outcome::reply) std::abort();
  const auto out = reply.frames();
  if (!za::is_valid_reply(out, body[1])) std::abort();
  if (reply.status != za::zap_status::success &&
      (!reply.user_id.empty() || !reply.metadata.empty())) {
    std::abort();
  }
  if (reply.status == za::zap_status::success && parsed.status != za::parse_status::ok)
    std::abort();
  if (observed_secret) std::abort();
  return 0;
}
