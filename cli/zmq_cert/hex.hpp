// Hexadecimal text for `zmq-cert z85`: two digits per byte, either case in, lower case out.
//
//   auto bytes = zmqsec::cli::parse_hex("864FD26FB559F75B");   // 8 bytes
//   std::string text = zmqsec::cli::to_hex(bytes);            // "864fd26fb559f75b"
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace zmqsec::cli {

/// Parses hex digits; throws zmqsec::error (invalid_argument) naming the first bad digit and its
/// position, or an odd number of digits.
std::vector<unsigned char> parse_hex(std::string_view text);

/// Two lower-case hex digits per byte.
std::string to_hex(std::span<const unsigned char> bytes);

}  // namespace zmqsec::cli
