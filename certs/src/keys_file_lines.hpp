// The lines of an authorized-keys file: parsing one (the key and its metadata, encoded as the
// stores' arenas hold it), hashing one (how the follower tells which lines changed), and
// reading a file line by line through a fixed buffer, so that a file of a million keys never
// sits in memory whole (keys_file_scan compares a file with the lines loaded from it).
#pragma once

#include <cstddef>
#include <cstdint>
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
/// the seed (random per process) keeps a file's author from choosing lines that collide.
std::uint64_t line_hash(std::string_view line) noexcept;

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
