// zmq-tunnel: reach a ZeroMQ endpoint through an SSH server. Opens the forward with
// zmqsec::tunnel::open_tunnel, prints the local URL as the first line on stdout (flushed, so a
// script can read it and connect), then waits.
//
//   zmq-tunnel tcp://10.0.1.2:5555 me@gateway -i ~/.ssh/id_ed25519
//   zmq-tunnel tcp://10.0.1.2:5555 me@gateway --password-stdin < password.txt
//
// SIGINT and SIGTERM are blocked before the tunnel starts any thread and read from a signalfd:
// a signal closes the tunnel (the ssh child, if any, killed and reaped) and exits 0. The tunnel
// ending by itself exits 0 after its idle timeout, or 2 with its last error when the SSH session
// was lost.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <new>
#include <string>
#include <system_error>

#include <zmqsec/error.hpp>
#include <zmqsec/tunnel/error.hpp>
#include <zmqsec/tunnel/open.hpp>

#include "common/stop_signals.hpp"
#include "zmq_tunnel/options.hpp"
#include "zmq_tunnel/secret_input.hpp"

namespace {

using namespace zmqsec::tunnel_tool;
namespace zt = zmqsec::tunnel;
using clock_type = std::chrono::steady_clock;

// How often the tunnel's liveness is looked at while no signal comes.
constexpr int alive_check_ms = 100;

bool stop_requested(int stop_fd, int wait_ms) {
  pollfd item{stop_fd, POLLIN, 0};
  const int n = ::poll(&item, 1, wait_ms);
  return n > 0 && (item.revents & POLLIN) != 0;
}

// Copies the secret into the options (reserved first: the std::string never reallocates, so it
// leaves no unwiped copy behind).
void take_secret(std::string& into, const zmqsec::certs::secret_string& secret) {
  into.reserve(secret.size());
  into.assign(secret.data(), secret.size());
}

// Whether a tunnel that ended by itself lost its session (rather than closing when idle). The
// libssh2 backend says so in last_error(); the openssh backend's ssh ends after --timeout, so an
// end before that is a loss, and without --timeout every end is.
bool session_lost(const zt::tunnel& t, const zt::options& opt, clock_type::time_point started) {
  if (opt.timeout.count() == 0) return true;
  if (t.last_error().starts_with("SSH session to ")) return true;
  return clock_type::now() - started < opt.timeout;
}

int run(options& opts, int stop_fd) {
  zt::options& topt = opts.tunnel;
  if (opts.secret != secret_source::none) {
    const bool password = opts.secret == secret_source::password_stdin;
    const auto secret = read_secret_line(STDIN_FILENO, password ? "password" : "passphrase");
    take_secret(password ? topt.password : topt.passphrase, secret);
  }
  const auto started = clock_type::now();  // before open: the idle timeout starts there
  auto opened = [&] {
    try {
      auto r = zt::open_tunnel(opts.address, opts.server, topt);
      wipe(topt.password);
      wipe(topt.passphrase);
      return r;
    } catch (...) {
      wipe(topt.password);
      wipe(topt.passphrase);
      throw;
    }
  }();
  auto& [url, t] = opened;
  if (stop_requested(stop_fd, 0)) return exit_success;  // stopped while opening
  std::cout << url << '\n' << std::flush;
  if (!std::cout) {
    report_error("cannot write to standard output");
    return exit_ssh_failure;
  }
  for (;;) {
    if (stop_requested(stop_fd, alive_check_ms)) {
      t.close();
      return exit_success;
    }
    if (!t.is_alive()) break;
  }
  if (!session_lost(t, topt, started)) return exit_success;
  std::string problem = t.last_error();  // "ssh exited: " when ssh said nothing more
  if (problem.empty() || problem.ends_with(": ")) {
    problem += "the SSH session to " + opts.server + " ended";
  }
  report_error(problem);
  return exit_ssh_failure;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);  // a closed stdout is reported, not fatal
  options opts;
  if (const auto status = parse_command_line(argc, argv, opts)) return *status;
  const int stop_fd = zmqsec::cli::block_stop_signals();
  if (stop_fd < 0) {
    report_error(std::string("cannot watch for signals: ") + std::strerror(errno));
    return exit_ssh_failure;
  }
  try {
    const int status = run(opts, stop_fd);
    ::close(stop_fd);
    return status;
  } catch (const zmqsec::error& e) {
    // Malformed input is invalid_argument; SSH failures carry zmqsec::tunnel::errc codes.
    report_error(e.what());
    if (e.code() == zt::errc::host_key_unknown) {
      report_error(
          "check that fingerprint with the server's administrator, then add the key to "
          "known_hosts or run once with --accept-new");
    }
    return zmqsec::is_io_error(e) ? exit_ssh_failure : exit_bad_input;
  } catch (const std::bad_alloc&) {
    report_error("out of memory");
    return exit_ssh_failure;
  } catch (const std::exception& e) {
    report_error(e.what());
    return exit_ssh_failure;
  }
}
