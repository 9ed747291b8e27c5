#include "throttled_log.hpp"

namespace zmqsec::auth::detail {

bool throttled_log::should_log(std::string_view address, std::uint64_t& skipped,
                               clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto found = entries_.find(std::string(address));
  if (found == entries_.end()) {
    make_room(now);
    entries_.emplace(std::string(address), entry{now, 0});
    skipped = 0;
    return true;
  }
  entry& e = found->second;
  if (now - e.logged < quiet_period) {
    ++e.skipped;
    return false;
  }
  skipped = e.skipped;
  e = entry{now, 0};
  return true;
}

// Forgets addresses quiet for a whole period (their unlogged count was told or is lost with
// them: stats().throttled still has it); if none is, forgets all, so the table stays bounded.
void throttled_log::make_room(clock::time_point now) {
  if (entries_.size() < addresses) return;
  std::erase_if(entries_,
                [&](const auto& item) { return now - item.second.logged >= quiet_period; });
  if (entries_.size() >= addresses) entries_.clear();
}

}  // namespace zmqsec::auth::detail
