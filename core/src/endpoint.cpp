#include <zmqsec/core/endpoint.hpp>

#include <string>

#include <zmqsec/core/text.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::core {
namespace {

// sun_path holds 108 bytes, the last for the terminating NUL.
constexpr std::size_t max_ipc_path = 107;

[[noreturn]] void refuse(std::string_view endpoint, const std::string& problem) {
  throw zmqsec::error(errc::invalid_argument, "endpoint " + printable(endpoint) + ": " + problem);
}

void check_port(std::string_view endpoint, std::string_view port) {
  if (port == "*") return;
  if (port.empty()) refuse(endpoint, "the port is missing (HOST:PORT)");
  unsigned long value = 0;
  for (const char c : port) {
    if (c < '0' || c > '9') {
      refuse(endpoint, "port " + printable(port) + " is not a number from 0 to 65535");
    }
    value = value * 10 + static_cast<unsigned long>(c - '0');
    if (value > 65535) {
      refuse(endpoint, "port " + printable(port) + " is out of range (0 to 65535)");
    }
  }
}

// HOST:PORT, HOST being a name, an address, [IPv6], an interface or *.
void check_host_port(std::string_view endpoint, std::string_view address, bool port_required) {
  std::size_t colon = std::string_view::npos;
  if (address.starts_with('[')) {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos) refuse(endpoint, "an IPv6 address misses its ']'");
    if (close == 1) refuse(endpoint, "the IPv6 address in [] is empty");
    if (close + 1 < address.size()) {
      if (address[close + 1] != ':') refuse(endpoint, "expected ':' and a port after ']'");
      colon = close + 1;
    }
  } else {
    colon = address.rfind(':');
  }
  if (colon == std::string_view::npos) {
    if (port_required) refuse(endpoint, "the port is missing (HOST:PORT)");
    if (address.empty()) refuse(endpoint, "the host is empty");
    return;
  }
  if (colon == 0) refuse(endpoint, "the host is empty (use * for every interface)");
  check_port(endpoint, address.substr(colon + 1));
}

void check_tcp(std::string_view endpoint, std::string_view address) {
  const std::size_t semicolon = address.find(';');
  if (semicolon != std::string_view::npos) {
    check_host_port(endpoint, address.substr(0, semicolon), false);
    address.remove_prefix(semicolon + 1);
    if (address.find(';') != std::string_view::npos) refuse(endpoint, "more than one ';'");
  }
  check_host_port(endpoint, address, true);
}

}  // namespace

void check_endpoint(std::string_view endpoint) {
  if (endpoint.empty())
    refuse(endpoint, "empty (expected tcp://HOST:PORT, ipc://PATH or inproc://NAME)");
  for (const char c : endpoint) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) refuse(endpoint, "holds a space or a control character");
  }
  const std::size_t separator = endpoint.find("://");
  if (separator == std::string_view::npos) {
    refuse(endpoint, "expected TRANSPORT://ADDRESS (tcp://HOST:PORT, ipc://PATH, inproc://NAME)");
  }
  const std::string_view transport = endpoint.substr(0, separator);
  const std::string_view address = endpoint.substr(separator + 3);
  if (transport == "tcp") {
    check_tcp(endpoint, address);
  } else if (transport == "ipc") {
    if (address.empty()) refuse(endpoint, "the path is empty");
    if (address.size() > max_ipc_path) {
      refuse(endpoint, "the path is longer than " + std::to_string(max_ipc_path) + " bytes");
    }
  } else if (transport == "inproc") {
    if (address.empty()) refuse(endpoint, "the name is empty");
  } else {
    refuse(endpoint, "unsupported transport " + printable(transport) + " (tcp, ipc or inproc)");
  }
}

}  // namespace zmqsec::core
