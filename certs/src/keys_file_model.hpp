// What a cert_store of an authorized-keys file knows of its file: the table it publishes, the
// skipped lines, and, per line, a hash of its text and the first 8 bytes of its key. That much
// (16 bytes a line) lets a change be applied in proportion to what changed: the file is read
// and hashed line by line and compared with the lines loaded from the start forwards and from
// the end backwards (keys_file_scan: each byte read once, both ends at once for a large file),
// and only the lines in between are parsed, their keys removed and added in the shards they
// belong to. A change too large for that, or one that touches a key given on several lines, is
// a full load. Not thread-safe: the store serialises calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/detail/unique_fd.hpp>

#include "keys_file_table.hpp"

namespace zmqsec::certs::detail {

class line_reader;

class keys_file_model {
 public:
  /// hold_file: see close_replaced_file().
  explicit keys_file_model(std::filesystem::path file, bool hold_file = false);

  /// Reads the whole file and builds the table afresh. Throws zmqsec::error (errno) if the file
  /// cannot be read; the state loaded before stays then.
  /// With pause, calls it between pieces of the work (a few thousand lines or keys).
  void load_all(const std::function<void()>& pause = {});

  /// Reads the file and applies what differs from the lines loaded (a full load when that is
  /// cheaper or needed). Returns whether anything changed. Throws like load_all().
  /// When the change is too large to apply in place (or the file has a key on several lines),
  /// the file is read whole again: by load_in_full if given (the store paces it), else by
  /// load_all().
  bool update(const std::function<void()>& load_in_full = {});

  const std::shared_ptr<const keys_file_table>& table() const noexcept { return table_; }
  /// Lines of the file as last read.
  std::size_t line_count() const noexcept { return lines_.size(); }
  /// The skipped lines, by line number.
  std::vector<file_problem> problems() const;
  const std::filesystem::path& file() const noexcept { return file_; }
  /// Whether the last update() that changed something did it without a full load.
  bool last_update_incremental() const noexcept { return incremental_; }

  /// With hold_file, the file as last read stays open until the next load_all() or update(),
  /// and the one before until this call. The last close of a large file replaced by rename
  /// frees its pages and blocks (some 15 ms for 40 MB): held, that happens here, once the
  /// change is published, rather than inside the writer's rename() before it is even applied.
  void close_replaced_file() noexcept { replaced_.reset(); }

  struct line_record {
    std::uint64_t hash;    // line_hash, bit 0 replaced: 1 if the line put its key in the table
    std::uint64_t prefix;  // the key's first 8 bytes (key lines)
  };
  struct problem {
    std::size_t line;  // 1-based
    std::string reason;
  };
  struct batch;  // lines just parsed

 private:
  struct window;  // where the file differs from lines_
  bool apply(const window& w, batch& b);
  void commit_window(const window& w, batch& b);
  void hold(line_reader& reader) noexcept;

  std::filesystem::path file_;
  std::string name_;
  big_vector<line_record> lines_;
  std::vector<problem> problems_;  // sorted by line
  std::size_t duplicates_ = 0;
  std::size_t key_lines_ = 0;
  std::shared_ptr<const keys_file_table> table_;
  bool incremental_ = false;
  bool hold_file_;
  zmqsec::detail::unique_fd read_;      // with hold_file_: the file as last read
  zmqsec::detail::unique_fd replaced_;  // and the one before, until close_replaced_file()
};

}  // namespace zmqsec::certs::detail
