// zmq-cert: generate, inspect and verify ZeroMQ CURVE certificates.
//
//   zmq-cert generate server --dir certs --meta name=api-1
//   zmq-cert verify certs/server.key_secret
//
// The subcommands are in zmq_cert/: command_line.cpp parses the arguments, commands.hpp does the
// work. main is the last line of defence: every exception becomes one line on stderr and an exit
// status (report.hpp), never a crash.

#include <iostream>
#include <new>
#include <system_error>

#include <zmqsec/core/no_core_dumps.hpp>

#include "zmq_cert/command_line.hpp"
#include "zmq_cert/report.hpp"

int main(int argc, char** argv) {
  using namespace zmqsec::cli;
  try {
    // Secret keys pass through memory: no core dump or debugger sees them (it runs briefly).
    const zmqsec::core::no_core_dumps no_dumps;
    const int status = run_command_line(argc, argv);
    std::cout.flush();
    if (!std::cout) {
      report_error("<stdout>", "write failed");
      return exit_io_failure;
    }
    return status;
  } catch (const std::system_error& e) {
    return fail(e);
  } catch (const std::bad_alloc&) {
    report_error("out of memory");
    return exit_io_failure;
  } catch (const std::exception& e) {
    report_error(e.what());
    return exit_bad_input;
  } catch (...) {
    report_error("unexpected error");
    return exit_bad_input;
  }
}
