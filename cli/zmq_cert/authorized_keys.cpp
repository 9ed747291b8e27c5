// zmq-cert authorized-keys: an authorized-keys file from a folder of public certificates, and a
// folder of public certificates from an authorized-keys file. Bad certificates or lines are
// reported and left out, the rest is written, and the exit status is 1.
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <zmqsec/certs/authorized_keys.hpp>
#include <zmqsec/certs/certificate.hpp>

#include "commands.hpp"
#include "report.hpp"

namespace zmqsec::cli {
namespace {

// Writes text to out atomically: a temporary file beside it, then a rename.
int write_atomically(const std::filesystem::path& out, const std::string& text) {
  std::filesystem::path temp = out;
  temp += ".tmp-" + std::to_string(::getpid());
  {
    std::ofstream file(temp, std::ios::binary | std::ios::trunc);
    file << text;
    file.flush();
    if (!file) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      report_error(out.string(), "cannot write");
      return exit_io_failure;
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, out, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    report_error(out.string(), "cannot write: " + ec.message());
    return exit_io_failure;
  }
  return exit_success;
}

// A file name for a key that no other key shares and any file system takes: its bytes in hex.
std::string file_name_of(const certs::public_key& key) {
  char hex[certs::key_size * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, key.data(), certs::key_size);
  return std::string(hex) + ".key";
}

}  // namespace

int run_authorized_keys_from_folder(const std::filesystem::path& dir,
                                    const std::filesystem::path& out) {
  certs::certificate_folder folder;
  int status = load_sorted_certificates(dir, folder);
  if (status != exit_success) return status;
  for (const auto& problem : folder.problems) {
    report_error(problem.path.string(), reason_alone(problem));
    status = exit_bad_input;
  }
  std::string text = "# authorized keys from " + dir.string() + "\n";
  for (const auto& [path, cert] : folder.certificates) {
    try {
      text += certs::authorized_key_line(cert.public_key, cert.metadata) + '\n';
    } catch (const zmqsec::error& e) {
      report_error(path.string(), e.what());
      status = exit_bad_input;
    }
  }
  if (out.empty() || out == "-") {
    std::cout << text;
    return status;
  }
  const int written = write_atomically(out, text);
  return written != exit_success ? written : status;
}

int run_authorized_keys_to_folder(const std::filesystem::path& file,
                                  const std::filesystem::path& dir, bool force) {
  certs::authorized_keys_contents contents;
  try {
    contents = certs::read_authorized_keys(file);
  } catch (const zmqsec::error& e) {
    return fail(file, e);
  }
  int status = exit_success;
  for (const auto& problem : contents.problems) {
    report_error(problem.path.string() + ":" + std::to_string(problem.line), problem.reason);
    status = exit_bad_input;
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    report_error(dir.string(), "cannot create: " + ec.message());
    return exit_io_failure;
  }
  for (const auto& key : contents.keys) {
    const auto path = dir / file_name_of(key.key);
    try {
      certs::save_public_certificate(path, key.key, key.metadata, {.overwrite = force});
    } catch (const zmqsec::error& e) {
      return fail(path, e);
    }
  }
  std::cout << contents.keys.size() << " certificates written to " << dir.string() << '\n';
  return status;
}

}  // namespace zmqsec::cli
