#include "session_registry.hpp"

#include <algorithm>
#include <string>

#include <zmqsec/core/text.hpp>

#include "policy_data.hpp"

namespace zmqsec::auth::detail {

namespace {

// The session property, encoded as libzmq reads ZAP metadata (zap.hpp): written here rather
// than through append_metadata, which refuses the reserved name.
void append_session_property(std::string& metadata, std::uint64_t id) {
  const std::string value = std::to_string(id);
  metadata.push_back(static_cast<char>(session_property.size()));
  metadata.append(session_property);
  const auto size = static_cast<std::uint32_t>(value.size());
  for (int shift = 24; shift >= 0; shift -= 8) {
    metadata.push_back(static_cast<char>((size >> shift) & 0xff));
  }
  metadata.append(value);
}

// Every certificate store p reads, with its generation now.
void collect_stores(const policy& p, std::vector<std::pair<const void*, std::uint64_t>>& out) {
  out.clear();
  const policy_data& data = policy_access::data(p);
  auto add = [&](const domain_config& config) {
    if (!config.curve || config.curve->how != curve_source::kind::store) return;
    out.emplace_back(config.curve->store.get(), config.curve->store->generation());
  };
  add(data.wildcard);
  for (const auto& [name, config] : data.domains) add(config);
}

}  // namespace

void session_registry::attach() {
  std::lock_guard lock(mutex_);
  guards_.fetch_add(1, std::memory_order_relaxed);
}

void session_registry::detach() noexcept {
  std::lock_guard lock(mutex_);
  if (guards_.fetch_sub(1, std::memory_order_relaxed) != 1) return;
  live_.clear();
  fresh_.clear();
}

void session_registry::accepted(const policy& p, const zap_request& request,
                                zap_reply& reply) noexcept {
  try {
    session_record record = make_session_record(p, request, reply.user_id);
    std::string metadata = reply.metadata;
    std::lock_guard lock(mutex_);
    if (guards_.load(std::memory_order_relaxed) == 0) return;  // the last guard just went
    record.id = next_id_;
    append_session_property(metadata, record.id);
    if (live_.size() + fresh_.size() >= max_sessions) {
      auto& oldest = live_.empty() ? fresh_ : live_;
      oldest.erase(oldest.begin());
      if (!overflow_logged_) {
        overflow_logged_ = true;
        log_.warn("session guard: more than 262144 sessions; the oldest are no longer tracked");
      }
    }
    fresh_.emplace(record.id, std::move(record));
    ++next_id_;
    reply.metadata = std::move(metadata);
  } catch (...) {  // out of memory: the session goes untracked, the handshake is not failed
  }
}

void session_registry::refresh() {
  const std::uint64_t generation = source_.generation.load(std::memory_order_acquire);
  const std::shared_ptr<const policy> current = source_.current.load(std::memory_order_acquire);
  if (!current) return;
  std::lock_guard lock(mutex_);
  const bool changed = changed_locked(*current, generation);
  if (!fresh_.empty()) evaluate_locked(*current, fresh_, true);
  if (changed) evaluate_locked(*current, live_, false);
}

bool session_registry::changed_locked(const policy& p, std::uint64_t generation) {
  store_generations now;
  collect_stores(p, now);
  if (generation == seen_generation_ && now == seen_stores_) return false;
  seen_generation_ = generation;
  seen_stores_ = std::move(now);
  return true;
}

// Revokes what p refuses in sessions; with all, moves the others into live_.
void session_registry::evaluate_locked(const policy& p,
                                       std::map<std::uint64_t, session_record>& sessions,
                                       bool all) {
  store_snapshots snapshots;
  for (auto it = sessions.begin(); it != sessions.end();) {
    const std::string_view reason = revocation_reason(p, it->second, snapshots);
    if (!reason.empty()) {
      revoke_locked(std::move(it->second), reason);
      it = sessions.erase(it);
    } else if (all) {
      live_.insert(sessions.extract(it++));
    } else {
      ++it;
    }
  }
}

void session_registry::revoke_locked(session_record session, std::string_view reason) {
  using core::escape_for_log;
  counters_.add_shared(&authenticator_stats::revocations);
  log_.log(spdlog::level::warn,
           "session {} revoked ({}): domain=\"{}\" address=\"{}\" mechanism=\"{}\" "
           "user_id=\"{}\"",
           session.id, reason, escape_for_log(session.domain), escape_for_log(session.address),
           escape_for_log(session.mechanism_name), escape_for_log(session.user_id));
  revoked_.push_back(revoked_session{next_sequence_++, std::move(session), reason});
  if (revoked_.size() > max_revoked) revoked_.pop_front();
}

std::vector<revoked_session> session_registry::revoked_since(std::uint64_t& cursor,
                                                             std::size_t& lost) const {
  std::lock_guard lock(mutex_);
  std::vector<revoked_session> out;
  lost = 0;
  if (!revoked_.empty() && revoked_.front().sequence > cursor) {
    lost = revoked_.front().sequence - cursor;
  }
  for (const auto& r : revoked_) {
    if (r.sequence >= cursor) out.push_back(r);
  }
  cursor = next_sequence_;
  return out;
}

std::uint64_t session_registry::next_sequence() const {
  std::lock_guard lock(mutex_);
  return next_sequence_;
}

void session_registry::forget(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  live_.erase(id);
  fresh_.erase(id);
}

bool session_registry::live_at(std::string_view address) const {
  std::lock_guard lock(mutex_);
  auto at = [&](const auto& entry) { return entry.second.address == address; };
  return std::any_of(live_.begin(), live_.end(), at) ||
         std::any_of(fresh_.begin(), fresh_.end(), at);
}

}  // namespace zmqsec::auth::detail
