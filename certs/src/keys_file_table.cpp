#include "keys_file_table.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include <zmqsec/error.hpp>

#include "shard_arena.hpp"

namespace zmqsec::certs::detail {
namespace {

constexpr std::uint32_t shard_shift = 24;  // ids: (shard << 24) | slot
constexpr std::uint64_t low_bits = 0x0101010101010101ULL;
constexpr std::uint64_t high_bits = 0x8080808080808080ULL;
static_assert(sizeof(public_key) == key_size && alignof(public_key) == 1);

// At most 7/8 full (as SwissTable): there is always a free slot, so a probe ends, and most keys
// sit in the group their hash picks.
std::uint32_t groups_for(std::size_t capacity) noexcept {
  return static_cast<std::uint32_t>(std::max<std::size_t>(1, (capacity + 6) / 7));
}

std::size_t aligned(std::size_t bytes) noexcept {
  return (bytes + shard_arena::alignment - 1) / shard_arena::alignment * shard_arena::alignment;
}

// Where the arrays of a shard of groups start in its block, and its size.
struct layout {
  std::size_t keys;
  std::size_t metas;
  std::size_t bytes;
};

layout layout_of(std::uint32_t groups) noexcept {
  const std::size_t slots = std::size_t{groups} * key_shard::group_size;
  const std::size_t keys = aligned(groups * sizeof(std::uint64_t));
  const std::size_t metas = keys + aligned(slots * key_size);
  return {keys, metas, metas + aligned(slots * sizeof(std::uint32_t))};
}

// The high bit of each byte of word that equals the byte fingerprint (exact: no carry from one
// byte into the next).
std::uint64_t bytes_equal(std::uint64_t word, std::uint64_t fingerprint) noexcept {
  const std::uint64_t v = word ^ (fingerprint * low_bits);
  return ~(((v & ~high_bits) + ~high_bits) | v) & high_bits;
}

// A key as four words, so that comparing two is a few instructions and one branch.
struct key_words {
  std::uint64_t w[4];

  explicit key_words(const unsigned char* key) noexcept { std::memcpy(w, key, sizeof w); }
  bool operator==(const key_words& o) const noexcept {
    return ((w[0] ^ o.w[0]) | (w[1] ^ o.w[1]) | (w[2] ^ o.w[2]) | (w[3] ^ o.w[3])) == 0;
  }
};
static_assert(sizeof(key_words) == key_size);

}  // namespace

// ---- key_shard ----

std::size_t key_shard::storage_bytes(std::size_t capacity) noexcept {
  return layout_of(groups_for(capacity)).bytes;
}

key_shard::key_shard(std::size_t capacity, shard_arena* arena) {
  if (capacity > max_size) {
    throw zmqsec::error(errc::invalid_argument,
                        "authorized-keys store too large (over a million keys in one shard)");
  }
  groups_ = groups_for(capacity);
  capacity_ = static_cast<std::uint32_t>(capacity);
  seed_ = process_seed();
  const layout at = layout_of(groups_);
  storage_ = arena != nullptr ? arena->take(at.bytes) : shard_arena::own(at.bytes);
  // The block is zeroed: every fingerprint says empty. Constructing the arrays' objects over it
  // writes the same zeros again.
  fingerprints_ = reinterpret_cast<std::uint64_t*>(storage_.get());
  std::uninitialized_value_construct_n(fingerprints_, groups_);
  auto* keys = reinterpret_cast<public_key*>(storage_.get() + at.keys);
  std::uninitialized_default_construct_n(keys, slot_count());
  keys_ = keys;
  metas_ = reinterpret_cast<std::uint32_t*>(storage_.get() + at.metas);
  std::uninitialized_value_construct_n(metas_, slot_count());
  order_.reserve(capacity);
  meta_.push_back(0);
}

// Groups are probed from the hash's on (the hash scaled to a group without a division). Within
// a group, only slots whose fingerprint matches are compared: nearly always one, the key's. A
// shard's slots are only ever filled (a change builds a new shard), so a group with a free slot
// ends the search: the key would have been put there. Public keys are not secret: compared as
// cert_table does, not in constant time.
key_shard::probe_result key_shard::probe(const unsigned char* key) const noexcept {
  const std::uint64_t hash = hash_key(seed_, key);
  const std::uint64_t fingerprint = 0x80 | (hash >> 57);  // never 0, the empty slot's
  auto group = static_cast<std::uint32_t>(((hash & 0xffffffffU) * groups_) >> 32);
  const key_words wanted(key);
  for (;;) {
    const std::uint64_t word = fingerprints_[group];
    const std::uint32_t first = group * group_size;
    for (std::uint64_t m = bytes_equal(word, fingerprint); m != 0; m &= m - 1) {
      const auto slot = first + static_cast<std::uint32_t>(std::countr_zero(m) / 8);
      // A decision reads the key's metadata offset next: asked for now, it comes from memory
      // while the key does, instead of after it.
      __builtin_prefetch(metas_ + slot);
      if (key_words(keys_[slot].data()) == wanted) return {slot, true, fingerprint};
    }
    if (const std::uint64_t empty = ~word & high_bits; empty != 0) {
      return {first + static_cast<std::uint32_t>(std::countr_zero(empty) / 8), false, fingerprint};
    }
    group = group + 1 == groups_ ? 0 : group + 1;
  }
}

std::uint32_t key_shard::add(const public_key& key, std::string_view meta) {
  const probe_result at = probe(key.data());
  if (at.found) return at.slot;
  if (order_.size() >= capacity_) {
    throw zmqsec::error(errc::invalid_argument, "key_shard::add: past its capacity");
  }
  std::uint32_t meta_offset = 0;
  if (!meta.empty()) {
    meta_offset = static_cast<std::uint32_t>(meta_.size());
    meta_.insert(meta_.end(), meta.begin(), meta.end());
  }
  keys_[at.slot] = key;
  metas_[at.slot] = meta_offset;
  fingerprints_[at.slot / group_size] |= at.fingerprint << (8 * (at.slot % group_size));
  order_.push_back(at.slot);
  return key_table::no_entry;
}

std::uint32_t key_shard::find(const unsigned char* key) const noexcept {
  const probe_result at = probe(key);
  return at.found ? at.slot : key_table::no_entry;
}

std::string_view key_shard::meta_of(std::uint32_t slot) const noexcept {
  const std::uint32_t begin = metas_[slot];
  if (begin == 0) return {};
  const char* p = meta_.data() + begin;
  const char* start = p;
  for (std::uint64_t n = get_varint(p); n > 0; --n) {
    p += get_varint(p);  // name
    p += get_varint(p);  // value
  }
  return {start, static_cast<std::size_t>(p - start)};
}

void key_shard::visit_meta(std::uint32_t slot, key_table::meta_visitor visitor,
                           void* context) const {
  const char* p = meta_.data() + metas_[slot];
  for (std::uint64_t n = get_varint(p); n > 0; --n) {
    const auto name_size = get_varint(p);
    const std::string_view name(p, name_size);
    p += name_size;
    const auto value_size = get_varint(p);
    const std::string_view value(p, value_size);
    p += value_size;
    visitor(context, name, value);
  }
}

// ---- keys_file_table ----

keys_file_table::keys_file_table(shard_array shards, std::string name, std::size_t key_lines)
    : shards_(std::move(shards)), name_(std::move(name)), key_lines_(key_lines) {
  std::size_t total = 0;
  for (std::size_t i = 0; i < shard_count; ++i) {
    if (!shards_[i]) shards_[i] = empty_shard();
    total += shards_[i]->size();
    ends_[i] = total;
  }
}

std::uint64_t keys_file_table::prefix_of(const unsigned char* key) noexcept {
  std::uint64_t prefix;
  std::memcpy(&prefix, key, sizeof prefix);
  return prefix;
}

std::shared_ptr<const key_shard> keys_file_table::empty_shard() {
  static const auto empty = std::make_shared<const key_shard>(0);
  return empty;
}

std::uint32_t keys_file_table::find_id(const unsigned char* key) const noexcept {
  const std::size_t shard = shard_of(prefix_of(key), seed_);
  const std::uint32_t index = shards_[shard]->find(key);
  if (index == no_entry) return no_entry;
  return static_cast<std::uint32_t>(shard << shard_shift) | index;
}

std::uint32_t keys_file_table::id_at(std::size_t index) const noexcept {
  const auto shard =
      static_cast<std::size_t>(std::upper_bound(ends_.begin(), ends_.end(), index) - ends_.begin());
  const std::size_t first = shard == 0 ? 0 : ends_[shard - 1];
  return static_cast<std::uint32_t>(shard << shard_shift) | shards_[shard]->slot_at(index - first);
}

const public_key& keys_file_table::key_of(std::uint32_t id) const noexcept {
  return shards_[id >> shard_shift]->key_at(id & ((1u << shard_shift) - 1));
}

void keys_file_table::visit_meta(std::uint32_t id, meta_visitor visitor, void* context) const {
  shards_[id >> shard_shift]->visit_meta(id & ((1u << shard_shift) - 1), visitor, context);
}

}  // namespace zmqsec::certs::detail
