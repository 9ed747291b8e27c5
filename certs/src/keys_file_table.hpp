// The table behind the snapshots of an authorized-keys file (cert_store::from_authorized_keys),
// laid out for millions of keys: a fixed number of shards, each immutable once built, with a
// metadata arena of its own. A change to a few lines copies only the shards they touch; the
// snapshots before and after share the rest.
//
// Within a shard the keys sit in the slots of an open-addressing table, at most 7/8 full, in
// groups of 8 slots; each group has 8 one-byte fingerprints (7 bits of the key's hash; 0 is an
// empty slot), 1 byte per slot in an array of their own. A lookup reads the fingerprints of its
// key's group (1 MB at a million keys: they stay in the caches), then only the slot whose
// fingerprint matches: one access to the large array of keys, and its branches go the way they
// went last time (a wrong guess on every lookup would stop the processor from working on the
// next one while the key's line comes from memory). A key that is not there is mostly refused on
// the fingerprints alone. Metadata offsets sit in a per-slot array beside the keys that only a
// caller of meta reads. A full load takes all shards' arrays from one shard_arena (huge pages).
// Per key that is 8/7 x 37 bytes (key, metadata offset, fingerprint) + 4 (insertion order, for
// listing), plus the bytes of its metadata when the line has any.
//
// A key's shard comes from its first 8 bytes (seeded), so that the follower, which remembers
// only those 8 bytes of each line, can find the entry of a line that has gone. Entries are named
// by their slot.
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
  /// Slots: every slot find() or add() returns is below.
  std::uint32_t slot_count() const noexcept { return groups_ * group_size; }
  /// The slot of the n-th key added (0 <= n < size()).
  std::uint32_t slot_at(std::size_t n) const noexcept { return order_[n]; }
  const public_key& key_at(std::uint32_t slot) const noexcept { return keys_[slot]; }
  /// The encoded metadata of a slot's key (as add() took it).
  std::string_view meta_of(std::uint32_t slot) const noexcept;
  void visit_meta(std::uint32_t slot, key_table::meta_visitor visitor, void* context) const;

  static constexpr std::uint32_t group_size = 8;  // slots; their fingerprints are one word

 private:
  struct probe_result {
    std::uint32_t slot;  // key's, or else the first free slot of its probe sequence
    bool found;
    std::uint64_t fingerprint;
  };
  probe_result probe(const unsigned char* key) const noexcept;

  std::shared_ptr<std::byte> storage_;     // fingerprints_, keys_ and metas_
  std::uint64_t* fingerprints_ = nullptr;  // per group: byte i for slot i (in value, not address)
  public_key* keys_ = nullptr;
  std::uint32_t* metas_ = nullptr;  // per slot: offset in meta_; 0 reads as no metadata
  std::uint32_t groups_ = 0;
  std::uint32_t capacity_ = 0;
  std::uint64_t seed_ = 0;           // process_seed(), kept beside the arrays for the hot path
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
  static std::size_t shard_of(std::uint64_t prefix) noexcept {
    return shard_of(prefix, process_seed());
  }
  static std::size_t shard_of(std::uint64_t prefix, std::uint64_t seed) noexcept {
    std::uint64_t h = (prefix ^ seed) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ULL;
    return static_cast<std::size_t>(h >> 56);
  }
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
  std::uint64_t seed_ = process_seed();          // for shard_of on the hot path
  std::array<std::size_t, shard_count> ends_{};  // keys in shards 0..i, for id_at()
  std::string name_;
  std::size_t key_lines_;
};

}  // namespace zmqsec::certs::detail
