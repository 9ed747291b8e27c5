// zmq-cert z85 encode HEX and zmq-cert z85 decode Z85

#include <iostream>

#include <zmqsec/certs/z85.hpp>

#include "commands.hpp"
#include "hex.hpp"
#include "report.hpp"

namespace zmqsec::cli {

int run_z85_encode(const std::string& hex) {
  std::vector<unsigned char> bytes;
  try {
    bytes = parse_hex(hex);
  } catch (const zmqsec::error& e) {
    report_error("HEX", e.what());
    return exit_bad_input;
  }
  if (bytes.size() % 4 != 0) {
    report_error("HEX", "Z85 encodes whole groups of 4 bytes (8 hex digits); got " +
                            std::to_string(bytes.size()) + " bytes");
    return exit_bad_input;
  }
  std::cout << certs::z85_encode(bytes) << '\n';
  return exit_success;
}

int run_z85_decode(const std::string& z85) {
  if (z85.size() % 5 != 0) {
    report_error("Z85", "Z85 text comes in groups of 5 characters; got " +
                            std::to_string(z85.size()) + " characters");
    return exit_bad_input;
  }
  std::vector<unsigned char> bytes(certs::z85_decoded_size(z85.size()));
  if (const auto result = certs::z85_decode_to(z85, bytes); !result) {
    report_error("Z85", certs::describe(result));
    return exit_bad_input;
  }
  std::cout << to_hex(bytes) << '\n';
  return exit_success;
}

}  // namespace zmqsec::cli
