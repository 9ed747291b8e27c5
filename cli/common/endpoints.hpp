// Endpoints from the command line, checked before any socket sees them (core/endpoint.hpp):
// libzmq would take "tcp://*:99999" as port 34463.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <zmqsec/core/endpoint.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::cli {

/// What is wrong with the first malformed endpoint, or nullopt if all are fine.
inline std::optional<std::string> bad_endpoint(const std::vector<std::string>& endpoints) {
  for (const auto& endpoint : endpoints) {
    try {
      core::check_endpoint(endpoint);
    } catch (const zmqsec::error& e) {
      return e.what();
    }
  }
  return std::nullopt;
}

}  // namespace zmqsec::cli
