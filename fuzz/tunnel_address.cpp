// The tunnel's address parsers on arbitrary text: parse_server and parse_tcp_address never crash
// and throw nothing but zmqsec::error with errc::invalid_argument; what they accept round-trips:
// formatted back (with bracket_host, and with to_string()) and parsed again it gives the same
// fields, and a parsed host is never empty and never keeps its brackets.
//
// Input: the whole input is given to both parsers.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <zmqsec/error.hpp>
#include <zmqsec/tunnel/address.hpp>

namespace zt = zmqsec::tunnel;

namespace {

// Parses text with parse; returns whether it was accepted. Any exception other than
// zmqsec::error(errc::invalid_argument) is a bug.
template <class T, class Parse>
bool try_parse(Parse parse, std::string_view text, T& out) {
  try {
    out = parse(text);
    return true;
  } catch (const zmqsec::error& e) {
    if (e.code() != zmqsec::errc::invalid_argument) std::abort();
    return false;
  } catch (...) {
    std::abort();
  }
}

void check_host(const std::string& host) {
  if (host.empty()) std::abort();
  if (host.find_first_of("[]@/") != std::string::npos) std::abort();
}

bool same(const zt::server_address& a, const zt::server_address& b) {
  return a.user == b.user && a.host == b.host && a.port == b.port &&
         a.explicit_port == b.explicit_port;
}

void check_server(std::string_view text) {
  zt::server_address first;
  if (!try_parse<zt::server_address>(zt::parse_server, text, first)) return;
  check_host(first.host);
  if (!first.explicit_port && first.port != 22) std::abort();
  if (first.explicit_port && first.port == 0) std::abort();
  std::string formatted = first.user.empty() ? "" : first.user + "@";
  formatted += zt::bracket_host(first.host);
  if (first.explicit_port) formatted += ":" + std::to_string(first.port);
  if (formatted != first.to_string()) std::abort();
  zt::server_address second;
  if (!try_parse<zt::server_address>(zt::parse_server, formatted, second)) std::abort();
  if (!same(first, second)) std::abort();
}

void check_tcp(std::string_view text) {
  zt::tcp_address first;
  if (!try_parse<zt::tcp_address>(zt::parse_tcp_address, text, first)) return;
  check_host(first.host);
  if (first.port == 0) std::abort();
  const std::string formatted =
      "tcp://" + zt::bracket_host(first.host) + ":" + std::to_string(first.port);
  if (formatted != first.to_string()) std::abort();
  zt::tcp_address second;
  if (!try_parse<zt::tcp_address>(zt::parse_tcp_address, formatted, second)) std::abort();
  if (first.host != second.host || first.port != second.port) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_server(text);
  check_tcp(text);
  return 0;
}
