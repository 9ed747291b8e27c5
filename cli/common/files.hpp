// Checking a file named on the command line before a tool relies on it: opened without blocking
// (a FIFO or /dev/zero never hangs the tool) and a regular file, or one clear line saying why not.
#pragma once

#include <CLI/CLI.hpp>

#include <limits>
#include <optional>
#include <string>

#include <zmqsec/core/file_read.hpp>

namespace zmqsec::cli {

/// For options naming a file or folder: an empty name is a mistake (a variable that was not set),
/// never "the current folder" or "none".
inline CLI::Validator not_empty() {
  return CLI::Validator(
      [](std::string& text) -> std::string { return text.empty() ? "empty name" : ""; }, "");
}

/// Why path cannot be read as a regular file ("path: not a regular file (a FIFO)"), or nullopt
/// if it can. Empty paths, and with may_be_missing paths that do not exist, are fine.
inline std::optional<std::string> unreadable_file(const std::string& path, bool may_be_missing) {
  if (path.empty()) return std::nullopt;
  try {
    core::open_regular_file(path, std::numeric_limits<std::size_t>::max());
  } catch (const core::file_read_error& e) {
    if (may_be_missing && e.code() == std::errc::no_such_file_or_directory) return std::nullopt;
    return e.what();
  }
  return std::nullopt;
}

}  // namespace zmqsec::cli
