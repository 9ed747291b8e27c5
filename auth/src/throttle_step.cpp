// The throttling step of a decision: the table asked and told around each request.
#include "throttle_step.hpp"

namespace zmqsec::auth::detail {

namespace {

throttle_table::clock::time_point now() noexcept {
  return throttle_table::clock::now();
}

}  // namespace

void throttle_state::reconfigure(const throttle_config& config) noexcept {
  try {
    table_.reconfigure(config);
  } catch (...) {  // out of memory: the settings before stay, with what they know
  }
}

bool throttle_state::refuses(const zap_request& request) noexcept {
  if (!table_.config().enabled()) return false;
  if (!table_.blocked(request.address, now())) return false;
  ++refusals_;
  return true;
}

void throttle_state::settle(const zap_request& request, zap_status status,
                            bool credential) noexcept {
  if (!credential || !table_.config().enabled()) return;
  if (status == zap_status::success) {
    table_.succeeded(request.address);
  } else if (status == zap_status::failure) {
    table_.failed(request.address, now());
  }
}

bool judged_credential(const zap_request& request, bool by_decider) noexcept {
  switch (request.mechanism) {
    case mechanism::plain:
    case mechanism::curve:
    case mechanism::gssapi:
      return true;
    case mechanism::null:
    case mechanism::unknown:
      break;
  }
  return by_decider;
}

}  // namespace zmqsec::auth::detail
