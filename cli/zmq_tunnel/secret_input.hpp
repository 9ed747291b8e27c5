// Reading a password or passphrase for zmq-tunnel: one line from standard input, which must not
// be a terminal (nothing is prompted for, and nothing typed is echoed), into memory that is wiped
// when released.
//
//   auto password = read_secret_line(STDIN_FILENO, "password");   // throws zmqsec::error
#pragma once

#include <string_view>

#include <zmqsec/certs/secure_memory.hpp>

namespace zmqsec::tunnel_tool {

/// Reads one line (without its "\n" or "\r\n") from fd. Throws zmqsec::error
/// (errc::invalid_argument) if fd is a terminal, holds no line, the line is empty or too long,
/// and an I/O error if reading fails. what names the secret in messages ("password").
certs::secret_string read_secret_line(int fd, std::string_view what);

}  // namespace zmqsec::tunnel_tool
