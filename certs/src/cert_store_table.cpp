#include "cert_store_table.hpp"

#include <sodium.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include <zmqsec/error.hpp>

namespace zmqsec::certs::detail {
namespace {

// Offsets are 32-bit to keep the records small; a store beyond that is refused, not corrupted.
std::uint32_t checked_u32(std::size_t n) {
  if (n >= std::numeric_limits<std::uint32_t>::max()) {
    throw zmqsec::error(errc::invalid_argument,
                        "certificate store too large (4 GiB of names or metadata, or 4G files)");
  }
  return static_cast<std::uint32_t>(n);
}

std::size_t varint_size(std::uint64_t n) noexcept {
  std::size_t size = 1;
  for (; n >= 0x80; n >>= 7) ++size;
  return size;
}

void put_bytes(big_vector<char>& out, std::string_view bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

// At most 80 % full: with the tags in the slots, a miss still scans only a few slots of one or
// two cache lines, and the index costs 10 to 20 bytes per key.
std::size_t slot_count(std::size_t keys) noexcept {
  std::size_t count = 8;
  while (count * 4 < keys * 5) count *= 2;
  return count;
}

}  // namespace

// Arrays of this size or more ask for transparent huge pages: a full load of a million keys reads
// its batch in shard order, a random walk through tens of MB, and with 4 KB pages nearly every
// read also missed the TLB; faulting the arrays in 2 MB at a time also takes far fewer faults.
// Below it, rounding up to 2 MB would cost more memory than the pages save.
constexpr std::size_t huge_page_threshold = std::size_t{8} << 20;

void* map_pages(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  if (bytes >= huge_page_threshold) (void)::madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

void unmap_pages(void* p, std::size_t bytes) noexcept {
  ::munmap(p, bytes);
}

void put_varint(big_vector<char>& out, std::uint64_t n) {
  for (; n >= 0x80; n >>= 7) out.push_back(static_cast<char>((n & 0x7f) | 0x80));
  out.push_back(static_cast<char>(n));
}

std::uint64_t get_varint(const char*& p) noexcept {
  std::uint64_t n = 0;
  for (unsigned shift = 0;; shift += 7) {
    auto byte = static_cast<unsigned char>(*p++);
    n |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return n;
  }
}

// ---- change_set ----

change_set::item& change_set::add(std::string_view name, kind what) {
  item i;
  i.name = checked_u32(names_.size());
  i.name_size = checked_u32(name.size());
  i.what = what;
  put_bytes(names_, name);
  checked_u32(names_.size());
  return items_.emplace_back(i);
}

void change_set::add_loaded(std::string_view name, const public_key& key, const metadata& meta) {
  const std::size_t start = meta_.size();
  put_varint(meta_, meta.size());
  for (const auto& [meta_name, value] : meta) {
    put_varint(meta_, meta_name.size());
    put_bytes(meta_, meta_name);
    put_varint(meta_, value.size());
    put_bytes(meta_, value);
  }
  item& i = add(name, kind::loaded);
  i.meta = checked_u32(start);
  i.meta_size = checked_u32(meta_.size() - start);
  checked_u32(meta_.size());
  i.key = key;
}

void change_set::add_bad(std::string_view name, std::string reason) {
  item& i = add(name, kind::bad);
  i.reason = checked_u32(reasons_.size());
  reasons_.push_back(std::move(reason));
}

void change_set::add_absent(std::string_view name) {
  add(name, kind::absent);
}

void change_set::reserve(std::size_t items, std::size_t name_bytes) {
  items_.reserve(items_.size() + items);
  names_.reserve(names_.size() + name_bytes);
}

void change_set::finish() {
  std::stable_sort(items_.begin(), items_.end(),
                   [this](const item& a, const item& b) { return name(a) < name(b); });
  // Of a run of items for one name, the last one added is the file's latest state.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (i + 1 < items_.size() && name(items_[i]) == name(items_[i + 1])) continue;
    items_[kept++] = items_[i];
  }
  items_.resize(kept);
}

void change_set::append(const change_set& other) {
  items_.reserve(items_.size() + other.items_.size());
  for (const item& theirs : other.items_) {
    item& ours = add(other.name(theirs), theirs.what);
    ours.key = theirs.key;
    if (theirs.what == kind::loaded) {
      const auto meta = other.meta(theirs);
      ours.meta = checked_u32(meta_.size());
      ours.meta_size = theirs.meta_size;
      put_bytes(meta_, meta);
      checked_u32(meta_.size());
    } else if (theirs.what == kind::bad) {
      ours.reason = checked_u32(reasons_.size());
      reasons_.push_back(other.reason(theirs));
    }
  }
}

// Keys come from administrators' files, so they are usually uniform already; see hash_key.
std::uint64_t process_seed() {
  static const std::uint64_t seed = [] {
    ensure_sodium_initialised();
    std::uint64_t s = 0;
    randombytes_buf(&s, sizeof s);
    return s;
  }();
  return seed;
}

// ---- cert_table ----

const cert_table::entry* cert_table::find(const unsigned char* key) const noexcept {
  if (entries_.empty()) return nullptr;
  const std::uint64_t h = hash_key(process_seed(), key);
  const std::uint64_t tag = h >> 32;
  for (std::uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const std::uint64_t slot = slots_[i];
    if (slot == 0) return nullptr;
    if ((slot >> 32) != tag) continue;
    const entry& e = entries_[(slot & 0xffffffffU) - 1];
    if (std::memcmp(e.key.data(), key, key_size) == 0) return &e;
  }
}

bool cert_table::same_content(const cert_table& other) const noexcept {
  // Tables are built in file name order, so equal content means equal arrays.
  auto same_entries = [](const entry& a, const entry& b) {
    return a.key == b.key && a.meta == b.meta && a.file == b.file;
  };
  auto same_files = [](const file& a, const file& b) {
    return a.name == b.name && a.meta == b.meta && a.entry == b.entry;
  };
  return std::equal(entries_.begin(), entries_.end(), other.entries_.begin(), other.entries_.end(),
                    same_entries) &&
         std::equal(files_.begin(), files_.end(), other.files_.begin(), other.files_.end(),
                    same_files) &&
         names_ == other.names_ && meta_ == other.meta_ && in_memory_ == other.in_memory_;
}

std::string_view cert_table::file_name(std::size_t file) const noexcept {
  const char* p = names_.data() + files_[file].name;
  const std::uint64_t size = get_varint(p);
  return {p, size};
}

std::string_view cert_table::file_meta(std::size_t file) const noexcept {
  const std::size_t begin = files_[file].meta;
  const std::size_t end = file + 1 < files_.size() ? files_[file + 1].meta : meta_.size();
  return {meta_.data() + begin, end - begin};
}

std::size_t cert_table::find_file(std::string_view name) const noexcept {
  const std::size_t low = first_file_not_before(name);
  if (low < files_.size() && file_name(low) == name) return low;
  return no_file;
}

std::size_t cert_table::first_file_not_before(std::string_view name) const noexcept {
  std::size_t low = 0;
  std::size_t high = files_.size();
  while (low < high) {
    const std::size_t mid = low + (high - low) / 2;
    if (file_name(mid) < name) {
      low = mid + 1;
    } else {
      high = mid;
    }
  }
  return low;
}

namespace {

// Where the next table's files come from, in name order: base's files and the changes merged.
struct merge_source {
  std::uint32_t index;
  bool from_changes;
};
struct merge_plan {
  big_vector<merge_source> order;
  std::size_t name_bytes = 0;
  std::size_t meta_bytes = 0;
};

// Pass 1 of build(): merges base's files and the changes (both sorted by name) into one ordered
// list of sources, and sizes the arenas so that pass 2 allocates each of them exactly once.
merge_plan plan_merge(const cert_table* base, const change_set& changes) {
  const auto items = changes.items();
  const std::size_t base_files = base != nullptr ? base->file_count() : 0;
  merge_plan plan;
  plan.order.reserve(base_files + items.size());
  auto take_base = [&](std::size_t i) {
    const auto name = base->file_name(i);
    plan.name_bytes += varint_size(name.size()) + name.size();
    plan.meta_bytes += base->file_meta(i).size();
    plan.order.push_back({static_cast<std::uint32_t>(i), false});
  };
  auto take_change = [&](std::size_t j) {
    if (items[j].what != change_set::kind::loaded) return;  // bad or gone: not in the table
    plan.name_bytes += varint_size(items[j].name_size) + items[j].name_size;
    plan.meta_bytes += items[j].meta_size;
    plan.order.push_back({static_cast<std::uint32_t>(j), true});
  };
  for (std::size_t i = 0, j = 0; i < base_files || j < items.size();) {
    if (j == items.size()) {
      take_base(i++);
    } else if (i == base_files) {
      take_change(j++);
    } else {
      const int c = base->file_name(i).compare(changes.name(items[j]));
      if (c < 0) {
        take_base(i++);
      } else {
        take_change(j++);
        if (c == 0) ++i;  // the change replaces the base's version of the file
      }
    }
  }
  checked_u32(plan.order.size());
  checked_u32(plan.name_bytes);
  checked_u32(plan.meta_bytes);
  return plan;
}

}  // namespace

void cert_table::reserve(std::size_t files, std::size_t name_bytes, std::size_t meta_bytes) {
  files_.reserve(files);
  entries_.reserve(files);
  names_.reserve(name_bytes);
  meta_.reserve(meta_bytes);
  slots_.assign(slot_count(files), 0);
  mask_ = slots_.size() - 1;
}

void cert_table::add_file(std::string_view name, std::string_view meta, const public_key& key,
                          std::uint64_t seed, build_result& result) {
  file f;
  f.name = static_cast<std::uint32_t>(names_.size());
  put_varint(names_, name.size());
  put_bytes(names_, name);
  f.meta = static_cast<std::uint32_t>(meta_.size());
  put_bytes(meta_, meta);

  const std::uint64_t h = hash_key(seed, key.data());
  const std::uint64_t tag = h >> 32;
  std::uint64_t i = h & mask_;
  for (; slots_[i] != 0; i = (i + 1) & mask_) {
    if ((slots_[i] >> 32) != tag) continue;
    const auto index = static_cast<std::uint32_t>((slots_[i] & 0xffffffffU) - 1);
    if (entries_[index].key == key) break;
  }
  if (slots_[i] != 0) {
    f.entry = static_cast<std::uint32_t>((slots_[i] & 0xffffffffU) - 1);
    const std::string first(file_name(entries_[f.entry].file));
    result.duplicates.emplace_back(std::string(name),
                                   "same public key as " + first + " (whose metadata is used)");
  } else {
    f.entry = static_cast<std::uint32_t>(entries_.size());
    slots_[i] = (tag << 32) | (f.entry + 1ULL);
    entries_.push_back({key, f.meta, static_cast<std::uint32_t>(files_.size())});
  }
  files_.push_back(f);
}

cert_table::build_result cert_table::build(const cert_table* base, const change_set& changes,
                                           bool in_memory) {
  const auto plan = plan_merge(base, changes);
  // Pass 2: fill the new table in name order, so that for a key held by several files the
  // first by name provides the metadata.
  auto table = std::make_shared<cert_table>();
  cert_table& t = *table;
  t.in_memory_ = in_memory;
  t.reserve(plan.order.size(), plan.name_bytes, plan.meta_bytes);
  const std::uint64_t seed = process_seed();
  const auto items = changes.items();
  build_result result;
  for (const merge_source& s : plan.order) {
    if (s.from_changes) {
      const auto& item = items[s.index];
      t.add_file(changes.name(item), changes.meta(item), item.key, seed, result);
    } else {
      const public_key& key = base->entries_[base->files_[s.index].entry].key;
      t.add_file(base->file_name(s.index), base->file_meta(s.index), key, seed, result);
    }
  }
  if (!result.duplicates.empty()) t.entries_.shrink_to_fit();
  result.table = std::move(table);
  return result;
}

}  // namespace zmqsec::certs::detail
