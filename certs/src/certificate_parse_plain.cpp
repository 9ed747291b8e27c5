// The fast reader of plain public certificates (see certificate_parse.hpp). It accepts a strict
// subset of what the ZPL reader accepts and gives up on the first line outside it, so that every
// subtle case (and every error message) stays the general reader's.
#include <zmqsec/certs/zpl.hpp>

#include "certificate_parse.hpp"

namespace zmqsec::certs::detail {
namespace {

enum class section { none, metadata, curve };

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

// The value of `= value` as the ZPL reader gives it, for the forms whose reading is plain:
// "quoted" or 'quoted' up to the end of the line, or bare without '#' or surrounding blanks.
bool plain_value(std::string_view text, std::string_view& value) noexcept {
  if (text.empty() || is_blank(text.front()) || is_blank(text.back())) return false;
  const char quote = text.front();
  if (quote == '"' || quote == '\'') {
    if (text.size() < 2 || text.back() != quote) return false;
    value = text.substr(1, text.size() - 2);
    return value.find(quote) == std::string_view::npos;
  }
  value = text;
  return text.find('#') == std::string_view::npos;
}

// `    name = value`: one level down, one space on either side of '='.
bool plain_entry(std::string_view line, std::string_view& name, std::string_view& value) noexcept {
  if (!line.starts_with("    ")) return false;
  line.remove_prefix(4);
  const auto space = line.find(' ');
  if (space == std::string_view::npos) return false;
  name = line.substr(0, space);
  line.remove_prefix(space);
  if (!is_valid_zpl_name(name) || !line.starts_with(" = ")) return false;
  return plain_value(line.substr(3), value);
}

// One line of the plain layout; false if it is not one.
bool plain_line(std::string_view line, section& in, std::string_view& key_text, bool& has_key,
                metadata& meta) {
  if (line.empty() || line.front() == '#') return true;
  if (line == "metadata" || line == "curve") {
    in = line == "curve" ? section::curve : section::metadata;
    return true;
  }
  std::string_view name;
  std::string_view value;
  if (in == section::none || !plain_entry(line, name, value)) return false;
  if (in == section::metadata) {
    meta.emplace_back(name, value);
    return true;
  }
  if (name != "public-key" || has_key) return false;
  has_key = true;
  key_text = value;
  return true;
}

}  // namespace

bool parse_plain_public_certificate(std::string_view text, certificate& out) {
  if (text.find('\r') != std::string_view::npos) return false;
  section in = section::none;
  std::string_view key_text;
  bool has_key = false;
  out.metadata.clear();
  out.secret_key.reset();
  while (!text.empty()) {
    const auto end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!plain_line(line, in, key_text, has_key, out.metadata)) return false;
  }
  if (!has_key || key_text.size() != z85_key_size) return false;
  try {
    out.public_key = public_key::from_z85(key_text);
  } catch (const zmqsec::error&) {
    return false;  // the general reader says why
  }
  return true;
}

}  // namespace zmqsec::certs::detail
