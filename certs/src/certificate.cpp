// Certificate files: ZPL with a `metadata` and a `curve` section, as CZMQ and pyzmq write them.
#include <zmqsec/certs/certificate.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <ctime>

#include <zmqsec/certs/z85.hpp>
#include <zmqsec/certs/zpl.hpp>

#include "certificate_parse.hpp"
#include "file_io.hpp"

namespace zmqsec::certs {
namespace {

constexpr std::string_view public_key_path = "curve/public-key";
constexpr std::string_view secret_key_path = "curve/secret-key";

std::string generated_line() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
  return std::string("#   ****  Generated on ") + stamp + " by zmqsec  ****\n";
}

std::string public_banner() {
  return generated_line() +
         "#   ZeroMQ CURVE Public Certificate\n"
         "#   Exchange securely, or use a secure mechanism to verify the contents\n"
         "#   of this file after exchange. Store public certificates in your home\n"
         "#   directory, in the .curve subdirectory.\n\n";
}

std::string secret_banner() {
  return generated_line() +
         "#   ZeroMQ CURVE **Secret** Certificate\n"
         "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n\n";
}

// pyzmq's load_certificate finds keys by matching stripped lines against these prefixes, so a
// metadata name starting with one would be read by pyzmq as a key.
bool shadows_a_key_for_pyzmq(std::string_view name) noexcept {
  return name.starts_with("public-key") || name.starts_with("secret-key");
}

// The ZPL body shared by the public and the secret file: metadata, then curve/public-key. The
// secret file appends its secret-key line to the curve section, which comes last. Every value is
// quoted, the empty one too (`name = ""`), as CZMQ writes them.
std::string public_body(const public_key& key, const metadata& meta) {
  std::string body = "metadata\n";
  for (const auto& [name, value] : meta) {
    if (!is_valid_zpl_name(name)) {
      throw zmqsec::error(errc::invalid_argument,
                          "invalid metadata name '" + name +
                              "' (letters, digits and $-_@.&+/ only, 1 to 255 characters)");
    }
    if (shadows_a_key_for_pyzmq(name)) {
      throw zmqsec::error(errc::invalid_argument,
                          "invalid metadata name '" + name +
                              "' (names starting with public-key or secret-key are read as keys "
                              "by pyzmq)");
    }
    body += "    " + name + " = " + zpl_quote(value) + "\n";
  }
  body += "curve\n    public-key = \"" + key.z85() + "\"\n";
  return body;
}

void check_certificate_name(std::string_view name) {
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == ".." ||
      name.find('\0') != std::string_view::npos) {
    throw zmqsec::error(errc::invalid_argument, "invalid certificate name '" + std::string(name) +
                                                    "' (a file name without '/')");
  }
}

}  // namespace

const std::string* certificate::meta(std::string_view name) const noexcept {
  for (const auto& [key, value] : metadata) {
    if (key == name) return &value;
  }
  return nullptr;
}

certificate_error::certificate_error(errc code, const std::filesystem::path& path,
                                     const std::string& reason)
    : zmqsec::error(code, path.string() + ": " + reason), path_(path) {}

certificate_files save_certificates(const std::filesystem::path& dir, std::string_view name,
                                    const keypair& keys, const metadata& meta,
                                    const create_options& options) {
  check_certificate_name(name);
  if (!keys_match(keys.public_key, keys.secret_key)) {
    throw zmqsec::error(errc::key_mismatch, "secret key does not match public key");
  }
  certificate_files files{dir / (std::string(name) + ".key"),
                          dir / (std::string(name) + ".key_secret")};
  const std::string body = public_body(keys.public_key, meta);

  secret_string secret_text(secret_banner());
  secret_text += body;
  secret_text += "    secret-key = \"";
  secret_text += keys.secret_key.z85();
  secret_text += "\"\n";

  // Refuse before writing anything, so a refused call leaves no half pair behind. The writes
  // themselves also refuse atomically (link), closing the race with another writer.
  if (!options.overwrite) {
    for (const auto& file : {files.public_file, files.secret_file}) {
      std::error_code ec;
      const auto type = std::filesystem::symlink_status(file, ec).type();
      if (type == std::filesystem::file_type::not_found) continue;
      // A name that cannot be looked up (too long, a folder that cannot be searched) is not one
      // that exists.
      if (ec) throw zmqsec::error::from_errno(ec.value(), "cannot create " + file.string());
      throw zmqsec::error::from_errno(EEXIST, file.string() + " exists (refusing to overwrite)");
    }
  }
  detail::write_file_atomically(files.secret_file, secret_text, 0600, options.overwrite);
  detail::write_file_atomically(files.public_file, public_banner() + body, 0644, options.overwrite);
  return files;
}

certificate_files create_certificates(const std::filesystem::path& dir, std::string_view name,
                                      const metadata& meta, const create_options& options) {
  return save_certificates(dir, name, generate_keypair(), meta, options);
}

void save_public_certificate(const std::filesystem::path& path, const public_key& key,
                             const metadata& meta, const create_options& options) {
  detail::write_file_atomically(path, public_banner() + public_body(key, meta), 0644,
                                options.overwrite);
}

certificate parse_certificate(std::string_view text, const std::filesystem::path& source) {
  certificate cert;
  if (detail::parse_plain_public_certificate(text, cert)) return cert;
  return detail::parse_certificate_fully(text, source);
}

certificate detail::parse_certificate_fully(std::string_view text,
                                            const std::filesystem::path& source) {
  std::string_view public_text;
  std::string_view secret_text;
  bool has_public = false;
  bool has_secret = false;
  certificate cert;
  auto fail = [&](errc code, const std::string& reason) -> certificate_error {
    return certificate_error(code, source, reason);
  };

  try {
    for_each_zpl_entry(text, source.string(), [&](const zpl_entry& entry) {
      if (entry.path == public_key_path) {
        if (has_public) throw fail(errc::invalid_certificate, "more than one public-key");
        has_public = true;
        public_text = entry.value;
      } else if (entry.path == secret_key_path) {
        if (has_secret) throw fail(errc::invalid_certificate, "more than one secret-key");
        has_secret = true;
        secret_text = entry.value;
      } else if (entry.depth == 1 && entry.path.starts_with("metadata/")) {
        cert.metadata.emplace_back(entry.name, entry.value);
      }
    });
  } catch (const zpl_error& e) {
    throw fail(errc::invalid_certificate, "line " + std::to_string(e.line()) + ": " + e.reason());
  }

  if (!has_public) throw fail(errc::invalid_certificate, "no public key (curve/public-key)");
  try {
    cert.public_key = public_key::from_z85(public_text);
  } catch (const zmqsec::error& e) {
    throw fail(errc::invalid_key, e.what());
  }
  if (!has_secret) return cert;
  try {
    cert.secret_key = secret_key::from_z85(secret_text);
  } catch (const zmqsec::error& e) {
    throw fail(errc::invalid_key, e.what());  // the message never holds the secret text
  }
  if (!keys_match(cert.public_key, *cert.secret_key)) {
    throw fail(errc::key_mismatch, "secret key does not match the public key");
  }
  return cert;
}

certificate load_certificate(const std::filesystem::path& path) {
  secret_string text = detail::read_small_file(path, detail::max_certificate_file_size);
  return parse_certificate(text, path);
}

bool is_public_certificate_name(const std::filesystem::path& file) noexcept {
  const std::string name = file.filename().string();
  if (name.empty() || name.front() == '.' || name.back() == '~') return false;
  return !name.ends_with("_secret");
}

certificate_folder load_certificates(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw zmqsec::error(ec, "cannot open folder " + dir.string() + ": " + ec.message());

  std::vector<std::filesystem::path> files;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (is_public_certificate_name(it->path())) files.push_back(it->path());
  }
  if (ec) throw zmqsec::error(ec, "cannot read folder " + dir.string() + ": " + ec.message());
  std::sort(files.begin(), files.end());

  certificate_folder folder;
  for (const auto& file : files) {
    std::error_code type_ec;
    if (!std::filesystem::is_regular_file(file, type_ec)) continue;  // folders, sockets, ...
    try {
      certificate cert = load_certificate(file);
      cert.secret_key.reset();  // a store of public certificates keeps no secrets
      folder.certificates.emplace_back(file, std::move(cert));
    } catch (const zmqsec::error& e) {
      folder.problems.push_back({file, e.what()});
    }
  }
  return folder;
}

}  // namespace zmqsec::certs
