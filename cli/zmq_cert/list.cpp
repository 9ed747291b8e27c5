// zmq-cert list DIR [--json]: the public certificates of a folder, as load_certificates sees
// them (secret files are not part of it). Bad files are reported and make the exit status 1.

#include <algorithm>
#include <iostream>

#include <zmqsec/certs/certificate.hpp>

#include "commands.hpp"
#include "print.hpp"
#include "report.hpp"
#include "text.hpp"

namespace zmqsec::cli {
namespace {

// file_problem::reason is the loader's message, which starts with the file name already.
std::string_view reason_alone(const certs::file_problem& problem) {
  std::string_view reason = problem.reason;
  const std::string prefix = problem.path.string() + ": ";
  if (reason.starts_with(prefix)) reason.remove_prefix(prefix.size());
  return reason;
}

void print_json(const certs::certificate_folder& folder) {
  std::cout << "{\"certificates\": [";
  const char* separator = "";
  for (const auto& [path, cert] : folder.certificates) {
    std::cout << separator << "{\"file\": ";
    write_json_string(std::cout, path.string());
    std::cout << ", \"public_key\": ";
    write_json_string(std::cout, cert.public_key.z85());
    std::cout << ", \"metadata\": ";
    print_metadata_json(std::cout, cert.metadata);
    std::cout << '}';
    separator = ", ";
  }
  std::cout << "], \"errors\": [";
  separator = "";
  for (const auto& problem : folder.problems) {
    std::cout << separator << "{\"file\": ";
    write_json_string(std::cout, problem.path.string());
    std::cout << ", \"reason\": ";
    write_json_string(std::cout, reason_alone(problem));
    std::cout << '}';
    separator = ", ";
  }
  std::cout << "]}\n";
}

void print_text(const certs::certificate_folder& folder) {
  for (const auto& [path, cert] : folder.certificates) {
    std::cout << cert.public_key.z85() << "  " << printable(path.string());
    if (!cert.metadata.empty()) {
      std::cout << "  ";
      print_metadata_inline(std::cout, cert.metadata);
    }
    std::cout << '\n';
  }
}

}  // namespace

int run_list(const std::filesystem::path& dir, bool json) {
  certs::certificate_folder folder;
  try {
    folder = certs::load_certificates(dir);
  } catch (const zmqsec::error& e) {
    return fail(dir, e);
  }
  // Directory order is arbitrary; sorted output can be compared and diffed.
  std::ranges::sort(folder.certificates, {}, [](const auto& entry) { return entry.first; });
  std::ranges::sort(folder.problems, {}, &certs::file_problem::path);

  if (json) {
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
