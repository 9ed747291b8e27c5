#include "report.hpp"

#include <algorithm>
#include <iostream>
#include <string>

#include <zmqsec/core/text.hpp>
#include <zmqsec/error.hpp>

#include "../common/shorten.hpp"

namespace zmqsec::cli {

void report_error(std::string_view message) {
  std::cerr << "zmq-cert: " << core::printable(shortened(message)) << '\n';
}

void report_error(std::string_view subject, std::string_view reason) {
  std::cerr << "zmq-cert: " << core::printable(shortened(subject)) << ": "
            << core::printable(shortened(reason)) << '\n';
}

int exit_code_for(const std::system_error& e) noexcept {
  return zmqsec::is_io_error(e) ? exit_io_failure : exit_bad_input;
}

int fail(const std::system_error& e) {
  report_error(e.what());
  return exit_code_for(e);
}

int fail(const std::filesystem::path& path, const std::system_error& e) {
  if (!zmqsec::is_io_error(e)) return fail(e);
  report_error(path.string(), e.code().message());
  return exit_io_failure;
}

std::string_view reason_alone(const certs::file_problem& problem) {
  std::string_view reason = problem.reason;
  const std::string prefix = problem.path.string() + ": ";
  if (reason.starts_with(prefix)) reason.remove_prefix(prefix.size());
  return reason;
}

int load_sorted_certificates(const std::filesystem::path& dir, certs::certificate_folder& folder) {
  try {
    folder = certs::load_certificates(dir);
  } catch (const zmqsec::error& e) {
    return fail(dir, e);
  }
  std::ranges::sort(folder.certificates, {}, [](const auto& entry) { return entry.first; });
  std::ranges::sort(folder.problems, {}, &certs::file_problem::path);
  return exit_success;
}

}  // namespace zmqsec::cli
