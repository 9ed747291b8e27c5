// Password files of arbitrary text: parsing never crashes and fails only with
// password_file_error (naming a line within the text); a table that parses accepts, for every
// entry line, exactly the password written there, and its errors never quote a password.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <zmqsec/auth/passwords.hpp>

namespace za = zmqsec::auth;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 0;
  for (char c : text) lines += c == '\n';
  za::password_table table;
  try {
    table = za::password_table::parse(text, "fuzz");
  } catch (const za::password_file_error& e) {
    if (e.line() == 0 || e.line() > lines + 1) std::abort();
    return 0;
  }
  // Walk the lines the way the format describes them and check each entry.
  std::string_view rest = text;
  std::size_t entries = 0;
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    const std::size_t equals = line.find('=');
    if (equals == std::string_view::npos) std::abort();  // should not have parsed
    ++entries;
    const std::string_view user = line.substr(0, equals);
    const std::string_view password = line.substr(equals + 1);
    if (!table.contains(user)) std::abort();
    if (password.starts_with("$argon2")) continue;  // verifying costs too much time here
    if (table.check(user, password) != za::password_check::ok) std::abort();
    const std::string other = std::string(password) + "x";
    if (other.size() <= 255 && table.check(user, other) != za::password_check::wrong_password) {
      std::abort();
    }
  }
  if (entries != table.size()) std::abort();
  return 0;
}
