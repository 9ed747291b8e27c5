// The hash table behind address_rules: keys (a masked network and its prefix length) mapped to
// rule flags (allow, deny). Private to zmqsec::auth.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace zmqsec::auth::detail {

inline std::uint64_t mix(std::uint64_t x) noexcept {
  // splitmix64's finaliser: every input bit reaches every output bit.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

struct v6_key {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  std::uint8_t prefix = 0;
  friend bool operator==(const v6_key&, const v6_key&) noexcept = default;
};

inline std::uint64_t hash_key(std::uint64_t key) noexcept {
  return mix(key);
}
inline std::uint64_t hash_key(const v6_key& key) noexcept {
  return mix(key.high ^ mix(key.low ^ (std::uint64_t{key.prefix} << 56)));
}

/// An open-addressing (linear probing) hash map from keys to rule flags; a slot with flags 0 is
/// empty. Kept at most half full, so a probe sequence is short whatever the keys. Removal shifts
/// the following entries back (no tombstones), so lookups stay as short after removals.
template <class Key>
class flag_table {
 public:
  std::uint8_t find(const Key& key) const noexcept {
    if (slots_.empty()) return 0;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
      const slot& s = slots_[i];
      if (s.flags == 0) return 0;
      if (s.key == key) return s.flags;
    }
  }

  /// Adds flag to key; returns whether the key held no such flag before.
  bool add(const Key& key, std::uint8_t flag) {
    if ((used_ + 1) * 2 > slots_.size()) grow();
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.flags == 0) {
        s.key = key;
        s.flags = flag;
        ++used_;
        return true;
      }
      if (s.key == key) {
        const bool added = (s.flags & flag) == 0;
        s.flags |= flag;
        return added;
      }
    }
  }

  /// Takes flag from key; returns whether the key held it. The entry goes once it holds no flag.
  bool remove(const Key& key, std::uint8_t flag) noexcept {
    if (slots_.empty()) return false;
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = hash_key(key) & mask;; i = (i + 1) & mask) {
      slot& s = slots_[i];
      if (s.flags == 0) return false;
      if (!(s.key == key)) continue;
      if ((s.flags & flag) == 0) return false;
      s.flags &= static_cast<std::uint8_t>(~flag);
      if (s.flags == 0) erase_at(i);
      return true;
    }
  }

  /// Whether some entry has this key (with any flag).
  bool contains(const Key& key) const noexcept { return find(key) != 0; }

 private:
  struct slot {
    Key key{};
    std::uint8_t flags = 0;
  };

  // Backward-shift deletion: every entry after the hole whose home slot is not between the hole
  // and itself moves into the hole, so no probe sequence is broken.
  void erase_at(std::size_t hole) noexcept {
    const std::size_t mask = slots_.size() - 1;
    --used_;
    for (std::size_t next = (hole + 1) & mask; slots_[next].flags != 0; next = (next + 1) & mask) {
      const std::size_t home = hash_key(slots_[next].key) & mask;
      const bool home_after_hole = ((next - home) & mask) < ((next - hole) & mask);
      if (home_after_hole) continue;
      slots_[hole] = slots_[next];
      hole = next;
    }
    slots_[hole] = slot{};
  }

  void grow() {
    std::vector<slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 16 : old.size() * 2, slot{});
    used_ = 0;
    const std::size_t mask = slots_.size() - 1;
    for (const slot& s : old) {
      if (s.flags == 0) continue;
      std::size_t i = hash_key(s.key) & mask;
      while (slots_[i].flags != 0) i = (i + 1) & mask;
      slots_[i] = s;
      ++used_;
    }
  }

  std::vector<slot> slots_;
  std::size_t used_ = 0;
};

}  // namespace zmqsec::auth::detail
