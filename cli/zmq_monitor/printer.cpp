#include "printer.hpp"

#include "../common/json.hpp"

namespace zmqsec::monitor_tool {
namespace {

using cli::json;

json auth_json(const monitor::auth_explanation& reason) {
  return {{"reason", reason.reason},     {"address", reason.address},
          {"domain", reason.domain},     {"mechanism", reason.mechanism},
          {"username", reason.username}, {"client_key", reason.client_key}};
}

json event_json(const monitor::event& e, std::string_view time,
                const std::optional<monitor::auth_explanation>& reason) {
  json doc = {{"time", time},
              {"event", e.name()},
              {"value", e.value},
              {"endpoint", e.endpoint},
              {"detail", e.detail()}};
  if (auto fd = e.fd()) doc["fd"] = *fd;
  if (auto err = e.error_number()) {
    doc["errno"] = *err;
    doc["error"] = *e.error_text();
  }
  if (auto interval = e.interval()) doc["interval_ms"] = interval->count();
  if (auto status = e.zap_status()) doc["zap_status"] = *status;
  if (auto code = e.protocol_error()) {
    const auto name = monitor::protocol_error_name(*code);
    doc["protocol_error"] = name ? *name : "unknown";
  }
  if (reason) doc["auth"] = auth_json(*reason);
  return doc;
}

}  // namespace

void printer::print(const monitor::event& e, std::chrono::system_clock::time_point when,
                    const std::optional<monitor::auth_explanation>& reason) {
  if (!json_) {
    out_ << time_.format(when) << ' ' << e.describe();
    if (reason) out_ << " -- " << reason->describe();
    out_ << '\n';
    return;
  }
  out_ << cli::dump(event_json(e, time_.format(when), reason)) << '\n';
}

}  // namespace zmqsec::monitor_tool
