// Authorized-keys files of arbitrary text: every line parses to exactly one of nothing (blank or
// a comment), a bad line with a reason, or a key whose metadata decodes in full and writes back
// (authorized_key_line) to a line that parses to the same key and metadata. The whole text read
// as a file (read_authorized_keys) reports every bad line by a number within the file and keeps
// the keys in file order.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <zmqsec/certs/authorized_keys.hpp>
#include <zmqsec/certs/z85.hpp>

#include "keys_file_lines.hpp"

namespace zc = zmqsec::certs;
namespace zd = zmqsec::certs::detail;

namespace {

// The encoded metadata as name/value pairs; aborts unless it decodes to exactly its own size.
zc::metadata decode(const zd::big_vector<char>& encoded) {
  zc::metadata out;
  if (encoded.empty()) return out;
  const char* p = encoded.data();
  const char* const end = p + encoded.size();
  for (std::uint64_t n = zd::get_varint(p); n > 0; --n) {
    const auto name_size = zd::get_varint(p);
    if (name_size == 0 || name_size > 255 || p + name_size > end) std::abort();
    std::string name(p, name_size);
    p += name_size;
    const auto value_size = zd::get_varint(p);
    if (p + value_size > end) std::abort();
    std::string value(p, value_size);
    p += value_size;
    out.emplace_back(std::move(name), std::move(value));
  }
  if (p != end || out.empty()) std::abort();  // no metadata is encoded as nothing at all
  return out;
}

bool blank_or_comment(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const std::size_t first = line.find_first_not_of(" \t");
  return first == std::string_view::npos || line[first] == '#';
}

void check_line(std::string_view line) {
  zc::public_key key;
  zd::big_vector<char> meta;
  std::string reason;
  const auto kind = zd::parse_key_line(line, key, meta, reason);
  if ((kind == zd::line_kind::none) != blank_or_comment(line)) std::abort();
  if (kind == zd::line_kind::bad && reason.empty()) std::abort();
  if (kind != zd::line_kind::key) return;
  const auto pairs = decode(meta);
  const std::string written = zc::authorized_key_line(key, pairs);
  zc::public_key again;
  zd::big_vector<char> meta_again;
  if (zd::parse_key_line(written, again, meta_again, reason) != zd::line_kind::key) std::abort();
  if (again != key || meta_again != meta) std::abort();
  if (zd::line_hash(line) != zd::line_hash(line)) std::abort();
}

// The text as a file (a memfd, read through its /proc path), as the store would read it.
void check_file(std::string_view text, std::size_t lines) {
  const int fd = ::memfd_create("authorized_keys", MFD_CLOEXEC);
  if (fd < 0) return;  // no memfd here: the lines were checked one by one already
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) std::abort();
  const auto contents = zc::read_authorized_keys("/proc/self/fd/" + std::to_string(fd));
  ::close(fd);
  std::size_t previous = 0;
  for (const auto& k : contents.keys) {
    if (k.line <= previous || k.line > lines) std::abort();
    previous = k.line;
  }
  for (const auto& p : contents.problems) {
    if (p.line == 0 || p.line > lines || p.reason.empty()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 0;
  for (std::string_view rest = text; !rest.empty(); ++lines) {
    const std::size_t end = rest.find('\n');
    check_line(rest.substr(0, end));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
  }
  check_file(text, lines);
  return 0;
}
