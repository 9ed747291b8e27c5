#include <zmqsec/error.hpp>
#include <zmqsec/tunnel/address.hpp>

#include <charconv>
#include <string>

namespace zmqsec::tunnel {
namespace {

[[noreturn]] void bad(std::string_view what, std::string_view text) {
  throw error(zmqsec::errc::invalid_argument,
              std::string(what) + ": \"" + std::string(text) + "\"");
}

std::uint16_t parse_port(std::string_view digits, std::string_view text, std::string_view what) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || value == 0 ||
      value > 65535) {
    bad(std::string(what) + " needs a port number from 1 to 65535", text);
  }
  return static_cast<std::uint16_t>(value);
}

bool valid_host(std::string_view host) {
  // 253: the longest DNS name (an IPv6 address with a zone is far shorter).
  if (host.empty() || host.size() > 253) return false;
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == ':' || c == '%';
    if (!ok) return false;
  }
  return true;
}

struct host_port {
  std::string_view host;
  std::string_view port;  // empty when none
  bool has_port = false;
};

// "host", "host:port", "[v6]", "[v6]:port", and (when bare_v6 allows it) "v6" without a port.
host_port split_host_port(std::string_view s, std::string_view text, std::string_view what,
                          bool bare_v6) {
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string_view::npos) bad(std::string(what) + ": unclosed '['", text);
    host_port r{s.substr(1, close - 1), {}, false};
    auto rest = s.substr(close + 1);
    if (rest.empty()) return r;
    if (rest.front() != ':') bad(std::string(what) + ": unexpected text after ']'", text);
    r.port = rest.substr(1);
    r.has_port = true;
    if (r.host.find(':') == std::string_view::npos) {
      bad(std::string(what) + ": brackets are for IPv6 addresses", text);
    }
    return r;
  }
  auto first = s.find(':');
  if (first == std::string_view::npos) return {s, {}, false};
  if (s.find(':', first + 1) != std::string_view::npos) {
    if (!bare_v6) bad(std::string(what) + ": an IPv6 address needs brackets ([::1]:port)", text);
    return {s, {}, false};
  }
  return {s.substr(0, first), s.substr(first + 1), true};
}

}  // namespace

std::string bracket_host(std::string_view host) {
  std::string out;
  const bool v6 = host.find(':') != std::string_view::npos;
  out.reserve(host.size() + 2);
  if (v6) out.push_back('[');
  out.append(host);
  if (v6) out.push_back(']');
  return out;
}

std::string server_address::to_string() const {
  std::string s = user.empty() ? "" : user + "@";
  s += bracket_host(host);
  if (explicit_port) {
    s += ':';
    s += std::to_string(port);
  }
  return s;
}

std::string tcp_address::to_string() const {
  std::string s = "tcp://";
  s += bracket_host(host);
  s += ':';
  s += std::to_string(port);
  return s;
}

server_address parse_server(std::string_view text) {
  constexpr std::string_view what = "SSH server";
  if (text.empty()) bad("SSH server is empty; expected [user@]host[:port]", text);
  server_address r;
  std::string_view rest = text;
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    r.user = std::string(rest.substr(0, at));
    if (r.user.empty()) bad("SSH server: empty user name before '@'", text);
    rest = rest.substr(at + 1);
  }
  auto hp = split_host_port(rest, text, what, true);
  if (!valid_host(hp.host)) bad("SSH server: expected [user@]host[:port]", text);
  r.host = std::string(hp.host);
  if (hp.has_port) {
    r.port = parse_port(hp.port, text, what);
    r.explicit_port = true;
  }
  return r;
}

tcp_address parse_tcp_address(std::string_view text) {
  constexpr std::string_view scheme = "tcp://";
  if (!text.starts_with(scheme)) {
    bad("only tcp:// addresses can be tunnelled (expected tcp://host:port)", text);
  }
  auto rest = text.substr(scheme.size());
  if (rest.find(';') != std::string_view::npos) {
    bad("a source address (tcp://source;host:port) cannot be tunnelled", text);
  }
  auto hp = split_host_port(rest, text, "address", false);
  if (!hp.has_port) bad("address lacks a port (expected tcp://host:port)", text);
  if (hp.host == "*") bad("address: a wildcard host cannot be tunnelled", text);
  if (!valid_host(hp.host)) bad("address: expected tcp://host:port", text);
  return {std::string(hp.host), parse_port(hp.port, text, "address")};
}

}  // namespace zmqsec::tunnel
