// zmq-cert list DIR [--json]: the public certificates of a folder, as load_certificates sees
// them (secret files are not part of it). Bad files are reported and make the exit status 1.

#include <algorithm>
#include <iostream>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/core/text.hpp>

#include "commands.hpp"
#include "print.hpp"
#include "report.hpp"

namespace zmqsec::cli {
namespace {

void print_json(const certs::certificate_folder& folder) {
  json certificates = json::array();
  for (const auto& [path, cert] : folder.certificates) {
    certificates.push_back({{"file", path.string()},
                            {"public_key", cert.public_key.z85()},
                            {"metadata", metadata_json(cert.metadata)}});
  }
  json errors = json::array();
  for (const auto& problem : folder.problems) {
    errors.push_back({{"file", problem.path.string()}, {"reason", reason_alone(problem)}});
  }
  std::cout << dump({{"certificates", certificates}, {"errors", errors}}) << '\n';
}

void print_text(const certs::certificate_folder& folder) {
  for (const auto& [path, cert] : folder.certificates) {
    std::cout << cert.public_key.z85() << "  " << core::printable(path.string());
    if (!cert.metadata.empty()) {
      std::cout << "  ";
      print_metadata_inline(std::cout, cert.metadata);
    }
    std::cout << '\n';
  }
}

}  // namespace

int run_list(const std::filesystem::path& dir, bool as_json) {
  certs::certificate_folder folder;
  if (const int status = load_sorted_certificates(dir, folder); status != exit_success) {
    return status;
  }

  if (as_json) {
    print_json(folder);
  } else {
    print_text(folder);
  }
  for (const auto& problem : folder.problems) {
    report_error(problem.path.string(), reason_alone(problem));
  }
  return folder.problems.empty() ? exit_success : exit_bad_input;
}

}  // namespace zmqsec::cli
