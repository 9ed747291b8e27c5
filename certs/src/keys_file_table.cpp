#include "keys_file_table.hpp"

#include <algorithm>
#include <cstring>
#include <memory>

#include <zmqsec/error.hpp>

#include "shard_arena.hpp"

namespace zmqsec::certs::detail {
namespace {

constexpr std::uint32_t shard_shift = 24;  // ids: (shard << 24) | slot
constexpr std::uint32_t slots_per_line = 2;
static_assert(sizeof(public_key) == key_size && alignof(public_key) == 1);
static_assert(shard_arena::alignment == slots_per_line * key_size);

// At most 80 % full: a present key is on its first line about 9 times in 10 (measured, below),
// and an absent one ends on a line with a free slot within a few lines.
std::uint32_t slots_for(std::size_t capacity) noexcept {
  const std::size_t lines = std::max<std::size_t>(1, (capacity * 5 + 7) / 8);
  return static_cast<std::uint32_t>(lines * slots_per_line);
}

std::size_t aligned(std::size_t bytes) noexcept {
  return (bytes + shard_arena::alignment - 1) / shard_arena::alignment * shard_arena::alignment;
}

std::size_t keys_bytes(std::uint32_t slots) noexcept {
  return aligned((slots + std::size_t{1}) * key_size);
}

std::uint64_t first_word(const unsigned char* p) noexcept {
  std::uint64_t word;
  std::memcpy(&word, p, sizeof word);
  return word;
}

bool is_zero(const unsigned char* key) noexcept {
  std::uint64_t any = 0;
  for (std::size_t i = 0; i < key_size; i += 8) any |= first_word(key + i);
  return any == 0;
}

}  // namespace

// ---- key_shard ----

std::size_t key_shard::storage_bytes(std::size_t capacity) noexcept {
  const std::uint32_t slots = slots_for(capacity);
  return keys_bytes(slots) + aligned((slots + std::size_t{1}) * sizeof(std::uint32_t));
}

key_shard::key_shard(std::size_t capacity, shard_arena* arena) {
  if (capacity > max_size) {
    throw zmqsec::error(errc::invalid_argument,
                        "authorized-keys store too large (over a million keys in one shard)");
  }
  slots_ = slots_for(capacity);
  capacity_ = static_cast<std::uint32_t>(capacity);
  const std::size_t bytes = storage_bytes(capacity);
  storage_ = arena != nullptr ? arena->take(bytes) : shard_arena::own(bytes);
  auto* keys = reinterpret_cast<public_key*>(storage_.get());
  std::uninitialized_default_construct_n(keys, slots_ + 1);  // all zero: empty
  keys_ = keys;
  metas_ = reinterpret_cast<std::uint32_t*>(storage_.get() + keys_bytes(slots_));
  order_.reserve(capacity);
  meta_.push_back(0);
}

// Slots are probed from the first of the hash's line on; hash scales to a line without a
// division ((hash * lines) >> 32).
std::uint32_t key_shard::probe(const unsigned char* key, std::uint64_t hash) const noexcept {
  const std::uint64_t lines = slots_ / slots_per_line;
  std::uint32_t slot =
      static_cast<std::uint32_t>(((hash & 0xffffffffU) * lines) >> 32) * slots_per_line;
  const std::uint64_t first = first_word(key);
  for (;; slot = slot + 1 == slots_ ? 0 : slot + 1) {
    const unsigned char* at = keys_[slot].data();
    // Public keys are not secret: memcmp, as cert_table.
    if (first_word(at) == first && std::memcmp(at, key, key_size) == 0) return slot;
    if (first_word(at) == 0 && is_zero(at)) return slot;
  }
}

std::uint32_t key_shard::add(const public_key& key, std::string_view meta) {
  std::uint32_t slot = slots_;  // the zero key's
  if (!is_zero(key.data())) {
    slot = probe(key.data(), hash_key(process_seed(), key.data()));
    if (!is_zero(keys_[slot].data())) return slot;
  } else if (has_zero_key_) {
    return slot;
  }
  if (order_.size() >= capacity_) {
    throw zmqsec::error(errc::invalid_argument, "key_shard::add: past its capacity");
  }
  std::uint32_t meta_offset = 0;
  if (!meta.empty()) {
    meta_offset = static_cast<std::uint32_t>(meta_.size());
    meta_.insert(meta_.end(), meta.begin(), meta.end());
  }
  keys_[slot] = key;
  metas_[slot] = meta_offset;
  has_zero_key_ = has_zero_key_ || slot == slots_;
  order_.push_back(slot);
  return key_table::no_entry;
}

std::uint32_t key_shard::find(const unsigned char* key) const noexcept {
  const std::uint32_t slot = probe(key, hash_key(process_seed(), key));
  if (!is_zero(keys_[slot].data())) return slot;
  // An empty slot: the key is absent, or it is the zero key (equal to an empty slot's bytes).
  return has_zero_key_ && is_zero(key) ? slots_ : key_table::no_entry;
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

std::size_t keys_file_table::shard_of(std::uint64_t prefix) noexcept {
  std::uint64_t h = (prefix ^ process_seed()) * 0x9E3779B97F4A7C15ULL;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  return static_cast<std::size_t>(h >> 56);
}

std::shared_ptr<const key_shard> keys_file_table::empty_shard() {
  static const auto empty = std::make_shared<const key_shard>(0);
  return empty;
}

std::uint32_t keys_file_table::find_id(const unsigned char* key) const noexcept {
  const std::size_t shard = shard_of(prefix_of(key));
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
