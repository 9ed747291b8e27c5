#include "keys_file_lines.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <utility>

#include <zmqsec/certs/z85.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::certs::detail {
namespace {

constexpr std::size_t buffer_size = 1024 * 1024;

bool is_space(char c) noexcept {
  return c == ' ' || c == '\t';
}

// ZPL's name characters (ZMTP 3's property names, plus "$", "@", "&" and "/"), so that every
// certificate's metadata can be written as a line: 1 to 255 of them.
bool is_name_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '+' || c == '$' || c == '@' || c == '&' || c == '/';
}

bool is_control(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

using pair_list = std::vector<std::pair<std::string_view, std::string>>;

// One name=value at line[i]; advances i past it. False (reason set) for a malformed pair.
bool parse_pair(std::string_view line, std::size_t& i, pair_list& pairs, std::string& reason) {
  const std::size_t name_begin = i;
  while (i < line.size() && is_name_char(line[i])) ++i;
  const std::string_view name = line.substr(name_begin, i - name_begin);
  if (name.empty() || name.size() > 255 || i == line.size() || line[i] != '=') {
    reason = "expected name=value after the key (names: 1 to 255 of A-Z a-z 0-9 $ - _ @ . & + /)";
    return false;
  }
  ++i;
  std::string value;
  if (i < line.size() && line[i] == '"') {
    for (++i;; ++i) {
      if (i == line.size()) {
        reason = "unterminated quoted value of " + std::string(name);
        return false;
      }
      char c = line[i];
      if (c == '"') break;
      if (c == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\'))
        c = line[++i];
      if (is_control(c)) {
        reason = "control character in the value of " + std::string(name);
        return false;
      }
      value.push_back(c);
    }
    ++i;
    if (i < line.size() && !is_space(line[i])) {
      reason = "expected a space after the quoted value of " + std::string(name);
      return false;
    }
  } else {
    for (; i < line.size() && !is_space(line[i]); ++i) {
      if (is_control(line[i]) || line[i] == '"') {
        reason = "bad character in the value of " + std::string(name) + " (quote it)";
        return false;
      }
      value.push_back(line[i]);
    }
  }
  pairs.emplace_back(name, std::move(value));
  return true;
}

void encode(const pair_list& pairs, big_vector<char>& meta) {
  put_varint(meta, pairs.size());
  for (const auto& [name, value] : pairs) {
    put_varint(meta, name.size());
    meta.insert(meta.end(), name.begin(), name.end());
    put_varint(meta, value.size());
    meta.insert(meta.end(), value.begin(), value.end());
  }
}

zmqsec::error errno_error(int code, const std::filesystem::path& path, const char* what) {
  return zmqsec::error(std::error_code(code, std::generic_category()),
                       path.string() + ": " + what + ": " + std::strerror(code));
}

}  // namespace

line_kind parse_key_line(std::string_view line, public_key& key, big_vector<char>& meta,
                         std::string& reason) {
  meta.clear();
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  std::size_t i = 0;
  while (i < line.size() && is_space(line[i])) ++i;
  if (i == line.size() || line[i] == '#') return line_kind::none;
  std::size_t end = i;
  while (end < line.size() && !is_space(line[end])) ++end;
  const std::string_view text = line.substr(i, end - i);
  unsigned char raw[key_size];
  if (text.size() != z85_key_size) {
    reason = "expected a key of 40 Z85 characters first, found " + std::to_string(text.size()) +
             " characters";
    return line_kind::bad;
  }
  if (const z85_result result = z85_decode_to(text, raw); !result) {
    reason = "bad key: " + describe(result);
    return line_kind::bad;
  }
  key = public_key(std::span<const unsigned char, key_size>(raw));
  pair_list pairs;  // allocates only for a line with metadata
  for (i = end;;) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    if (!parse_pair(line, i, pairs, reason)) return line_kind::bad;
  }
  if (!pairs.empty()) encode(pairs, meta);
  return line_kind::key;
}

std::uint64_t line_hash(std::string_view line) noexcept {
  static const std::uint64_t seed = process_seed();  // read once here, not once a line
  return line_hash(line, seed);
}

line_reader::line_reader(const std::filesystem::path& file) : path_(file) {
  fd_.reset(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd_.get() < 0) throw errno_error(errno, path_, "cannot open");
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw errno_error(errno, path_, "cannot stat");
  if (!S_ISREG(st.st_mode)) {
    throw zmqsec::error(errc::invalid_argument, path_.string() + ": not a regular file");
  }
  size_at_open_ = static_cast<std::uint64_t>(st.st_size);
  mtime_ns_at_open_ = st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
  buffer_.resize(buffer_size);
}

bool line_reader::changed_since_open() const {
  struct stat st {};
  if (::fstat(fd_.get(), &st) != 0) throw errno_error(errno, path_, "cannot stat");
  return static_cast<std::uint64_t>(st.st_size) != size_at_open_ ||
         st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec != mtime_ns_at_open_;
}

bool line_reader::fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    buffer_offset_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  for (;;) {
    const ssize_t got = ::read(fd_.get(), buffer_.data() + end_, buffer_.size() - end_);
    if (got > 0) {
      end_ += static_cast<std::size_t>(got);
      return true;
    }
    if (got == 0) {
      eof_ = true;
      return false;
    }
    if (errno != EINTR) throw errno_error(errno, path_, "cannot read");
  }
}

bool line_reader::next(std::string_view& line, std::uint64_t& offset, bool& too_long) {
  too_long = false;
  bool skipping = std::exchange(skip_rest_, false);  // the rest of a line returned cut short
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    if (newline != nullptr) {
      const auto size = static_cast<std::size_t>(newline - start);
      line = std::string_view(start, std::min(size, max_line_size));
      too_long = size >= max_line_size;
      offset = buffer_offset_ + begin_;
      begin_ += size + 1;
      if (!skipping) return true;
      too_long = false;
      skipping = false;
      continue;
    }
    if (skipping) {
      begin_ = end_;
    } else if (end_ - begin_ >= max_line_size) {
      line = std::string_view(start, max_line_size);
      offset = buffer_offset_ + begin_;
      too_long = true;
      skip_rest_ = true;
      return true;
    }
    if (eof_ || !fill()) {
      if (skipping || begin_ == end_) {
        begin_ = end_;
        return false;
      }
      line = std::string_view(buffer_.data() + begin_, end_ - begin_);
      offset = buffer_offset_ + begin_;
      begin_ = end_;
      return true;
    }
  }
}

void line_reader::rewind_to(std::uint64_t offset) {
  if (::lseek(fd_.get(), static_cast<off_t>(offset), SEEK_SET) < 0) {
    throw errno_error(errno, path_, "cannot seek");
  }
  buffer_offset_ = offset;
  begin_ = 0;
  end_ = 0;
  eof_ = false;
  skip_rest_ = false;
}

std::string line_reader::read_at(std::uint64_t offset, std::size_t size) const {
  std::string out(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    const ssize_t got =
        ::pread(fd_.get(), out.data() + done, size - done, static_cast<off_t>(offset + done));
    if (got > 0) {
      done += static_cast<std::size_t>(got);
    } else if (got == 0) {
      out.resize(done);  // the file was cut short since: the next change event covers it
      break;
    } else if (errno != EINTR) {
      throw errno_error(errno, path_, "cannot read");
    }
  }
  return out;
}

}  // namespace zmqsec::certs::detail
