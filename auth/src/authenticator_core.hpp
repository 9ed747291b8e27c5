// What an authenticator's configuring calls and its ZAP server share: the publisher (policy in
// force, configuration, followed files, logger) and the counters. Owned by the authenticator
// base; the variants' handlers hold a reference. Private to zmqsec::auth.
#pragma once

#include <memory>
#include <string>

#include "handler_state.hpp"
#include "policy_publisher.hpp"
#include "session_registry.hpp"

namespace zmqsec::auth::detail {

struct authenticator_core {
  authenticator_core(policy_config config, std::shared_ptr<spdlog::logger> logger,
                     bool takes_deferred, std::string transport)
      : publisher(std::move(config), std::move(logger), counters, takes_deferred,
                  std::move(transport)),
        sessions(publisher.source(), counters, publisher.log()) {}

  handler_counters counters;  // before publisher, which counts password reloads into it
  policy_publisher publisher;
  session_registry sessions;
  // The ZAP context, set by the variant's constructor: a session_guard makes its monitor's
  // socket in it.
  void* context = nullptr;
};

}  // namespace zmqsec::auth::detail
