// The immutable table behind a cert_snapshot, and the batch of file changes the next table is
// built from.
//
// Memory decides the layout (the goal: 100k certificates well under 300 bytes each, where
// CZMQ's zcertstore spends about 2.6 KB): keys sit in one dense array of 40-byte entries, found
// through an open-addressing index of 8-byte slots holding a hash tag and the entry's position,
// and every string lives in one of two arenas with a one-byte length prefix (LEB128). Per
// certificate that is 40 (entry) + 10 to 20 (index) + 12 (file record) + the bytes of its file
// name and metadata. The per-file records are also all the follower needs to apply a change to
// one file without re-reading the others, so it keeps nothing per file besides the table.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "key_table.hpp"

namespace zmqsec::certs::detail {

/// Allocates arrays of 64 KiB and more straight from the kernel (mmap), smaller ones from
/// malloc. Once glibc has freed one large mapped block it raises its mmap threshold, after which
/// tables of a few MB come from the heap and stay resident when a snapshot is released; a store
/// that rebuilds its table on every change would then grow well past its own size. Mapped
/// directly, a released table's pages go back to the kernel at once.
template <class T>
struct page_allocator {
  using value_type = T;
  page_allocator() noexcept = default;
  template <class U>
  page_allocator(const page_allocator<U>&) noexcept {}

  T* allocate(std::size_t n);
  void deallocate(T* p, std::size_t n) noexcept;

  template <class U>
  bool operator==(const page_allocator<U>&) const noexcept {
    return true;
  }
};

/// The raw allocation page_allocator uses for large arrays.
void* map_pages(std::size_t bytes);
void unmap_pages(void* p, std::size_t bytes) noexcept;
inline constexpr std::size_t mapped_allocation_threshold = 64 * 1024;

template <class T>
T* page_allocator<T>::allocate(std::size_t n) {
  if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
  const std::size_t bytes = n * sizeof(T);
  if (bytes < mapped_allocation_threshold) return std::allocator<T>().allocate(n);
  return static_cast<T*>(map_pages(bytes));
}

template <class T>
void page_allocator<T>::deallocate(T* p, std::size_t n) noexcept {
  const std::size_t bytes = n * sizeof(T);
  if (bytes < mapped_allocation_threshold) {
    std::allocator<T>().deallocate(p, n);
  } else {
    unmap_pages(p, bytes);
  }
}

template <class T>
using big_vector = std::vector<T, page_allocator<T>>;

/// Appends n in LEB128 (7 bits per byte, low first).
void put_varint(big_vector<char>& out, std::uint64_t n);
/// Reads a LEB128 number written by put_varint and advances p. Only for the store's own arenas.
std::uint64_t get_varint(const char*& p) noexcept;

/// Files as just read, waiting to be merged into a table: each one loaded, bad, or absent.
class change_set {
 public:
  enum class kind : std::uint8_t { loaded, bad, absent };
  struct item {
    std::uint32_t name = 0;  // offset and size in names_
    std::uint32_t name_size = 0;
    std::uint32_t meta = 0;  // offset and size in meta_ (loaded only)
    std::uint32_t meta_size = 0;
    std::uint32_t reason = 0;  // index in reasons_ (bad only)
    kind what = kind::absent;
    public_key key;  // loaded only
  };

  void add_loaded(std::string_view name, const public_key& key, const metadata& meta);
  void add_bad(std::string_view name, std::string reason);
  void add_absent(std::string_view name);

  /// Makes room for items more files of name_bytes in all, so that a full read of a large
  /// folder fills its arrays once instead of copying them as they grow (the pages of large ones
  /// are only taken as they are written: see page_allocator).
  void reserve(std::size_t items, std::size_t name_bytes);

  /// Sorts the items by name and keeps, of several for one name, the one added last. Call after
  /// adding and before reading; calling it again changes nothing.
  void finish();

  /// Adds other's items after these (call finish() after).
  void append(const change_set& other);

  /// Removes the items for which pred(item) holds (after finish()).
  template <class Pred>
  void erase_if(Pred pred) {
    std::erase_if(items_, pred);
  }

  std::span<const item> items() const noexcept { return items_; }
  bool empty() const noexcept { return items_.empty(); }
  std::string_view name(const item& i) const noexcept {
    return {names_.data() + i.name, i.name_size};
  }
  std::string_view meta(const item& i) const noexcept {
    return {meta_.data() + i.meta, i.meta_size};
  }
  const std::string& reason(const item& i) const noexcept { return reasons_[i.reason]; }

 private:
  item& add(std::string_view name, kind what);

  big_vector<item> items_;
  big_vector<char> names_;
  big_vector<char> meta_;  // encoded like the table's metadata arena
  std::vector<std::string> reasons_;
};

/// The process's random seed for hash_key (the same for every table of the process).
std::uint64_t process_seed();
/// A seeded mix of all 32 bytes of key: keys that are not uniform (hand-made test keys sharing a
/// prefix) still spread, and probe sequences are unpredictable from outside the process.
/// Inline: it is most of a lookup's work when the table is in the caches.
inline std::uint64_t hash_key(std::uint64_t seed, const unsigned char* key) noexcept {
  std::uint64_t h = seed;
  for (std::size_t i = 0; i < key_size; i += 8) {
    std::uint64_t word;
    std::memcpy(&word, key + i, sizeof word);
    h = (h ^ word) * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 32;
  }
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 32;
  return h;
}

/// Keys, metadata and file names of one snapshot of a folder or an in-memory store. Immutable
/// once built. Ids are entry indexes.
class cert_table final : public key_table {
 public:
  struct entry {
    public_key key;
    std::uint32_t meta;  // offset in meta_ (a copy of files_[file].meta, to save a hop)
    std::uint32_t file;  // the file that provides the metadata: the first by name with this key
  };
  struct file {
    std::uint32_t name;   // offset in names_
    std::uint32_t meta;   // offset in meta_; a file's metadata ends where the next file's starts
    std::uint32_t entry;  // the key's entry (shared by duplicates)
  };

  /// A built table and the files whose key an earlier file (by name) already has.
  struct build_result {
    std::shared_ptr<const cert_table> table;
    std::vector<std::pair<std::string, std::string>> duplicates;  // file name, reason
  };

  /// The table of base's files with changes applied (changes.finish() called). base may be null
  /// (changes hold everything). Names of in-memory stores are keys, never shown as file names.
  static build_result build(const cert_table* base, const change_set& changes, bool in_memory);

  std::size_t size() const noexcept override { return entries_.size(); }
  std::size_t file_count() const noexcept override { return files_.size(); }
  std::uint32_t find_id(const unsigned char* key) const noexcept override {
    const entry* e = find(key);
    return e == nullptr ? no_entry : index_of(*e);
  }
  std::uint32_t id_at(std::size_t index) const noexcept override {
    return static_cast<std::uint32_t>(index);
  }
  const public_key& key_of(std::uint32_t id) const noexcept override { return entries_[id].key; }
  void visit_meta(std::uint32_t id, meta_visitor visitor, void* context) const override {
    for_each_meta(entries_[id].meta, [&](std::string_view name, std::string_view value) {
      visitor(context, name, value);
    });
  }
  std::string_view source_name(std::uint32_t id) const noexcept override {
    return in_memory_ ? std::string_view() : file_name(entries_[id].file);
  }
  bool in_memory() const noexcept { return in_memory_; }

  /// True if both hold the same files with the same keys and metadata.
  bool same_content(const cert_table& other) const noexcept;

  /// The entry holding key (32 bytes), or nullptr. The hot path.
  const entry* find(const unsigned char* key) const noexcept;
  const entry& entry_at(std::size_t index) const noexcept { return entries_[index]; }
  std::uint32_t index_of(const entry& e) const noexcept {
    return static_cast<std::uint32_t>(&e - entries_.data());
  }

  std::string_view file_name(std::size_t file) const noexcept;
  static constexpr std::size_t no_file = static_cast<std::size_t>(-1);
  /// Index of the file called name, or no_file (binary search: files are sorted by name).
  std::size_t find_file(std::string_view name) const noexcept;
  /// Index of the first file whose name is name or sorts after it (file_count() if none).
  std::size_t first_file_not_before(std::string_view name) const noexcept;
  const file& file_at(std::size_t index) const noexcept { return files_[index]; }
  /// The encoded metadata of a file (what change_set::meta returns for it when it was read).
  std::string_view file_meta(std::size_t file) const noexcept;

  /// Calls visit(name, value) for each metadata entry at offset meta.
  template <class Visit>
  void for_each_meta(std::uint32_t meta, Visit&& visit) const {
    const char* p = meta_.data() + meta;
    for (std::uint64_t n = get_varint(p); n > 0; --n) {
      auto name_size = get_varint(p);
      std::string_view name(p, name_size);
      p += name_size;
      auto value_size = get_varint(p);
      std::string_view value(p, value_size);
      p += value_size;
      visit(name, value);
    }
  }

 private:
  // Sizes every array for files files of name_bytes and meta_bytes, so each is allocated once.
  void reserve(std::size_t files, std::size_t name_bytes, std::size_t meta_bytes);
  // Appends one file (in name order); a key already there makes it a duplicate in result.
  void add_file(std::string_view name, std::string_view meta, const public_key& key,
                std::uint64_t seed, build_result& result);

  big_vector<entry> entries_;
  big_vector<std::uint64_t> slots_;  // (hash tag << 32) | (entry index + 1); 0 is empty
  std::uint64_t mask_ = 0;           // slots_.size() - 1
  big_vector<file> files_;           // sorted by name
  big_vector<char> names_;
  big_vector<char> meta_;
  bool in_memory_ = false;
};

}  // namespace zmqsec::certs::detail
