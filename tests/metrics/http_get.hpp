// A plain HTTP/1.0 GET to a loopback server (the exposer, Prometheus): connect, send, read until
// the server closes, every step bounded by a deadline. Enough for tests; no TLS, no redirects.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zmqsec::testing {

struct http_response {
  int status = 0;
  std::string body;
};

/// GET http://host:port/target; nullopt if the connection fails or the deadline passes.
std::optional<http_response> http_get(const std::string& host, std::uint16_t port,
                                      std::string_view target,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(5));

/// text with every byte outside [A-Za-z0-9-_.~] as %XX (a query parameter's value).
std::string url_encode(std::string_view text);

}  // namespace zmqsec::testing
