// Runs the real zmq-cert binary (ZMQ_CERT_PATH, set by CMake) for the cli tests.
//
//   auto r = zmqsec::testing::zmq_cert({"z85", "encode", "864FD26FB559F75B"});
//   EXPECT_EQ(r.exit_code, 0) << r;
//   EXPECT_EQ(r.out, "HelloWorld\n");
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/certs/certificate.hpp>

#include "process.hpp"
#include "temp_dir.hpp"

namespace zmqsec::testing {

inline process_result zmq_cert(const std::vector<std::string>& args,
                               const process_options& options = {}) {
  return run_process(ZMQ_CERT_PATH, args, options);
}

/// The rest of the first line of text that starts with label, or "" if there is none.
inline std::string line_value(std::string_view text, std::string_view label) {
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    if (line.starts_with(label)) return std::string(line.substr(label.size()));
    start = end + 1;
  }
  return {};
}

/// A certificate pair written by `zmq-cert generate`, with its keys read back by the library.
struct generated_pair {
  std::filesystem::path public_file;
  std::filesystem::path secret_file;
  std::string public_key;
  std::string secret_key;  ///< Z85, to check that it does not leak
};

/// Runs `zmq-cert generate NAME --dir DIR [extra...]`; fails the test if it does not succeed.
inline generated_pair generate(const temp_dir& dir, const std::string& name,
                               std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"generate", name, "--dir", dir.path().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  const process_result r = zmq_cert(args);
  EXPECT_EQ(r.exit_code, 0) << r;
  generated_pair pair{dir / (name + ".key"), dir / (name + ".key_secret"), {}, {}};
  const certs::certificate cert = certs::load_certificate(pair.secret_file);
  pair.public_key = cert.public_key.z85();
  const auto secret = cert.secret_key->z85();
  pair.secret_key.assign(secret.begin(), secret.end());
  return pair;
}

/// True if text contains any control character except newline (e.g. a terminal escape).
inline bool has_raw_control_characters(std::string_view text) {
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\n') || c == 0x7F) return true;
  }
  return false;
}

}  // namespace zmqsec::testing
