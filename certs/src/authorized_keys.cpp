// Reading and writing authorized-keys files as values (zmq-cert, tests); the store reads them
// through keys_file_model instead, without keeping the lines.
#include <zmqsec/certs/authorized_keys.hpp>

#include <unordered_map>

#include <zmqsec/error.hpp>

#include "keys_file_lines.hpp"

namespace zmqsec::certs {
namespace {

metadata decode_metadata(const detail::big_vector<char>& encoded) {
  metadata out;
  if (encoded.empty()) return out;
  const char* p = encoded.data();
  for (std::uint64_t n = detail::get_varint(p); n > 0; --n) {
    const auto name_size = detail::get_varint(p);
    std::string name(p, name_size);
    p += name_size;
    const auto value_size = detail::get_varint(p);
    std::string value(p, value_size);
    p += value_size;
    out.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

bool needs_quotes(const std::string& value) noexcept {
  if (value.empty()) return true;
  for (const char c : value) {
    if (c == ' ' || c == '\t' || c == '"' || c == '\\') return true;
  }
  return false;
}

}  // namespace

authorized_keys_contents read_authorized_keys(const std::filesystem::path& file) {
  authorized_keys_contents out;
  detail::line_reader reader(file);
  std::unordered_map<public_key, std::size_t> first_line;
  std::string_view line;
  std::uint64_t offset = 0;
  bool too_long = false;
  public_key key;
  detail::big_vector<char> meta;
  std::string reason;
  for (std::size_t number = 1; reader.next(line, offset, too_long); ++number) {
    if (too_long) {
      out.problems.push_back({file, "line of 64 KiB or more", number});
      continue;
    }
    const auto kind = detail::parse_key_line(line, key, meta, reason);
    if (kind == detail::line_kind::bad) out.problems.push_back({file, reason, number});
    if (kind != detail::line_kind::key) continue;
    const auto [it, added] = first_line.emplace(key, number);
    if (!added) {
      out.problems.push_back(
          {file, "duplicate of line " + std::to_string(it->second) + ", whose metadata counts",
           number});
      continue;
    }
    out.keys.push_back({key, decode_metadata(meta), number});
  }
  return out;
}

std::string authorized_key_line(const public_key& key, const metadata& meta) {
  std::string line = key.z85();
  for (const auto& [name, value] : meta) {
    std::string pair = name + "=";
    if (needs_quotes(value)) {
      pair += '"';
      for (const char c : value) {
        if (c == '"' || c == '\\') pair += '\\';
        pair += c;
      }
      pair += '"';
    } else {
      pair += value;
    }
    line += ' ';
    line += pair;
  }
  // What is written must read back the same: parse it, and refuse what does not.
  public_key parsed;
  detail::big_vector<char> encoded;
  std::string reason;
  if (detail::parse_key_line(line, parsed, encoded, reason) != detail::line_kind::key) {
    throw zmqsec::error(errc::invalid_argument, "cannot write " + key.z85() + ": " + reason);
  }
  return line;
}

}  // namespace zmqsec::certs
