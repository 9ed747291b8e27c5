// PLAIN user tables: user names with plain-text passwords or argon2 hashes, checked in constant
// time, kept only as keyed digests or hashes in wiped memory.
//
//   za::password_table users{{"admin", "secret"}, {"ops", "$argon2id$v=19$m=65536,t=2,p=1$..."}};
//   users.check("admin", "secret")   // password_check::ok
//   auto from_file = za::load_password_file("/etc/app/passwords");
//
// The file format (CZMQ's zauth and pyzmq's users read the same lines):
//
//   # comment                 a line whose first non-blank character is '#'
//   admin=secret              user name, '=', password: split at the FIRST '=', so passwords
//   ops=a=b#c                 may hold '=' and '#'; the password is taken verbatim to the end of
//   svc=$argon2id$v=19$...    the line (a trailing "\r" is dropped), spaces included
//                             a password starting with "$argon2id$" or "$argon2i$" is a hash made
//                             by crypto_pwhash_str (libsodium) or the argon2 command line tool
//
// Blank lines are skipped. Every other line must hold a valid entry: a line without '=', an empty
// user name, a user name with leading or trailing blanks or control characters, a user name or
// password longer than 255 bytes (PLAIN cannot send them), a malformed hash or a user listed
// twice makes the whole file fail with a password_file_error naming the file and the line; no
// partial table is ever produced. The same rules apply to tables built from a map or a list.
//
// Checking: a plain-text password is kept as its BLAKE2b digest under a random key of the table
// (crypto_generichash), and a check compares digests of equal size with sodium_memcmp, so neither
// the stored password's content nor its length shows in the time a check takes. An unknown user
// costs the same digest and comparison. Hashes are verified with crypto_pwhash_str_verify, which
// is slow on purpose (tens of milliseconds at libsodium's interactive limits).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <zmqsec/error.hpp>

namespace zmqsec::auth {

namespace detail {
class password_data;
}

/// What a table keeps of one user's entry to tell whether it changed (password_table::stamp).
using password_stamp = std::array<unsigned char, 16>;

/// The outcome of a password check.
enum class password_check : std::uint8_t { ok, unknown_user, wrong_password };

/// "ok", "unknown user", "wrong password".
std::string_view to_string(password_check result) noexcept;

/// Largest password file load_password_file reads.
inline constexpr std::size_t max_password_file_size = 64 * 1024 * 1024;

/// A bad password file or table entry. path() is empty for tables built in memory, line() is 0
/// when the problem is not on one line (a file that cannot be read: then the code is the errno).
/// The message never contains a password or hash.
class password_file_error : public zmqsec::error {
 public:
  password_file_error(std::error_code code, std::filesystem::path path, std::size_t line,
                      const std::string& reason);
  const std::filesystem::path& path() const noexcept { return path_; }
  std::size_t line() const noexcept { return line_; }

 private:
  std::filesystem::path path_;
  std::size_t line_;
};

/// An immutable table of PLAIN users. A value: copies share the table. Thread-safe.
class password_table {
 public:
  using entry = std::pair<std::string_view, std::string_view>;  ///< user name, password or hash

  /// An empty table: every user is unknown.
  password_table();

  /// From user/password pairs, e.g. {{"admin", "secret"}}. Throws password_file_error (with an
  /// empty path and the 1-based position as line) for an entry the file format would refuse.
  password_table(std::initializer_list<entry> users);
  explicit password_table(std::span<const entry> users);

  /// From any range of pairs of strings: std::map<std::string, std::string>, a vector of pairs...
  template <std::ranges::input_range R>
  requires(!std::same_as<std::remove_cvref_t<R>, password_table> &&
           std::convertible_to<decltype(std::get<0>(*std::ranges::begin(std::declval<R&>()))),
                               std::string_view> &&
           std::convertible_to<decltype(std::get<1>(*std::ranges::begin(std::declval<R&>()))),
                               std::string_view>)
      password_table(const R& users)  // NOLINT(google-explicit-constructor): map -> table
      : password_table(std::span<const entry>(to_entries(users))) {}

  /// Parses the text of a password file; source names it in errors. Throws password_file_error.
  static password_table parse(std::string_view text, const std::filesystem::path& source = {});

  /// Checks a PLAIN user name and password. Never throws; a user name or password longer than
  /// 255 bytes is unknown / wrong.
  password_check check(std::string_view user, std::string_view password) const noexcept;

  bool contains(std::string_view user) const noexcept;
  /// A stamp of user's entry as written (the password or hash text): equal for equal entries in
  /// any two tables of this process, different when the entry changes; empty for an unknown
  /// user. A keyed digest (BLAKE2b under a random key of the process): it tells nothing about the
  /// password. session_guard compares it to tell which PLAIN sessions a new table revokes.
  std::optional<password_stamp> stamp(std::string_view user) const noexcept;
  std::size_t size() const noexcept;
  bool empty() const noexcept { return size() == 0; }

 private:
  template <class R>
  static std::vector<entry> to_entries(const R& users) {
    std::vector<entry> out;
    for (const auto& pair : users) {
      out.emplace_back(std::string_view(std::get<0>(pair)), std::string_view(std::get<1>(pair)));
    }
    return out;
  }

  std::shared_ptr<const detail::password_data> data_;  // never null
};

/// Reads and parses a password file (at most max_password_file_size bytes; the text is read into
/// wiped memory). Throws password_file_error: for a file that cannot be read (the code is the
/// errno, line() is 0) or that holds a bad line. A caller that follows the file keeps its last
/// good table when this throws.
password_table load_password_file(const std::filesystem::path& path);

}  // namespace zmqsec::auth
