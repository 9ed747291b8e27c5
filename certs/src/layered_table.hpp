// The table of a followed folder between full builds: the last full cert_table (the base) with
// the files changed since laid over it (the top, a small cert_table of its own). One file added,
// changed or removed in a folder of a million then costs a table of the changed files and a
// list of the base entries they hide, not a copy of the million; cert_model merges the layers
// into a new base once the top has grown (see cert_model::max_pending). Lookups try the top
// (small, in cache) and then the base.
//
// Layering holds only while every key has one file: a base or top with duplicate keys, or a
// top key that a visible base file also has, is refused (layer() returns null), and cert_model
// builds a full table instead, which sorts duplicates out by file name.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "cert_store_table.hpp"
#include "key_table.hpp"

namespace zmqsec::certs::detail {

class layered_table final : public key_table {
 public:
  /// base with pending (finished: changes to files since base was built) laid over it, or null
  /// when the two cannot be layered (see the top).
  static std::shared_ptr<const layered_table> layer(std::shared_ptr<const cert_table> base,
                                                    const change_set& pending);

  std::size_t size() const noexcept override {
    return base_->size() - hidden_.size() + top_->size();
  }
  std::size_t file_count() const noexcept override { return size(); }
  std::uint32_t find_id(const unsigned char* key) const noexcept override;
  std::uint32_t id_at(std::size_t index) const noexcept override;
  const public_key& key_of(std::uint32_t id) const noexcept override;
  void visit_meta(std::uint32_t id, meta_visitor visitor, void* context) const override;
  std::string_view source_name(std::uint32_t id) const noexcept override;

 private:
  layered_table() = default;
  bool hidden(std::uint32_t base_entry) const noexcept;
  // The index-th base entry that is not hidden.
  std::uint32_t visible_base_entry(std::size_t index) const noexcept;
  // Ids: base entries as they are, top entries from top_id on.
  const cert_table& table_of(std::uint32_t id) const noexcept {
    return id < top_id_ ? *base_ : *top_;
  }
  std::uint32_t entry_of(std::uint32_t id) const noexcept {
    return id < top_id_ ? id : id - top_id_;
  }

  std::shared_ptr<const cert_table> base_;
  std::shared_ptr<const cert_table> top_;
  std::vector<std::uint32_t> hidden_;  // base entries of changed files, sorted
  // For top entry j (in name order), where it goes in the listing: j + the visible base entries
  // whose names sort before it. Ascending.
  std::vector<std::size_t> top_positions_;
  std::uint32_t top_id_ = 0;  // base_->size()
};

}  // namespace zmqsec::certs::detail
