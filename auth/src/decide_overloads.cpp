// The public overloads of decide() and complete_deferred(): each comes down to the one with the
// certificate snapshots and the throttle state (decide.cpp), without a throttle state (decide()
// alone never throttles: the state belongs to an authenticator's ZAP server).
#include <zmqsec/auth/policy.hpp>

#include <algorithm>
#include <array>

#include "throttle_step.hpp"

namespace zmqsec::auth {

zap_outcome decide(const policy& p, std::span<const std::string_view> body,
                   zap_reply& reply) noexcept {
  return decide(p, body, reply, nullptr);
}

zap_outcome decide(const policy& p, std::span<const std::string_view> body, zap_reply& reply,
                   zap_deferral* deferral) noexcept {
  // No caller's snapshots to keep between calls: this call's own (making one allocates nothing).
  store_snapshots snapshots;
  return decide(p, body, reply, deferral, snapshots);
}

zap_outcome decide(const policy& p, std::span<const std::string_view> body, zap_reply& reply,
                   zap_deferral* deferral, store_snapshots& snapshots) noexcept {
  return detail::decide(p, body, reply, deferral, snapshots, nullptr);
}

zap_outcome complete_deferred(const policy& p, std::span<const std::string_view> body,
                              const deferred_verdict& verdict, zap_reply& reply) noexcept {
  return detail::complete_deferred(p, body, verdict, reply, nullptr);
}

zap_outcome decide(const policy& p, const zap_request& request, zap_reply& reply) noexcept {
  // A request may have been put together by hand: hold it to the parser's rules (so that, e.g.,
  // curve_key() never reads past a short credential).
  std::array<std::string_view, 8> frames{request.version,    request.request_id,
                                         request.domain,     request.address,
                                         request.routing_id, request.mechanism_name};
  const std::size_t count = std::min<std::size_t>(request.credential_count, 2);
  for (std::size_t i = 0; i < count; ++i) frames[6 + i] = request.credentials[i];
  return decide(p, std::span<const std::string_view>(frames.data(), 6 + count), reply);
}

std::optional<zap_reply> decide(const policy& p, std::span<const std::string_view> body) {
  zap_reply reply;
  if (decide(p, body, reply) != zap_outcome::reply) return std::nullopt;
  return reply;
}

}  // namespace zmqsec::auth
