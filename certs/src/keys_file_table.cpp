#include "keys_file_table.hpp"

#include <algorithm>
#include <cstring>

#include <zmqsec/error.hpp>

namespace zmqsec::certs::detail {
namespace {

constexpr std::uint32_t index_bits = 20;
constexpr std::uint32_t index_mask = (1u << index_bits) - 1;
constexpr std::uint32_t shard_shift = 24;  // ids: (shard << 24) | index

// At most 80 % full, as cert_table's index: a miss scans a few slots of one cache line.
std::size_t slot_count(std::size_t keys) noexcept {
  std::size_t count = 8;
  while (count * 4 < keys * 5) count *= 2;
  return count;
}

std::uint32_t tag_of(std::uint64_t h) noexcept {
  return static_cast<std::uint32_t>(h >> 52);  // 12 bits, above the bits that pick the slot
}

}  // namespace

// ---- key_shard ----

key_shard::key_shard(std::size_t capacity) {
  if (capacity > max_size) {
    throw zmqsec::error(errc::invalid_argument,
                        "authorized-keys store too large (over a million keys in one shard)");
  }
  entries_.reserve(capacity);
  slots_.assign(slot_count(capacity), 0);
  mask_ = static_cast<std::uint32_t>(slots_.size() - 1);
  meta_.push_back(0);
}

std::uint32_t key_shard::add(const public_key& key, std::string_view meta) {
  const std::uint64_t h = hash_key(process_seed(), key.data());
  const std::uint32_t tag = tag_of(h);
  std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;
  for (;; i = (i + 1) & mask_) {
    const std::uint32_t slot = slots_[i];
    if (slot == 0) break;
    if ((slot >> index_bits) != tag) continue;
    const std::uint32_t index = (slot & index_mask) - 1;
    if (entries_[index].key == key) return index;
  }
  if (entries_.size() >= entries_.capacity() || entries_.size() >= max_size) {
    throw zmqsec::error(errc::invalid_argument, "key_shard::add: past its capacity");
  }
  std::uint32_t meta_offset = 0;
  if (!meta.empty()) {
    meta_offset = static_cast<std::uint32_t>(meta_.size());
    meta_.insert(meta_.end(), meta.begin(), meta.end());
  }
  entries_.push_back({key, meta_offset});
  slots_[i] = (tag << index_bits) | static_cast<std::uint32_t>(entries_.size());
  return key_table::no_entry;
}

std::uint32_t key_shard::find(const unsigned char* key) const noexcept {
  const std::uint64_t h = hash_key(process_seed(), key);
  const std::uint32_t tag = tag_of(h);
  for (std::uint32_t i = static_cast<std::uint32_t>(h) & mask_;; i = (i + 1) & mask_) {
    const std::uint32_t slot = slots_[i];
    if (slot == 0) return key_table::no_entry;
    if ((slot >> index_bits) != tag) continue;
    const std::uint32_t index = (slot & index_mask) - 1;
    // Public keys are not secret: memcmp, as cert_table.
    if (std::memcmp(entries_[index].key.data(), key, key_size) == 0) return index;
  }
}

std::string_view key_shard::meta_of(std::size_t index) const noexcept {
  const std::uint32_t begin = entries_[index].meta;
  if (begin == 0) return {};
  const char* p = meta_.data() + begin;
  const char* start = p;
  for (std::uint64_t n = get_varint(p); n > 0; --n) {
    p += get_varint(p);  // name
    p += get_varint(p);  // value
  }
  return {start, static_cast<std::size_t>(p - start)};
}

void key_shard::visit_meta(std::size_t index, key_table::meta_visitor visitor,
                           void* context) const {
  const char* p = meta_.data() + entries_[index].meta;
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
  return static_cast<std::uint32_t>((shard << shard_shift) | (index - first));
}

const public_key& keys_file_table::key_of(std::uint32_t id) const noexcept {
  return shards_[id >> shard_shift]->at(id & ((1u << shard_shift) - 1)).key;
}

void keys_file_table::visit_meta(std::uint32_t id, meta_visitor visitor, void* context) const {
  shards_[id >> shard_shift]->visit_meta(id & ((1u << shard_shift) - 1), visitor, context);
}

}  // namespace zmqsec::certs::detail
