#include "key_files.hpp"

#include <cerrno>
#include <string_view>

#include <zmqsec/core/file_read.hpp>

#include "known_hosts.hpp"

namespace zmqsec::tunnel::detail {
namespace {

// The type of the public key in the unencrypted head of an OpenSSH private key: the base64 of
// about 200 bytes after the BEGIN line, decoded.
bool openssh_key_is_rsa(std::string_view text) {
  const std::string_view begin = "-----BEGIN OPENSSH PRIVATE KEY-----";
  const auto start = text.find(begin);
  if (start == std::string_view::npos) return false;
  std::string decoded;
  unsigned bits = 0;
  int count = 0;
  for (auto i = start + begin.size(); i < text.size() && decoded.size() < 200; ++i) {
    const char c = text[i];
    const int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                  : c >= 'a' && c <= 'z' ? c - 'a' + 26
                  : c >= '0' && c <= '9' ? c - '0' + 52
                  : c == '+'             ? 62
                  : c == '/'             ? 63
                                         : -1;
    if (v < 0) continue;
    bits = (bits << 6) | static_cast<unsigned>(v);
    if ((count += 6) >= 8) {
      count -= 8;
      decoded += static_cast<char>((bits >> count) & 0xff);
    }
  }
  return decoded.find("ssh-rsa") != std::string::npos;
}

}  // namespace

certs::secret_string read_key_file(const std::filesystem::path& path) {
  return core::read_regular_file<certs::secret_string>(path, max_key_file_size);
}

std::optional<std::string> read_known_hosts(const std::filesystem::path& path) {
  try {
    return core::read_regular_file<std::string>(path, max_known_hosts_size);
  } catch (const core::file_read_error& e) {
    if (e.code() == std::errc::no_such_file_or_directory) return std::nullopt;
    throw;
  }
}

void check_files(const options& opt) {
  if (!opt.keyfile.empty()) read_key_file(opt.keyfile);
  read_known_hosts(known_hosts_file(opt));
}

bool is_rsa_key(const std::filesystem::path& keyfile) {
  try {
    // A .pub beside the key is only a hint: one that cannot be read is passed over.
    const auto pub =
        core::read_regular_file<std::string>(keyfile.string() + ".pub", max_key_file_size);
    const auto start = pub.find_first_not_of(" \t\r\n");
    if (start != std::string::npos) {
      const auto end = pub.find_first_of(" \t\r\n", start);
      return pub.substr(start, end - start) == "ssh-rsa";
    }
  } catch (const core::file_read_error&) {
  }
  const auto text = read_key_file(keyfile);
  const std::string_view view(text.data(), text.size());
  return view.find("BEGIN RSA PRIVATE KEY") != std::string_view::npos || openssh_key_is_rsa(view);
}

}  // namespace zmqsec::tunnel::detail
