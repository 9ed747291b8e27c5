// zmq-cert keypair [--json] and zmq-cert public SECRET

#include <unistd.h>

#include <cerrno>
#include <iostream>

#include <zmqsec/certs/keys.hpp>
#include <zmqsec/certs/secure_memory.hpp>
#include <zmqsec/error.hpp>

#include "commands.hpp"
#include "report.hpp"

namespace zmqsec::cli {
namespace {

// A Z85 key is 40 characters; anything much longer on stdin is not a key.
constexpr std::size_t max_secret_input = 1024;

// Reads a secret key from stdin into secret memory, without the surrounding whitespace. Read
// with read(2) straight into that memory: std::cin would leave a copy in its buffer.
certs::secret_string read_secret_from_stdin() {
  certs::secret_string text(max_secret_input + 1, '\0');  // never reallocates
  std::size_t have = 0;
  while (have < text.size()) {
    const ssize_t n = ::read(STDIN_FILENO, text.data() + have, text.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw zmqsec::error::from_errno(errno, "<stdin>");
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  text.resize(have);
  if (text.size() > max_secret_input) {
    throw zmqsec::error(errc::invalid_key, "input is too long for a Z85 key");
  }
  constexpr std::string_view space = " \t\r\n";
  const auto first = text.find_first_not_of(space);
  if (first == certs::secret_string::npos) return {};
  const auto last = text.find_last_not_of(space);
  return certs::secret_string(text.data() + first, last - first + 1);
}

// Writes the secret to standard output with write(2): through std::cout it would stay behind
// in stdio's buffer, which nothing wipes.
void write_secret(const certs::secret_string& secret) {
  for (std::size_t done = 0; done < secret.size();) {
    const ssize_t n = ::write(STDOUT_FILENO, secret.data() + done, secret.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw zmqsec::error::from_errno(errno, "<stdout>");
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace

int run_keypair(bool as_json) {
  const auto keys = certs::generate_keypair();
  const std::string public_z85 = keys.public_key.z85();
  const certs::secret_string secret_z85 = keys.secret_key.z85();
  // Written directly rather than through nlohmann-json, whose strings would hold copies of the
  // secret that are never wiped; Z85 has no character that JSON escapes.
  std::cout << (as_json ? "{\"public\":\"" : "public: ") << public_z85
            << (as_json ? "\",\"secret\":\"" : "\nsecret: ") << std::flush;
  write_secret(secret_z85);
  std::cout << (as_json ? "\"}\n" : "\n");
  return exit_success;
}

int run_public(const std::string& secret) {
  const bool from_stdin = secret == "-";
  try {
    const auto key = from_stdin ? certs::secret_key::from_z85(read_secret_from_stdin())
                                : certs::secret_key::from_z85(secret);
    std::cout << certs::derive_public_key(key).z85() << '\n';
    return exit_success;
  } catch (const zmqsec::error& e) {
    if (is_io_error(e)) return fail(e);
    // The library's message never repeats the key; the subject names the argument, not its value.
    report_error(from_stdin ? "<stdin>" : "SECRET", e.what());
    return exit_bad_input;
  }
}

}  // namespace zmqsec::cli
