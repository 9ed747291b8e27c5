#include "decision_log.hpp"

#include <string>

#include <spdlog/logger.h>

#include <zmqsec/core/text.hpp>

#include "throttle_step.hpp"
#include "throttled_log.hpp"

namespace zmqsec::auth::detail {

namespace {

using core::escape_for_log;

spdlog::level::level_enum level_of(const decision& d) noexcept {
  if (d.outcome != zap_outcome::reply) return spdlog::level::warn;
  switch (d.status) {
    case zap_status::success:
      return spdlog::level::info;
    case zap_status::temporary_failure:
    case zap_status::failure:
      return spdlog::level::warn;
    case zap_status::internal_error:
      return spdlog::level::err;
  }
  return spdlog::level::warn;
}

}  // namespace

void log_decision(spdlog::logger& logger, const decision& d) {
  const spdlog::level::level_enum level = level_of(d);
  if (!logger.should_log(level)) return;

  std::string credentials;
  if (!d.username.empty()) credentials += " user=\"" + escape_for_log(d.username) + "\"";
  if (!d.client_key.empty()) credentials += " key=" + escape_for_log(d.client_key);
  if (d.revoked) {
    logger.log(level,
               "ZAP session revoked ({}): domain=\"{}\" address=\"{}\" mechanism=\"{}\"{} "
               "user_id=\"{}\" fd={}",
               escape_for_log(d.reason), escape_for_log(d.domain), escape_for_log(d.address),
               escape_for_log(d.mechanism), credentials, escape_for_log(d.user_id), d.closed_fd);
    return;
  }
  if (d.outcome != zap_outcome::reply) {
    logger.log(level, "ZAP request dropped ({}): domain=\"{}\" address=\"{}\" mechanism=\"{}\"{}",
               escape_for_log(d.reason), escape_for_log(d.domain), escape_for_log(d.address),
               escape_for_log(d.mechanism), credentials);
    return;
  }
  std::string user_id =
      d.status == zap_status::success ? " user_id=\"" + escape_for_log(d.user_id) + "\"" : "";
  std::string skipped;
  if (d.metadata_skipped != 0) {
    skipped = " metadata_skipped=" + std::to_string(d.metadata_skipped) + " (\"" +
              escape_for_log(d.first_skipped_name) +
              "\": " + std::string(to_string(d.first_skipped_problem)) + ")";
  }
  logger.log(level, "ZAP {} {}: domain=\"{}\" address=\"{}\" mechanism=\"{}\"{}{}{}{}",
             status_code(d.status), escape_for_log(d.reason), escape_for_log(d.domain),
             escape_for_log(d.address), escape_for_log(d.mechanism), credentials, user_id,
             d.malformed ? " malformed" : "", skipped);
}

namespace {

// A throttled refusal is logged unless throttled_log holds it back; the first one logged after
// some were held back is preceded by their count.
bool log_throttled(spdlog::logger& logger, throttled_log& limiter, const decision& d) {
  std::uint64_t skipped = 0;
  if (!limiter.should_log(d.address, skipped, throttled_log::clock::now())) return false;
  if (skipped != 0) {
    logger.warn("ZAP {} more throttled refusals from address=\"{}\" were not logged one by one",
                skipped, escape_for_log(d.address));
  }
  return true;
}

}  // namespace

decision_observer logging_observer(std::shared_ptr<spdlog::logger> logger, decision_observer user,
                                   decision_logging which) {
  if (which == decision_logging::none) logger.reset();
  if (!logger && !user) return {};
  const bool refusals_only = which == decision_logging::refusals;
  auto limiter = std::make_shared<throttled_log>();
  return [logger = std::move(logger), user = std::move(user), refusals_only,
          limiter](const decision& d) {
    const bool accepted = d.outcome == zap_outcome::reply && d.status == zap_status::success;
    if (logger && !(refusals_only && accepted)) {
      try {
        const bool throttled = d.outcome == zap_outcome::reply && d.reason == throttled_reason;
        if (!throttled || log_throttled(*logger, *limiter, d)) log_decision(*logger, d);
      } catch (...) {  // logging never fails a decision
      }
    }
    if (user) user(d);
  };
}

}  // namespace zmqsec::auth::detail
