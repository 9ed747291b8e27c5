// Memory for the key arrays of many shards of a keys_file_table from one mapping. With a
// million keys a lookup lands on a random 64-byte line of a 42 MB table: on 4 KiB pages every
// lookup also misses the TLB and walks the page tables, which costs about as much as the line
// itself. One mapping on 2 MiB pages (transparent huge pages, asked for with
// MADV_HUGEPAGE) is covered by a few dozen TLB entries instead. Shards taken from an arena keep it
// mapped (their blocks share its ownership), so a shard that a change replaces leaves its block
// unused until the arena's last shard goes: at most one table's key arrays more.
//
//   shard_arena arena(total_bytes);             // the sum of what the shards will take
//   std::shared_ptr<std::byte> block = arena.take(bytes);
#pragma once

#include <cstddef>
#include <memory>

namespace zmqsec::certs::detail {

class shard_arena {
 public:
  /// Alignment of every block (a cache line: a block's 32-byte keys never straddle two).
  static constexpr std::size_t alignment = 64;

  /// An arena of bytes (zeroed); on huge pages when it is at least huge_page_size.
  explicit shard_arena(std::size_t bytes);

  /// bytes of zeroed memory (rounded up to alignment), owned by the returned pointer and the
  /// arena together. Throws when the arena has less left.
  std::shared_ptr<std::byte> take(std::size_t bytes);

  /// A zeroed, aligned block of its own, for a shard built alone (a change to a few lines).
  static std::shared_ptr<std::byte> own(std::size_t bytes);

  static constexpr std::size_t huge_page_size = std::size_t{2} << 20;

 private:
  std::shared_ptr<std::byte> block_;
  std::size_t size_ = 0;
  std::size_t used_ = 0;
};

}  // namespace zmqsec::certs::detail
