// zmq-cert show FILE [--json]. Never prints the secret key, only whether there is one.

#include <iostream>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/core/text.hpp>

#include "commands.hpp"
#include "print.hpp"
#include "report.hpp"

namespace zmqsec::cli {

namespace {

int print_certificate(const std::filesystem::path& file, const certs::certificate& cert,
                      bool as_json) {
  const bool has_secret = cert.secret_key.has_value();
  if (as_json) {
    const json doc = {{"public_key", cert.public_key.z85()},
                      {"has_secret", has_secret},
                      {"metadata", metadata_json(cert.metadata)}};
    std::cout << dump(doc) << '\n';
    return exit_success;
  }
  std::cout << "file: " << core::printable(file.string()) << '\n'
            << "public key: " << cert.public_key.z85() << '\n'
            << "secret key: " << (has_secret ? "present (not shown)" : "none") << '\n'
            << "metadata:" << (cert.metadata.empty() ? " none" : "") << '\n';
  print_metadata_text(std::cout, cert.metadata);
  return exit_success;
}

}  // namespace

int run_show(const std::filesystem::path& file, bool as_json) {
  try {
    return print_certificate(file, certs::load_certificate(file), as_json);
  } catch (const zmqsec::error& e) {
    return fail(file, e);
  }
}

}  // namespace zmqsec::cli
