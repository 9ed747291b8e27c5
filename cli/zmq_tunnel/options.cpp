#include "options.hpp"

#include "../common/files.hpp"
#include "../common/metrics.hpp"
#include "../common/numbers.hpp"
#include "../common/parse_arguments.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <cmath>
#include <string_view>

#include <zmqsec/error.hpp>
#include <zmqsec/tunnel/address.hpp>

namespace zmqsec::tunnel_tool {
namespace {

constexpr const char* footer = R"(
Opens an SSH port forward from a free port on 127.0.0.1 to ADDRESS as the SSH server sees it,
prints the local URL (tcp://127.0.0.1:PORT) as the first line on standard output, and keeps it
open until Ctrl-C (SIGINT) or SIGTERM, or with --timeout until it has been idle that long.
Connect ZeroMQ sockets to the printed URL.

Host keys are checked strictly: a server whose key is not in known_hosts (--known-hosts, or
~/.ssh/known_hosts) is refused with its SHA256 fingerprint; --accept-new trusts and records a
new key (never a changed one).

Secrets are never taken as arguments: --password-stdin and --passphrase-stdin read one line
from standard input, which must be a pipe or a file, not a terminal.

Backends: libssh2 (in-process) or openssh (runs ssh, honours ~/.ssh/config, ProxyJump and
agents); automatic takes libssh2 for a non-RSA key file or a password, openssh otherwise.

Examples:
  zmq-tunnel tcp://10.0.1.2:5555 me@gateway -i ~/.ssh/id_ed25519
  zmq-tunnel tcp://[::1]:5555 me@[fd00::7]:2222 --password-stdin < password.txt
  zmq-tunnel tcp://127.0.0.1:6000 gateway --backend openssh --timeout 60

Exit status: 0 stopped by a signal or closed after --timeout, 1 bad usage, address, server, key
file or secret input, 2 the tunnel could not be opened (unknown or changed host key, permission
denied, connection failed) or its SSH session was lost.
)";

}  // namespace

void report_error(const std::string& message) {
  this_tool.report(message);
}

std::optional<int> parse_command_line(int argc, char** argv, options& opts) {
  // A secret given as an argument shows in ps and the shell history: refused before CLI11 could
  // quote it in an error message.
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    for (const std::string_view name : {"--password", "--passphrase"}) {
      if (arg == name || (arg.starts_with(name) && arg[name.size()] == '=')) {
        report_error(std::string(name) + " is not an option: secrets are never taken as " +
                     "arguments; give " + std::string(name) + "-stdin and the secret on " +
                     "standard input");
        return exit_bad_input;
      }
    }
  }
  CLI::App app{"Reach a ZeroMQ endpoint through an SSH server: a local port forward.",
               "zmq-tunnel"};
  app.set_version_flag("--version", "zmq-tunnel " ZMQSEC_VERSION);
  app.footer(footer);
  app.add_option("ADDRESS", opts.address, "tcp://HOST:PORT, as seen from the SSH server")
      ->required();
  app.add_option("SERVER", opts.server, "The SSH server: [user@]host[:port], [user@][v6]:port")
      ->required();
  std::string keyfile;
  app.add_option("-i,--identity", keyfile, "Private key file (OpenSSH or PEM format)")
      ->type_name("KEY")
      ->check(zmqsec::cli::not_empty());
  bool password_stdin = false, passphrase_stdin = false;
  auto* password = app.add_flag("--password-stdin", password_stdin,
                                "Read the SSH password from standard input (one line)");
  auto* passphrase = app.add_flag("--passphrase-stdin", passphrase_stdin,
                                  "Read the key's passphrase from standard input (one line)");
  password->excludes(passphrase);
  std::string known_hosts;
  app.add_option("--known-hosts", known_hosts, "known_hosts file (default: ~/.ssh/known_hosts)")
      ->type_name("FILE")
      ->check(zmqsec::cli::not_empty());
  bool accept_new = false;
  app.add_flag("--accept-new", accept_new,
               "Trust a server key that known_hosts does not hold yet, and add it there");
  std::string backend = "automatic";
  app.add_option("--backend", backend, "libssh2, openssh or automatic")
      ->type_name("BACKEND")
      ->check(CLI::IsMember({"libssh2", "openssh", "automatic"}))
      ->capture_default_str();
  double timeout = 0;
  app.add_option("--timeout", timeout,
                 "Close once no forwarded connection is in use, but not before S seconds "
                 "(0: run until stopped)")
      ->type_name("S")
      ->check(zmqsec::cli::decimal_number(0.0, 1.0e7));
  app.add_option("--local-port", opts.tunnel.local_port,
                 "The local port on 127.0.0.1 (default 0: a free one the system picks)")
      ->type_name("PORT")
      ->check(zmqsec::cli::whole_number(0, 65535));
  double connect_timeout = 10;
  app.add_option("--connect-timeout", connect_timeout,
                 "The longest connecting and logging in may take, in seconds")
      ->type_name("S")
      ->check(zmqsec::cli::decimal_number(0.1, 1.0e6))
      ->capture_default_str();

  zmqsec::cli::add_metrics_option(app, opts.metrics);

  if (const auto status = zmqsec::cli::parse_arguments(app, argc, argv, "zmq-tunnel", report_error,
                                                       exit_success, exit_bad_input)) {
    return status;
  }
  // Both addresses are checked here, so that a typo fails before any SSH work.
  try {
    zmqsec::tunnel::parse_tcp_address(opts.address);
    zmqsec::tunnel::parse_server(opts.server);
  } catch (const zmqsec::error& e) {
    report_error(e.what());
    return exit_bad_input;
  }
  // Files are checked before any SSH work: one that is missing, not a regular file (a FIFO,
  // /dev/zero, a folder) or unreadable is bad input; the library reads them bounded later.
  for (const auto& [file, may_be_missing] :
       {std::pair{keyfile, false}, std::pair{known_hosts, true}}) {
    if (const auto problem = zmqsec::cli::unreadable_file(file, may_be_missing)) {
      report_error(*problem);
      return exit_bad_input;
    }
  }
  if (password_stdin) opts.secret = secret_source::password_stdin;
  if (passphrase_stdin) {
    if (keyfile.empty()) {
      report_error("--passphrase-stdin needs a key file (-i KEY)");
      return exit_bad_input;
    }
    opts.secret = secret_source::passphrase_stdin;
  }
  namespace zt = zmqsec::tunnel;
  auto& t = opts.tunnel;
  t.keyfile = keyfile;
  t.known_hosts = known_hosts;
  t.host_keys = accept_new ? zt::host_key_policy::accept_new : zt::host_key_policy::strict;
  t.backend = backend == "libssh2"   ? zt::backend::libssh2
              : backend == "openssh" ? zt::backend::openssh
                                     : zt::backend::automatic;
  t.timeout = std::chrono::milliseconds(std::llround(timeout * 1000));
  t.connect_timeout = std::chrono::milliseconds(std::llround(connect_timeout * 1000));
  return std::nullopt;
}

}  // namespace zmqsec::tunnel_tool
