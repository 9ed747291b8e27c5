// The authentication policy as a TOML file (the format is documented in docs/auth.md and
// examples/policy.toml):
//
//   [addresses]
//   allow = ["127.0.0.1", "10.0.0.0/8"]
//   [log]
//   decisions = "refusals"
//   [domains."*"]
//   plain = { password_file = "passwords" }      # relative to the policy file's folder
//   [domains.api]
//   null = { allow = true, user_id = "anonymous", metadata = { Hello = "World" } }
//   curve = { certificates = "clients/" }        # or { authorized_keys = "clients.keys" },
//                                                # { keys = [...] } or { allow_any = true }
//
//   za::policy_config config = za::load_policy_file("/etc/app/policy.toml");
//
// Loading is two steps, so that the parser can be tested (and fuzzed) without files:
// parse_policy_document() turns the text into a policy_document (a policy_config of everything
// that needs no file, and the files and folders it names), and resolve_policy_document() loads
// those password files and opens those certificate folders. load_policy_file() does both.
//
// Strict: an unknown table or key, a value of the wrong type, a bad address rule, a bad Z85 key,
// metadata libzmq would refuse, two CURVE sources in one domain, a domain longer than 255 bytes
// or a file that cannot be loaded is a policy_file_error naming the line and column; no partial
// policy is ever produced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::auth {

/// The largest policy file read (a bound against a runaway file, far above any real policy).
inline constexpr std::size_t max_policy_file_size = 64u << 20;

/// Why a policy file was refused. what() is "PATH:LINE:COLUMN: REASON" ("PATH: REASON" when the
/// problem has no position: a file that cannot be read, whose errno is then the code).
class policy_file_error : public zmqsec::error {
 public:
  policy_file_error(std::error_code code, std::filesystem::path path, std::uint32_t line,
                    std::uint32_t column, std::string reason);
  const std::filesystem::path& path() const noexcept { return path_; }
  std::uint32_t line() const noexcept { return line_; }      ///< 1-based; 0: none
  std::uint32_t column() const noexcept { return column_; }  ///< 1-based; 0: none
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::filesystem::path path_;
  std::uint32_t line_;
  std::uint32_t column_;
  std::string reason_;
};

/// A password file, certificate folder or authorized-keys file a policy file names, for
/// resolve_policy_document().
struct policy_file_source {
  enum class kind : std::uint8_t { password_file, certificates, authorized_keys };
  kind what = kind::password_file;
  std::string domain;
  std::filesystem::path path;  ///< relative ones made relative to the policy file's folder
  std::uint32_t line = 0;      ///< where the policy file names it
  std::uint32_t column = 0;
};

/// A parsed policy file.
struct policy_document {
  std::filesystem::path source;           ///< the policy file, as given
  policy_config config;                   ///< everything that needs no file
  std::vector<policy_file_source> files;  ///< what resolve_policy_document() loads and opens
};

/// Parses the text of a policy file; source names it in errors and is the base of relative
/// paths. Touches no file. Throws policy_file_error.
policy_document parse_policy_document(std::string_view text, const std::filesystem::path& source);

/// The policy_config of a document: its config with its password files loaded and its
/// certificate folders opened (each a certs::cert_store, followed live). Throws policy_file_error
/// at the position of the source that failed.
policy_config resolve_policy_document(const policy_document& document);

/// Reads (core::read_regular_file: a regular file of at most max_policy_file_size bytes, opened
/// without blocking), parses and resolves a policy file. Throws policy_file_error.
policy_config load_policy_file(const std::filesystem::path& path);

}  // namespace zmqsec::auth
