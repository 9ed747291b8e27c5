// The table behind the snapshots of an authorized-keys file (cert_store::from_authorized_keys),
// laid out for millions of keys: a fixed number of shards, each an immutable dense array of
// 36-byte entries (the key and where its metadata starts) with an open-addressing index of
// 4-byte slots and a metadata arena of its own. A change to a few lines copies only the shards
// they touch; the snapshots before and after share the rest. Per key that is 36 (entry) + 5 to
// 10 (index) bytes, plus the bytes of its metadata when the line has any.
//
// A key's shard comes from its first 8 bytes (seeded), so that the follower, which remembers
// only those 8 bytes of each line, can find the entry of a line that has gone.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cert_store_table.hpp"
#include "key_table.hpp"

namespace zmqsec::certs::detail {

struct key_entry {
  public_key key;
  std::uint32_t meta;  // offset in the shard's arena; 0 reads as no metadata
};

/// One shard: built by add() calls, then shared immutably.
class key_shard {
 public:
  /// Room for up to capacity keys (at most max_size).
  explicit key_shard(std::size_t capacity);
  static constexpr std::size_t max_size = (1u << 20) - 2;

  /// Adds key with its encoded metadata (empty: none) and returns no_entry, or, if the key is
  /// there already, returns its index and adds nothing. Throws past capacity.
  std::uint32_t add(const public_key& key, std::string_view meta);

  /// The index of key's entry, or key_table::no_entry.
  std::uint32_t find(const unsigned char* key) const noexcept;

  std::size_t size() const noexcept { return entries_.size(); }
  const key_entry& at(std::size_t index) const noexcept { return entries_[index]; }
  /// The encoded metadata of an entry (as add() took it).
  std::string_view meta_of(std::size_t index) const noexcept;
  void visit_meta(std::size_t index, key_table::meta_visitor visitor, void* context) const;

 private:
  big_vector<key_entry> entries_;
  big_vector<std::uint32_t> slots_;  // (tag << 20) | (entry index + 1); 0 is empty
  std::uint32_t mask_ = 0;
  big_vector<char> meta_;  // meta_[0] == 0: offset 0 is "no metadata"
};

class keys_file_table final : public key_table {
 public:
  static constexpr std::size_t shard_count = 256;
  using shard_array = std::array<std::shared_ptr<const key_shard>, shard_count>;

  /// key_lines: lines that hold a key (duplicates included); name: the file, as cert_view
  /// reports it.
  keys_file_table(shard_array shards, std::string name, std::size_t key_lines);

  /// The shard of a key whose first 8 bytes are prefix.
  static std::size_t shard_of(std::uint64_t prefix) noexcept;
  static std::uint64_t prefix_of(const unsigned char* key) noexcept;
  /// A shared shard with no keys.
  static std::shared_ptr<const key_shard> empty_shard();

  const shard_array& shards() const noexcept { return shards_; }
  const std::string& name() const noexcept { return name_; }

  std::size_t size() const noexcept override { return ends_.back(); }
  std::size_t file_count() const noexcept override { return key_lines_; }
  std::uint32_t find_id(const unsigned char* key) const noexcept override;
  std::uint32_t id_at(std::size_t index) const noexcept override;
  const public_key& key_of(std::uint32_t id) const noexcept override;
  void visit_meta(std::uint32_t id, meta_visitor visitor, void* context) const override;
  std::string_view source_name(std::uint32_t) const noexcept override { return name_; }

 private:
  shard_array shards_;
  std::array<std::size_t, shard_count> ends_{};  // keys in shards 0..i, for id_at()
  std::string name_;
  std::size_t key_lines_;
};

}  // namespace zmqsec::certs::detail
