// The lines of an authorized-keys file: parsing one (the key and its metadata, encoded as the
// stores' arenas hold it), hashing one (how the follower tells which lines changed), and
// reading a file line by line through a fixed buffer, so that a file of a million keys never
// sits in memory whole (keys_file_scan compares a file with the lines loaded from it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/certs/keys.hpp>
#include <zmqsec/detail/unique_fd.hpp>

#include "cert_store_table.hpp"

namespace zmqsec::certs::detail {

enum class line_kind : std::uint8_t { none, key, bad };  // none: blank or a comment

/// Parses one line (without its newline; a trailing '\r' is ignored). For a key, meta receives
/// its encoded metadata (empty when the line has none); for a bad line, reason says why.
line_kind parse_key_line(std::string_view line, public_key& key, big_vector<char>& meta,
                         std::string& reason);

/// A seeded 64-bit hash of a line's bytes. Not cryptographic: it tells which lines changed, and
/// the seed (random per process: process_seed()) keeps a file's author from choosing lines that
/// collide.
std::uint64_t line_hash(std::string_view line) noexcept;

namespace line_hash_parts {

inline std::uint64_t load_word(const char* p) noexcept {
  std::uint64_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

inline std::uint32_t load_half(const char* p) noexcept {
  std::uint32_t w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

__extension__ using uint128 = unsigned __int128;  // GCC's and Clang's, on 64-bit targets

// 16 bytes of a line mixed with a key: the two halves of their 128-bit product folded.
inline std::uint64_t mix_block(std::uint64_t low, std::uint64_t high, std::uint64_t key) noexcept {
  const uint128 product = static_cast<uint128>(low ^ key) *
                          (high ^ (key * 0xFF51AFD7ED558CCDULL + 0x2545F4914F6CDD1DULL));
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
}

}  // namespace line_hash_parts

/// line_hash() with the seed given (process_seed()): inline, for the loops that hash a million
/// lines (a call a line, and the read of the seed's guard, cost as much as a third of the hash).
inline std::uint64_t line_hash(std::string_view line, std::uint64_t seed) noexcept {
  using namespace line_hash_parts;
  // A million lines are hashed on every change of the file, so the 16-byte blocks of a line are
  // mixed independently of each other (one 64x64->128-bit multiplication each, with keys drawn
  // from the seed and the block's place) and summed, as XXH3 does for short inputs: the
  // multiplications overlap instead of waiting on one another. The last 1 to 16 bytes are read
  // as words that may overlap the block before (the length is mixed in).
  constexpr std::uint64_t k1 = 0x9E3779B97F4A7C15ULL;
  constexpr std::uint64_t k2 = 0xC2B2AE3D27D4EB4FULL;
  const char* p = line.data();
  const std::size_t size = line.size();
  std::uint64_t sum = seed ^ (size * k1);
  std::uint64_t key = seed;
  std::size_t n = size;
  for (; n > 16; p += 16, n -= 16, key += k2) sum += mix_block(load_word(p), load_word(p + 8), key);
  std::uint64_t low = 0;
  std::uint64_t high = 0;
  if (size >= 16) {
    low = load_word(p + n - 16);
    high = load_word(p + n - 8);
  } else if (n >= 8) {
    low = load_word(p);
    high = load_word(p + n - 8);
  } else if (n >= 4) {
    low = load_half(p);
    high = load_half(p + n - 4);
  } else if (n > 0) {
    low = static_cast<unsigned char>(p[0]) |
          (std::uint64_t{static_cast<unsigned char>(p[n / 2])} << 8) |
          (std::uint64_t{static_cast<unsigned char>(p[n - 1])} << 16);
  }
  std::uint64_t h = sum + mix_block(low, high, key);
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return h;
}

/// Lines of this size or longer are bad lines, seen as their first max_line_size bytes.
inline constexpr std::size_t max_line_size = 64 * 1024;

/// Reads a file's lines in order. Throws zmqsec::error (with the errno) if the file cannot be
/// opened or read, or is not a regular file.
class line_reader {
 public:
  explicit line_reader(const std::filesystem::path& file);

  /// The next line (without '\n') and the offset of its first byte; false at the end. A line
  /// of max_line_size bytes or more is returned cut to that, with too_long set.
  bool next(std::string_view& line, std::uint64_t& offset, bool& too_long);

  /// Goes back to the line that starts at offset (one next() returned), to read on from there.
  void rewind_to(std::uint64_t offset);

  /// Reads size bytes at offset (a part of the file already read through next()).
  std::string read_at(std::uint64_t offset, std::size_t size) const;

  /// The offset after the last line returned.
  std::uint64_t position() const noexcept { return buffer_offset_ + begin_; }

  /// The open file, for reads of its own (pread: the reader's position is left alone).
  int fd() const noexcept { return fd_.get(); }

  /// The open file, for the caller to keep (the reader cannot read on).
  zmqsec::detail::unique_fd take_file() noexcept { return std::move(fd_); }

  /// The file's size when it was opened.
  std::uint64_t size_at_open() const noexcept { return size_at_open_; }

  /// Whether the file's size or modification time differ from when it was opened: it was
  /// written while it was read. Throws like the constructor.
  bool changed_since_open() const;

 private:
  bool fill();

  std::filesystem::path path_;
  zmqsec::detail::unique_fd fd_;
  std::vector<char> buffer_;
  std::size_t begin_ = 0;            // first byte not yet returned
  std::size_t end_ = 0;              // bytes in buffer_
  std::uint64_t buffer_offset_ = 0;  // file offset of buffer_[0]
  bool eof_ = false;
  bool skip_rest_ = false;  // the line returned last was cut short: skip to its end
  std::uint64_t size_at_open_ = 0;
  std::int64_t mtime_ns_at_open_ = 0;
};

}  // namespace zmqsec::certs::detail
