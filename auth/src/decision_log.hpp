// Decisions as log lines: who asked, from where, how, and the answer. Private to zmqsec::auth.
#pragma once

#include <memory>

#include <spdlog/fwd.h>

#include <zmqsec/auth/decision.hpp>
#include <zmqsec/auth/policy.hpp>

namespace zmqsec::auth::detail {

/// One line per decision: info for 200, warn for refusals and dropped requests, error for 500.
/// Text from the network is escaped (core::escape_for_log); never a password or a secret key.
void log_decision(spdlog::logger& logger, const decision& d);

/// The observer an authenticator's policy gets: logs to logger (if any; a logging failure never
/// fails a decision) the decisions which asks for, then calls user (if any). Empty when there is
/// nothing to do.
decision_observer logging_observer(std::shared_ptr<spdlog::logger> logger, decision_observer user,
                                   decision_logging which = decision_logging::all);

}  // namespace zmqsec::auth::detail
