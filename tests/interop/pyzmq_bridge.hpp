// pyzmq's side of the interop tests: runs pyzmq_helper.py with the system Python that has pyzmq
// (/usr/bin/python3 from python3-zmq, not whatever python3 is first on PATH) and reads back what
// it printed.
//
//   auto seen = zmqsec::testing::pyzmq::run({"load_certificate", path.string()});
//   EXPECT_EQ(seen.get("public"), expected.z85());
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "process.hpp"

namespace zmqsec::testing::pyzmq {

/// The argv that runs the helper with args: python in isolated mode (-I: no PYTHON* variables,
/// no user site-packages), without writing bytecode (-B), with UTF-8 text I/O (-X utf8).
std::vector<std::string> helper_command(const std::vector<std::string>& args);

/// The "name value" lines a helper command printed.
struct output {
  std::vector<std::pair<std::string, std::string>> fields;

  /// The value of the only field called name; throws std::runtime_error if there is not
  /// exactly one.
  const std::string& get(const std::string& name) const;
  /// The values of every field called name, in order.
  std::vector<std::string> all(const std::string& name) const;
};

/// Splits printed lines into fields at the first space.
output parse(const std::string& printed);

/// Runs a helper command to completion; throws std::runtime_error with the exit status and
/// everything it printed unless it exits 0.
output run(const std::vector<std::string>& args,
           std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace zmqsec::testing::pyzmq
