// The command-line parsing every tool ends the same way: --help and --version print and exit 0,
// anything CLI11 refuses is reported on stderr with a pointer to --help.
#pragma once

#include <CLI/CLI.hpp>

#include <iostream>
#include <optional>
#include <string>

namespace zmqsec::cli {

/// Parses argv with app. nullopt: parsed, the tool goes on. Otherwise the status to exit with:
/// success after --help or --version (CLI11 printed them), bad_input after an error, which
/// report (the tool's own "tool: message" printer) shows before the pointer to --help.
inline std::optional<int> parse_arguments(CLI::App& app, int argc, char** argv, const char* tool,
                                          void (*report)(const std::string&), int success,
                                          int bad_input) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
      app.exit(e);
      return success;
    }
    report(e.what());
    std::cerr << "Run '" << tool << " --help' for more information.\n";
    return bad_input;
  }
}

}  // namespace zmqsec::cli
