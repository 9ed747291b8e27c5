// zmq-cert verify FILE: is this certificate file fit for use?

#include <sodium.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <iostream>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/core/text.hpp>

#include "commands.hpp"
#include "report.hpp"

namespace zmqsec::cli {
namespace {

// A public key of small order (0, 1 and the other points libsodium rejects) gives a shared
// secret anyone can compute; libsodium refuses the Diffie-Hellman step, so no CURVE handshake
// with such a key can succeed. A random scalar times the key tells.
bool is_usable_public_key(const certs::public_key& key) {
  certs::ensure_sodium_initialised();
  unsigned char scalar[crypto_scalarmult_SCALARBYTES];
  unsigned char shared[crypto_scalarmult_BYTES];
  randombytes_buf(scalar, sizeof scalar);
  const bool usable = crypto_scalarmult(shared, scalar, key.data()) == 0;
  sodium_memzero(scalar, sizeof scalar);
  sodium_memzero(shared, sizeof shared);
  return usable;
}

std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

int run_verify(const std::filesystem::path& file) {
  const std::string name = file.string();
  // Parses the file, checks both keys' encoding and length, and that a secret key matches.
  certs::certificate cert;
  try {
    cert = certs::load_certificate(file);
  } catch (const zmqsec::error& e) {
    return fail(file, e);
  }

  if (!is_usable_public_key(cert.public_key)) {
    report_error(name, "public key is a low-order point; no CURVE handshake can use it");
    return exit_bad_input;
  }
  if (!cert.secret_key) {
    std::cout << core::printable(name) << ": OK (public certificate)\n";
    return exit_success;
  }

  struct stat status {};
  if (::stat(file.c_str(), &status) != 0) {
    report_error(name, std::generic_category().message(errno));
    return exit_io_failure;
  }
  const std::string mode = octal_mode(status.st_mode);
  if ((status.st_mode & 077) != 0) {
    report_error(name, "secret key file is accessible by group or others (mode " + mode +
                           "); fix it with: chmod 600 " + name);
    return exit_bad_input;
  }
  std::cout << core::printable(name) << ": OK (secret certificate, mode " << mode << ")\n";
  return exit_success;
}

}  // namespace zmqsec::cli
