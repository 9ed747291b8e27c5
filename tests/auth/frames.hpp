// Helpers for the auth tests: ZAP requests as owned frames, and views of them.
#pragma once

#include <array>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/auth/zap.hpp>
#include <zmqsec/certs/keys.hpp>

namespace zmqsec::testing {

/// Owned frames with a view of each, as a transport would hand them to the core.
class frames {
 public:
  frames() = default;
  frames(std::initializer_list<std::string> list) : owned_(list) {}
  explicit frames(std::vector<std::string> list) : owned_(std::move(list)) {}

  frames& add(std::string frame) {
    owned_.push_back(std::move(frame));
    return *this;
  }
  std::vector<std::string>& owned() { return owned_; }

  /// Views of the frames (valid until the next change).
  std::span<const std::string_view> view() {
    views_.assign(owned_.begin(), owned_.end());
    return views_;
  }

 private:
  std::vector<std::string> owned_;
  std::vector<std::string_view> views_;
};

inline std::string raw(const certs::public_key& key) {
  return {reinterpret_cast<const char*>(key.data()), key.bytes().size()};
}

/// A well-formed request body (after the envelope).
inline frames request(std::string mechanism, std::vector<std::string> credentials = {},
                      std::string domain = "global", std::string address = "127.0.0.1",
                      std::string request_id = "1") {
  frames f{"1.0",       std::move(request_id), std::move(domain), std::move(address),
           "router-id", std::move(mechanism)};
  for (auto& c : credentials) f.add(std::move(c));
  return f;
}

inline frames null_request(std::string domain = "global", std::string address = "127.0.0.1") {
  return request("NULL", {}, std::move(domain), std::move(address));
}
inline frames plain_request(std::string user, std::string password, std::string domain = "global",
                            std::string address = "127.0.0.1") {
  return request("PLAIN", {std::move(user), std::move(password)}, std::move(domain),
                 std::move(address));
}
inline frames curve_request(const certs::public_key& key, std::string domain = "global",
                            std::string address = "127.0.0.1") {
  return request("CURVE", {raw(key)}, std::move(domain), std::move(address));
}
inline frames gssapi_request(std::string principal, std::string domain = "global",
                             std::string address = "127.0.0.1") {
  return request("GSSAPI", {std::move(principal)}, std::move(domain), std::move(address));
}

}  // namespace zmqsec::testing
