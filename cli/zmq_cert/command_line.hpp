// zmq-cert's command line: the subcommands and their options (CLI11), parsed and dispatched to
// the functions of commands.hpp.
//
//   int status = zmqsec::cli::run_command_line(argc, argv);
#pragma once

namespace zmqsec::cli {

/// Parses argv, runs the chosen subcommand and returns the exit status. Usage errors are
/// reported here (exit 1, with any argument that may be a key left out of the message); --help
/// and --version print to stdout (exit 0). Other failures propagate as exceptions.
int run_command_line(int argc, char** argv);

}  // namespace zmqsec::cli
