#include "printer.hpp"

#include <ctime>

namespace zmqsec::monitor_tool {

std::string utc_timestamp(std::chrono::system_clock::time_point when) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(when);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(when - seconds).count();
  const std::time_t t = std::chrono::system_clock::to_time_t(seconds);
  std::tm parts{};
  ::gmtime_r(&t, &parts);
  char text[100];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", parts.tm_year + 1900,
                parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                static_cast<long>(micros));
  return text;
}

std::string json_string(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte >= 0x20 && byte < 0x7F) {
      out += c;
    } else {
      out += "\\u00";
      out += digits[byte >> 4];
      out += digits[byte & 0xF];
    }
  }
  return out + "\"";
}

void printer::print(const monitor::event& e, std::chrono::system_clock::time_point when,
                    const std::optional<monitor::auth_explanation>& reason) {
  if (!json_) {
    out_ << utc_timestamp(when) << ' ' << e.describe();
    if (reason) out_ << " -- " << reason->describe();
    out_ << '\n';
    return;
  }
  out_ << "{\"time\":" << json_string(utc_timestamp(when)) << ",\"event\":" << json_string(e.name())
       << ",\"value\":" << e.value << ",\"endpoint\":" << json_string(e.endpoint)
       << ",\"detail\":" << json_string(e.detail());
  if (auto fd = e.fd()) out_ << ",\"fd\":" << *fd;
  if (auto err = e.error_number()) {
    out_ << ",\"errno\":" << *err << ",\"error\":" << json_string(*e.error_text());
  }
  if (auto interval = e.interval()) out_ << ",\"interval_ms\":" << interval->count();
  if (auto status = e.zap_status()) out_ << ",\"zap_status\":" << *status;
  if (auto code = e.protocol_error()) {
    auto name = monitor::protocol_error_name(*code);
    out_ << ",\"protocol_error\":" << json_string(name ? *name : "unknown");
  }
  if (reason) {
    out_ << ",\"auth\":{\"reason\":" << json_string(reason->reason)
         << ",\"address\":" << json_string(reason->address)
         << ",\"domain\":" << json_string(reason->domain)
         << ",\"mechanism\":" << json_string(reason->mechanism)
         << ",\"username\":" << json_string(reason->username)
         << ",\"client_key\":" << json_string(reason->client_key) << '}';
  }
  out_ << "}\n";
}

}  // namespace zmqsec::monitor_tool
