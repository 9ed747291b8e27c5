// What a cert_store source has read so far: the table of loaded files, the files skipped and the
// duplicates. Shared by the folder and the in-memory sources; the next table is built from it
// and a change_set, and a snapshot is published from it.
//
// A folder's changes between full reads are kept as pending changes laid over the last full
// table (layered_table), so that one file changed in a folder of a million costs in proportion
// to the changes pending, not to the folder. Past max_pending of them the source merges them
// into a full table again (merge()), after it has published the change; a batch of more than
// four times that, or duplicate keys involved, is built in full at once.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/certs/certificate.hpp>

#include "cert_store_table.hpp"
#include "key_table.hpp"

namespace zmqsec::certs::detail {

class cert_model {
 public:
  using bad_list = std::vector<std::pair<std::string, std::string>>;  // file name, reason

  /// in_memory: names are keys, never shown as file names (see cert_table::build).
  explicit cert_model(bool in_memory) noexcept : in_memory_(in_memory) {}

  /// Merges changes (finished) into the model; full means they describe every file.
  void apply(const change_set& changes, bool full);

  /// Applies changes to some files (finishing them) if they change anything; returns whether
  /// they did, that is whether there is something new to publish.
  bool apply_incremental(change_set& changes);

  /// Whether the table, skipped files and duplicates equal other's (a full read that found
  /// what was there already).
  bool same_as(const cert_model& other) const;

  /// The problems of a snapshot: folder_problem first (naming dir) if there is one, then the
  /// skipped files and the duplicates, sorted by name.
  std::vector<file_problem> problems(const std::filesystem::path& dir,
                                     const std::string& folder_problem) const;

  /// The full table (in-memory stores only: a folder's may be layered, see published()).
  const std::shared_ptr<const cert_table>& table() const noexcept { return table_; }
  /// What a snapshot reads: the full table, or the pending changes laid over it.
  std::shared_ptr<const key_table> published() const noexcept {
    if (layered_) return layered_;
    return table_;
  }
  std::size_t size() const noexcept;
  bool has_file(std::string_view name) const noexcept;

  /// Pending changes (files) past which merge_due() says to build the table in full again.
  static std::size_t max_pending(std::size_t files) noexcept;
  bool merge_due() const noexcept {
    return table_ && pending_.items().size() > max_pending(table_->file_count());
  }
  /// Builds the full table of what is loaded (the same content: nothing new to publish).
  void merge();

 private:
  // What the table says of a file now: its key and encoded metadata, or false if it has none.
  bool file_in_table(std::string_view name, public_key& key, std::string_view& meta) const;
  bool changes_anything(const change_set& changes) const;
  bool is_bad(std::string_view name, const std::string** reason) const;
  void merge_bad(const change_set& changes, bool full);
  bool apply_layered(const change_set& changes);
  // The full table of what is loaded, pending changes included.
  std::shared_ptr<const cert_table> flat_table() const;

  bool in_memory_;
  std::shared_ptr<const cert_table> table_;   // the last full build
  change_set pending_;                        // since table_ (finished; folders only)
  std::shared_ptr<const key_table> layered_;  // pending_ over table_; null when none
  bad_list bad_;                              // files skipped, sorted by name
  bad_list duplicates_;                       // files whose key an earlier file has, sorted by name
};

}  // namespace zmqsec::certs::detail
