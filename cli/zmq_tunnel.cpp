// zmq-tunnel: reach a ZeroMQ endpoint through an SSH server. Opens the forward with
// zmqsec::tunnel::open_tunnel, prints the local URL as the first line on stdout (flushed, so a
// script can read it and connect), then waits.
//
//   zmq-tunnel tcp://10.0.1.2:5555 me@gateway -i ~/.ssh/id_ed25519
//   zmq-tunnel tcp://10.0.1.2:5555 me@gateway --password-stdin < password.txt
//
// A stop signal (cli/common/tool.hpp) closes the tunnel (the ssh child, if any, killed and
// reaped) and exits 0. The tunnel ending by itself exits 0 after its idle timeout, or 2 with its
// last error when the SSH session was lost.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <string>

#include <zmqsec/core/no_core_dumps.hpp>
#include <zmqsec/error.hpp>
#include <zmqsec/tunnel/error.hpp>
#include <zmqsec/tunnel/open.hpp>

#include "common/metrics.hpp"
#include "common/tool.hpp"
#include "zmq_tunnel/opening.hpp"
#include "zmq_tunnel/options.hpp"
#include "zmq_tunnel/secret_input.hpp"

namespace {

using namespace zmqsec::tunnel_tool;
namespace zt = zmqsec::tunnel;
using clock_type = std::chrono::steady_clock;

// How often the tunnel's liveness is looked at while no signal comes.
constexpr int alive_check_ms = 100;

// Whether a tunnel that ended by itself lost its session (rather than closing when idle). The
// libssh2 backend says so in last_error(); the openssh backend's ssh ends after --timeout, so an
// end before that is a loss, and without --timeout every end is.
bool session_lost(const zt::tunnel& t, const zt::options& opt, clock_type::time_point started) {
  if (opt.timeout.count() == 0) return true;
  if (t.last_error().starts_with("SSH session to ")) return true;
  return clock_type::now() - started < opt.timeout;
}

int run(options& opts, int stop_fd) {
  // The password, the passphrase and the SSH session's keys stay out of core dumps and
  // debuggers for as long as the tool runs (see core/no_core_dumps.hpp).
  const zmqsec::core::no_core_dumps no_dumps;
  zt::options& topt = opts.tunnel;
  if (opts.secret != secret_source::none) {
    const bool password = opts.secret == secret_source::password_stdin;
    (password ? topt.password : topt.passphrase) =
        read_secret_line(STDIN_FILENO, password ? "password" : "passphrase");
  }
  const auto started = clock_type::now();  // before open: the idle timeout starts there
  auto opened = open_unless_stopped(opts, stop_fd);
  if (!opened) return exit_success;  // stopped while opening
  auto& [url, t] = *opened;
  zmqsec::cli::metrics_endpoint metrics(this_tool, opts.metrics);
  metrics.add(t, "zmq-tunnel");
  metrics.announce();
  std::cout << url << '\n' << std::flush;
  if (!std::cout) {
    report_error("cannot write to standard output");
    return exit_ssh_failure;
  }
  const int status = zmqsec::cli::poll_until_stopped(
      this_tool, stop_fd, nullptr, alive_check_ms, [&]() -> std::optional<int> {
        if (t.is_alive()) return std::nullopt;
        if (!session_lost(t, topt, started)) return exit_success;
        std::string problem = t.last_error();  // "ssh exited: " when ssh said nothing more
        if (problem.empty() || problem.ends_with(": ")) {
          problem += "the SSH session to " + opts.server + " ended";
        }
        report_error(problem);
        return exit_ssh_failure;
      });
  t.close();
  return status;
}

// Malformed input is invalid_argument (exit 1); SSH failures carry zmqsec::tunnel::errc codes
// or errno (exit 2).
int status_for(const zmqsec::error& e) {
  if (e.code() == zt::errc::host_key_unknown) {
    report_error(
        "check that fingerprint with the server's administrator, then add the key to "
        "known_hosts or run once with --accept-new");
  }
  return zmqsec::is_io_error(e) ? exit_ssh_failure : exit_bad_input;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout is reported, not fatal
  options opts;
  if (const auto status = parse_command_line(argc, argv, opts)) return *status;
  return zmqsec::cli::run_until_stopped(
      this_tool, [&](int stop_fd) { return run(opts, stop_fd); }, status_for);
}
