// The certificate snapshots a thread that decides many requests asked for last, so that a CURVE
// lookup in a store costs one atomic load (the store's generation) instead of the store's mutex
// and a shared_ptr copy. Owned by whoever decides (the authenticators' ZAP server step, a
// benchmark) and handed to decide(): the decision itself keeps no state between requests.
//
//   za::store_snapshots snapshots;                         // one per deciding thread
//   for (auto& body : requests) za::decide(*policy, body, reply, nullptr, snapshots);
//
// Not thread-safe: one object per thread. Holds up to four stores' snapshots (weakly: a store
// that is destroyed lets its snapshot go at the next lookup).
#pragma once

#include <array>
#include <cstddef>
#include <memory>

#include <zmqsec/certs/cert_store.hpp>

namespace zmqsec::auth {

class store_snapshots {
 public:
  /// The latest snapshot of store; valid until the next get() on this object.
  const certs::cert_snapshot& get(const std::shared_ptr<const certs::cert_store>& store) noexcept {
    for (entry& e : entries_) {
      if (!e.snapshot) continue;
      if (same_owner(e.store, store)) {
        if (e.snapshot->generation() != store->generation()) e.snapshot = store->current();
        return *e.snapshot;
      }
      if (e.store.expired()) {  // its store is gone: let its snapshot go too
        e.snapshot.reset();
        e.store.reset();
      }
    }
    entry& slot = entries_[next_];
    next_ = (next_ + 1) % entries_.size();
    slot.store = store;
    slot.snapshot = store->current();
    return *slot.snapshot;
  }

 private:
  // Keyed by the store's ownership (a weak_ptr): a store destroyed and another made at the same
  // address never match.
  struct entry {
    std::weak_ptr<const certs::cert_store> store;
    std::shared_ptr<const certs::cert_snapshot> snapshot;
  };
  static bool same_owner(const std::weak_ptr<const certs::cert_store>& a,
                         const std::shared_ptr<const certs::cert_store>& b) noexcept {
    return !a.owner_before(b) && !b.owner_before(a);
  }
  std::array<entry, 4> entries_;
  std::size_t next_ = 0;
};

}  // namespace zmqsec::auth
