// Where a followed authorized-keys file differs from the lines loaded from it: the lines equal
// from the start, and from the end backwards the lines equal after those. keys_file_model then
// parses only the lines in between.
//
//   const changed_window w = find_changed_window(fd, size, lines, path);
//   // lines [w.begin, w.old_end) were replaced by the file's bytes [w.begin_offset, w.end_offset)
//
// Every line is hashed (line_hash) and compared with the record loaded for it, so a change of a
// file of a million lines costs a pass over its 40 MB: the kernel's copy into a buffer, the
// search for newlines and the hash. A large file is compared from both ends at once, the end on
// a second thread (a core::worker), each side claiming the next piece of the file (128 KiB) from
// a shared meeting point, so that each byte is read once (but for the line cut by the end of a
// piece, read again with the next one, and the rest of a line of 64 KiB or more) and the side that
// finds a difference first lets the other run on to it. Nothing is kept per line: a change must not
// allocate, and fault in, arrays of a million. The file is not mapped (mmap): a file cut short by a
// writer while mapped would raise SIGBUS in the reader; read() and pread() just return less.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>

#include "keys_file_model.hpp"

namespace zmqsec::certs::detail {

struct changed_window {
  std::size_t begin = 0;           // the first line that differs
  std::size_t old_end = 0;         // end of the differing lines among those loaded
  std::uint64_t begin_offset = 0;  // the differing lines of the file: bytes [begin_offset,
  std::uint64_t end_offset = 0;    // end_offset), whole lines (none if equal)

  /// Whether the file has just the lines loaded.
  bool unchanged() const noexcept { return begin == old_end && begin_offset == end_offset; }
};

/// From this many bytes on, the end of the file is compared on a second thread: below that,
/// starting one costs more than it saves.
inline constexpr std::uint64_t two_sided_scan_from = 1 << 20;

/// Compares the file open as fd (size bytes when opened) with the lines loaded from it. Throws
/// zmqsec::error (errno, naming path) if it cannot be read. A file cut short meanwhile yields a
/// window that ends early: the caller tells that from the file's size and time.
changed_window find_changed_window(int fd, std::uint64_t size,
                                   std::span<const keys_file_model::line_record> lines,
                                   const std::filesystem::path& path);

}  // namespace zmqsec::certs::detail
