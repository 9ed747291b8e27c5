// zmq-cert show FILE [--json]. Never prints the secret key, only whether there is one.

#include <iostream>

#include <zmqsec/certs/certificate.hpp>

#include "commands.hpp"
#include "print.hpp"
#include "report.hpp"
#include "text.hpp"

namespace zmqsec::cli {

namespace {

int print_certificate(const std::filesystem::path& file, const certs::certificate& cert,
                      bool json) {
  const bool has_secret = cert.secret_key.has_value();
  if (json) {
    std::cout << "{\"public_key\": ";
    write_json_string(std::cout, cert.public_key.z85());
    std::cout << ", \"has_secret\": " << (has_secret ? "true" : "false") << ", \"metadata\": ";
    print_metadata_json(std::cout, cert.metadata);
    std::cout << "}\n";
    return exit_success;
  }
  std::cout << "file: " << printable(file.string()) << '\n'
            << "public key: " << cert.public_key.z85() << '\n'
            << "secret key: " << (has_secret ? "present (not shown)" : "none") << '\n'
            << "metadata:" << (cert.metadata.empty() ? " none" : "") << '\n';
  print_metadata_text(std::cout, cert.metadata);
  return exit_success;
}

}  // namespace

int run_show(const std::filesystem::path& file, bool json) {
  try {
    return print_certificate(file, certs::load_certificate(file), json);
  } catch (const zmqsec::error& e) {
    return fail(file, e);
  }
}

}  // namespace zmqsec::cli
