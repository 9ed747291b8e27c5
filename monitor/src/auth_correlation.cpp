// Matching refusals to HANDSHAKE_FAILED_AUTH events: a small queue under a mutex. Refusals are
// rare next to successes, so only they are copied.
#include <zmq.h>

#include <zmqsec/monitor/auth_correlation.hpp>

namespace zmqsec::monitor {

std::string auth_explanation::describe() const {
  std::string out = std::to_string(status) + " " + escape(reason) + " (";
  if (!mechanism.empty()) out += escape(mechanism) + " ";
  if (!username.empty()) out += "user \"" + escape(username) + "\" ";
  if (!client_key.empty()) out += "key " + escape(client_key) + " ";
  out += "from " + (address.empty() ? std::string("?") : escape(address));
  out += ", domain \"" + escape(domain) + "\")";
  return out;
}

auth_scope scope_of(zmq::socket_ref socket) {
  auth_scope scope;
  const int mechanism = socket.get(zmq::sockopt::mechanism);
  const std::string domain = socket.get(zmq::sockopt::zap_domain);
  bool server = false;
  switch (mechanism) {
    case ZMQ_NULL:
      scope.mechanism = "NULL";
      server = !domain.empty();
      break;
    case ZMQ_PLAIN:
      scope.mechanism = "PLAIN";
      server = socket.get(zmq::sockopt::plain_server) != 0;
      break;
    case ZMQ_CURVE:
      scope.mechanism = "CURVE";
      server = socket.get(zmq::sockopt::curve_server) != 0;
      break;
    default:
      scope.mechanism = "GSSAPI";
      server = true;
      break;
  }
  scope.side = server ? auth_side::server : auth_side::client;
  if (server) scope.domain = domain;
  return scope;
}

auth_correlator::auth_correlator(auth_correlator_options options) : options_(options) {}

void auth_correlator::record(const auth::decision& d) {
  if (d.outcome != auth::zap_outcome::reply || d.status == auth::zap_status::success) return;
  entry e;
  e.what.status = static_cast<std::uint32_t>(d.status);
  e.what.reason.assign(d.reason);
  e.what.domain.assign(d.domain);
  e.what.address.assign(d.address);
  e.what.mechanism.assign(d.mechanism);
  e.what.username.assign(d.username);
  e.what.client_key.assign(d.client_key);
  e.what.decided_at = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  forget_old(e.what.decided_at);
  if (options_.capacity == 0) return;
  while (entries_.size() >= options_.capacity) entries_.pop_front();
  entries_.push_back(std::move(e));
}

std::optional<auth_explanation> auth_correlator::explain(const event& e, const auth_scope& scope) {
  if (e.type != event_type::handshake_failed_auth) return std::nullopt;
  std::lock_guard lock(mutex_);
  forget_old(std::chrono::steady_clock::now());
  for (auto& candidate : entries_) {
    bool& claimed =
        scope.side == auth_side::server ? candidate.claimed_by_server : candidate.claimed_by_client;
    if (claimed || candidate.what.status != e.value) continue;
    if (scope.domain && *scope.domain != candidate.what.domain) continue;
    if (scope.mechanism && *scope.mechanism != candidate.what.mechanism) continue;
    claimed = true;
    return candidate.what;
  }
  return std::nullopt;
}

std::size_t auth_correlator::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void auth_correlator::forget_old(std::chrono::steady_clock::time_point now) {
  while (!entries_.empty() && now - entries_.front().what.decided_at > options_.window) {
    entries_.pop_front();
  }
}

}  // namespace zmqsec::monitor
