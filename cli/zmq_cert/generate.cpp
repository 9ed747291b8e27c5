// zmq-cert generate NAME [--dir DIR] [--meta KEY=VALUE]... [--force]

#include <algorithm>
#include <iostream>
#include <optional>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/core/text.hpp>

#include "commands.hpp"
#include "report.hpp"

namespace zmqsec::cli {
namespace {

// The metadata of the --meta options, or nullopt after reporting the first bad one.
std::optional<certs::metadata> parse_metadata(const std::vector<std::string>& items) {
  certs::metadata meta;
  for (const auto& item : items) {
    const auto equals = item.find('=');
    if (equals == std::string::npos) {
      report_error("--meta " + item, "expected KEY=VALUE");
      return std::nullopt;
    }
    // The name's characters are checked where the file is written (save_certificates).
    std::string name = item.substr(0, equals);
    auto same_name = [&](const auto& entry) { return entry.first == name; };
    if (std::ranges::any_of(meta, same_name)) {
      report_error("--meta " + item, "'" + name + "' is given more than once");
      return std::nullopt;
    }
    meta.emplace_back(std::move(name), item.substr(equals + 1));
  }
  return meta;
}

}  // namespace

int run_generate(const generate_args& args) {
  // NAME is checked by save_certificates: a file name, never a path out of DIR.
  auto meta = parse_metadata(args.meta);
  if (!meta) return exit_bad_input;

  const auto keys = certs::generate_keypair();
  certs::certificate_files files;
  try {
    files = certs::save_certificates(args.dir, args.name, keys, *meta, {.overwrite = args.force});
  } catch (const zmqsec::error& e) {
    if (e.code() != std::errc::file_exists) throw;
    report_error(std::string(e.what()) + " (use --force to replace it)");
    return exit_bad_input;
  }
  std::cout << "public certificate: " << core::printable(files.public_file.string()) << '\n'
            << "secret certificate: " << core::printable(files.secret_file.string()) << '\n'
            << "public key: " << keys.public_key.z85() << '\n';
  return exit_success;
}

}  // namespace zmqsec::cli
