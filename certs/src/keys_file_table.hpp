// The table behind the snapshots of an authorized-keys file (cert_store::from_authorized_keys),
// laid out for millions of keys: a fixed number of shards, each immutable once built, with a
// metadata arena of its own. A change to a few lines copies only the shards they touch; the
// snapshots before and after share the rest.
//
// Within a shard the keys themselves are the hash table (open addressing over 32-byte slots,
// two to a 64-byte line, at most 80 % full), so that a lookup in a table far larger than the
// caches costs one miss, on the line where the key's probe starts, and nothing else; the
// metadata offsets sit in an array beside it that only a caller of meta reads. A full load takes
// all shards' arrays from one shard_arena (huge pages). Per key that is 1.25 x 36 (slots) + 4
// (insertion order, for listing) bytes, plus the bytes of its metadata when the line has any.
//
// A key's shard comes from its first 8 bytes (seeded), so that the follower, which remembers
// only those 8 bytes of each line, can find the entry of a line that has gone. Entries are named
// by their slot; the all-zero key (the empty slot's bytes) has a slot of its own past the others.
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

class shard_arena;

/// One shard: built by add() calls, then shared immutably.
class key_shard {
 public:
  /// Room for up to capacity keys (at most max_size), its arrays taken from arena or, when it is
  /// null, allocated alone.
  explicit key_shard(std::size_t capacity, shard_arena* arena = nullptr);
  static constexpr std::size_t max_size = (1u << 20) - 2;
  /// What a shard of capacity keys takes from an arena (a multiple of shard_arena::alignment).
  static std::size_t storage_bytes(std::size_t capacity) noexcept;

  key_shard(key_shard&&) noexcept = default;
  key_shard& operator=(key_shard&&) noexcept = default;
  key_shard(const key_shard&) = delete;  // would share the arrays
  key_shard& operator=(const key_shard&) = delete;

  /// Adds key with its encoded metadata (empty: none) and returns no_entry, or, if the key is
  /// there already, returns its slot and adds nothing. Throws past capacity.
  std::uint32_t add(const public_key& key, std::string_view meta);

  /// The slot of key, or key_table::no_entry. The hot path.
  std::uint32_t find(const unsigned char* key) const noexcept;

  std::size_t size() const noexcept { return order_.size(); }
  /// Slots, the zero key's included: every slot find() or add() returns is below.
  std::uint32_t slot_count() const noexcept { return slots_ + 1; }
  /// The slot of the n-th key added (0 <= n < size()).
  std::uint32_t slot_at(std::size_t n) const noexcept { return order_[n]; }
  const public_key& key_at(std::uint32_t slot) const noexcept { return keys_[slot]; }
  /// The encoded metadata of a slot's key (as add() took it).
  std::string_view meta_of(std::uint32_t slot) const noexcept;
  void visit_meta(std::uint32_t slot, key_table::meta_visitor visitor, void* context) const;

 private:
  // The slot of key when it is not there: its first free slot.
  std::uint32_t probe(const unsigned char* key, std::uint64_t hash) const noexcept;

  std::shared_ptr<std::byte> storage_;  // keys_ and metas_
  public_key* keys_ = nullptr;          // slots_ + 1; all zero bytes is empty; the last: zero key
  std::uint32_t* metas_ = nullptr;      // per slot: offset in meta_; 0 reads as no metadata
  std::uint32_t slots_ = 0;             // an even number: two slots per line
  std::uint32_t capacity_ = 0;
  bool has_zero_key_ = false;
  big_vector<std::uint32_t> order_;  // slots in the order their keys were added
  big_vector<char> meta_;            // meta_[0] == 0: offset 0 is "no metadata"
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
