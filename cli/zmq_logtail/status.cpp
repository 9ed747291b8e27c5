#include "status.hpp"

#include <zmqsec/core/text.hpp>

namespace zmqsec::logtail {
namespace {

namespace zm = zmqsec::monitor;

// 1, 10, 100, ...: how often a retry is worth a line.
bool worth_saying(std::uint64_t attempts) {
  while (attempts >= 10 && attempts % 10 == 0) attempts /= 10;
  return attempts == 1;
}

}  // namespace

zm::event_mask status_events() {
  using zm::event_type;
  return zm::event_mask(event_type::connect_retried) | event_type::handshake_succeeded |
         event_type::handshake_failed_no_detail | event_type::handshake_failed_protocol |
         event_type::handshake_failed_auth | event_type::disconnected;
}

void status_reporter::say(const std::string& endpoint, const std::string& text) {
  err_ << "zmq-logtail: " << core::printable(endpoint) << ": " << text << std::endl;
}

void status_reporter::report(const zm::event& e) {
  using zm::event_type;
  const bool failure = e.type == event_type::handshake_failed_no_detail ||
                       e.type == event_type::handshake_failed_protocol ||
                       e.type == event_type::handshake_failed_auth;
  if (!connecting_ && !failure) return;
  switch (e.type) {
    case event_type::connect_retried: {
      const std::uint64_t attempts = ++retries_[e.endpoint];
      if (!worth_saying(attempts)) return;
      // libzmq's event says nothing of why: a refusal, an unreachable host and a name that
      // does not resolve look the same.
      say(e.endpoint,
          "not connected: refused, unreachable, or the name does not resolve "
          "(attempt " +
              std::to_string(attempts) + "; " + e.detail() + ")");
      return;
    }
    case event_type::handshake_succeeded:
      retries_.erase(e.endpoint);
      say(e.endpoint, "connected, waiting for records");
      return;
    case event_type::handshake_failed_no_detail:
    case event_type::handshake_failed_protocol:
    case event_type::handshake_failed_auth:
      say(e.endpoint,
          "handshake failed: " + e.detail() + " (check --curve-server-key and --curve-cert)");
      return;
    case event_type::disconnected:
      say(e.endpoint, "disconnected; reconnecting");
      return;
    default:
      return;
  }
}

}  // namespace zmqsec::logtail
