// What a cert_snapshot reads: the immutable table of one store's keys, whatever its source. A
// folder or the program fills a cert_table (cert_store_table.hpp); an authorized-keys file fills
// a keys_file_table (keys_file_table.hpp), laid out for millions of keys. Entries are named by
// an id that only the table interprets; cert_view keeps the table and the id.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <zmqsec/certs/keys.hpp>

namespace zmqsec::certs::detail {

class key_table {
 public:
  using meta_visitor = void (*)(void*, std::string_view, std::string_view);
  static constexpr std::uint32_t no_entry = 0xffffffffU;

  key_table() = default;
  key_table(const key_table&) = default;
  key_table& operator=(const key_table&) = default;
  virtual ~key_table() = default;

  /// Distinct keys.
  virtual std::size_t size() const noexcept = 0;
  /// Sources loaded: files of a folder, key lines of a file (more than size() with duplicates).
  virtual std::size_t file_count() const noexcept = 0;
  /// The id of the entry holding key (32 bytes), or no_entry. The hot path.
  virtual std::uint32_t find_id(const unsigned char* key) const noexcept = 0;
  /// The id of the index-th entry (0 <= index < size()), for listing.
  virtual std::uint32_t id_at(std::size_t index) const noexcept = 0;
  virtual const public_key& key_of(std::uint32_t id) const noexcept = 0;
  /// Calls visitor(context, name, value) for each metadata entry of id, in source order.
  virtual void visit_meta(std::uint32_t id, meta_visitor visitor, void* context) const = 0;
  /// The file the entry comes from (within the folder, or the keys file's name); empty for an
  /// in-memory store.
  virtual std::string_view source_name(std::uint32_t id) const noexcept = 0;
};

}  // namespace zmqsec::certs::detail
