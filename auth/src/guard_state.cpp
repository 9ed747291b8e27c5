#include "guard_state.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <charconv>
#include <string>
#include <system_error>
#include <utility>

#include "policy_data.hpp"

namespace zmqsec::auth::detail {

namespace {

// The peer of fd: its IP as libzmq writes it in ZAP requests (getnameinfo, numeric) and that
// with the port. Empty when fd is no connected socket.
std::pair<std::string, std::string> peer_of(int fd) {
  sockaddr_storage address{};
  socklen_t size = sizeof address;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) return {};
  char host[NI_MAXHOST];
  char port[NI_MAXSERV];
  if (::getnameinfo(reinterpret_cast<sockaddr*>(&address), size, host, sizeof host, port,
                    sizeof port, NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return {};
  }
  return {host, std::string(host) + "#" + port};
}

std::uint64_t session_id(const char* text) noexcept {
  if (text == nullptr) return 0;
  const std::string_view view(text);
  std::uint64_t id = 0;
  const auto [end, error] = std::from_chars(view.data(), view.data() + view.size(), id);
  return error == std::errc() && end == view.data() + view.size() ? id : 0;
}

}  // namespace

guard_state::guard_state(std::shared_ptr<authenticator_core> core) : core_(std::move(core)) {
  core_->sessions.attach();
  cursor_ = core_->sessions.next_sequence();
}

guard_state::~guard_state() {
  core_->sessions.detach();
}

void guard_state::accepted(int fd) {
  auto [address, peer] = peer_of(fd);
  std::lock_guard lock(mutex_);
  // The monitor's events come on their own time: check() may have met this connection's first
  // message, and tied it, before its ACCEPTED was read. The same peer (address and port) on the
  // fd: that entry is this connection's, and stays.
  const auto known = connections_.find(fd);
  if (known != connections_.end() && !peer.empty() && known->second.peer == peer) return;
  // cursor_ is this thread's (apply_revocations): read without the lock.
  connections_[fd] = guarded_connection{std::move(address), std::move(peer), 0, cursor_, false};
}

void guard_state::disconnected(int fd) {
  std::uint64_t ended = 0;
  {
    std::lock_guard lock(mutex_);
    const auto it = connections_.find(fd);
    if (it == connections_.end()) return;
    ended = it->second.session;
    connections_.erase(it);
    for (const auto& [other, c] : connections_) {
      if (c.session == ended) ended = 0;  // the session has another connection still
    }
  }
  if (ended != 0) core_->sessions.forget(ended);
}

void guard_state::apply_revocations() {
  core_->sessions.refresh();
  std::size_t lost = 0;
  const std::vector<revoked_session> revoked = core_->sessions.revoked_since(cursor_, lost);
  if (lost != 0) {
    core_->publisher.log().log(spdlog::level::err,
                               "session guard: {} revocations came too fast to be read", lost);
  }
  if (revoked.empty()) return;
  std::vector<cut_report> reports;
  {
    std::lock_guard lock(mutex_);
    for (const revoked_session& r : revoked) revoke_locked(r, reports);
  }
  report(reports);
}

void guard_state::revoke_locked(const revoked_session& r, std::vector<cut_report>& reports) {
  const std::uint64_t id = r.session.id;
  auto [it, inserted] =
      revoked_.try_emplace(id, revoked_entry{r.sequence, r.session, r.reason, false});
  if (!inserted) return;
  revoked_order_.push_back(id);
  if (revoked_order_.size() > max_revoked) {
    revoked_.erase(revoked_order_.front());
    revoked_order_.pop_front();
  }
  bool tied = false;
  for (auto& [fd, c] : connections_) {
    if (c.session != id) continue;
    tied = true;
    if (!c.cut) found_locked(it->second, cut_locked(fd, c), reports);
  }
  if (!tied) cut_by_address_locked(it->second, reports);
}

// A session no message tied to a connection yet: its connections are among those of its address
// that are not tied either. They are cut only when no session still allowed came from there.
bool guard_state::cut_by_address_locked(revoked_entry& entry, std::vector<cut_report>& reports) {
  if (core_->sessions.live_at(entry.session.address)) return false;
  bool found = false;
  for (auto& [fd, c] : connections_) {
    if (c.session != 0 || c.cut || c.address != entry.session.address) continue;
    found_locked(entry, cut_locked(fd, c), reports);
    found = true;
  }
  return found;
}

// Shuts the connection down if fd is still it; returns fd, or -1 if it was gone already.
int guard_state::cut_locked(int fd, guarded_connection& c) noexcept {
  c.cut = true;
  try {
    if (peer_of(fd).second != c.peer) return -1;
  } catch (...) {
    return -1;
  }
  return ::shutdown(fd, SHUT_RDWR) == 0 ? fd : -1;
}

void guard_state::found_locked(revoked_entry& entry, int fd, std::vector<cut_report>& reports) {
  if (!entry.counted) {
    entry.counted = true;
    revocations_.fetch_add(1);
  }
  reports.push_back(cut_report{entry.session, entry.reason, fd});
}

bool guard_state::check(const zmq_msg_t* frame) {
  const zmq_msg_t* message = frame;
  const std::uint64_t id = session_id(zmq_msg_gets(message, session_property.data()));
  const int fd = zmq_msg_get(message, ZMQ_SRCFD);
  const char* peer_address = zmq_msg_gets(message, "Peer-Address");
  std::vector<cut_report> reports;
  bool allowed = true;
  {
    std::lock_guard lock(mutex_);
    allowed = check_locked(id, fd, peer_address, reports);
  }
  if (!reports.empty()) report(reports);
  return allowed;
}

bool guard_state::check_locked(std::uint64_t id, int fd, const char* peer_address,
                               std::vector<cut_report>& reports) {
  guarded_connection* c = nullptr;
  if (fd >= 0) {
    const auto it = connections_.find(fd);
    if (it != connections_.end()) c = &it->second;
  }
  // A message before the monitor's ACCEPTED of its connection was read (the guard's thread runs
  // on its own time): the connection is known from here on, tied to the message's session. Not
  // for a session revoked already: its connection may be gone and the fd another's (a refused
  // reconnection's); such a message is refused below and the connection left to the rest.
  if (c == nullptr && fd >= 0 && id != 0 && revoked_.find(id) == revoked_.end()) {
    auto [address, peer] = peer_of(fd);
    if (!peer.empty()) {
      c = &connections_
               .insert_or_assign(
                   fd, guarded_connection{std::move(address), std::move(peer), 0, 0, false})
               .first->second;
    }
  }
  if (c != nullptr && id != 0) tie_locked(*c, id, peer_address);
  const bool tied = c != nullptr && id != 0 && c->session == id;
  if (id == 0) return c == nullptr || !c->cut;
  const auto revoked = revoked_.find(id);
  if (revoked == revoked_.end()) return !(tied && c->cut);
  if (tied && !c->cut) {
    found_locked(revoked->second, cut_locked(fd, *c), reports);
  } else if (!revoked->second.counted) {
    found_locked(revoked->second, -1, reports);
  }
  return false;
}

// Ties c to session id. Session ids grow, and a connection's session is recorded after it was
// accepted: a message with an older id than c's is from an earlier connection whose fd was
// reused, and one with a newer id ties c anew (c is that fd's newer connection). Only when the
// fd still has the message's peer address, and not to a session revoked before c was accepted.
void guard_state::tie_locked(guarded_connection& c, std::uint64_t id,
                             const char* peer_address) const {
  if (id <= c.session || peer_address == nullptr || c.address != peer_address) return;
  const auto revoked = revoked_.find(id);
  if (revoked != revoked_.end() && revoked->second.sequence < c.revocations_after) return;
  c.session = id;
}

void guard_state::report(const std::vector<cut_report>& reports) noexcept {
  const std::shared_ptr<const policy> current = core_->publisher.current_policy();
  if (!current) return;
  const auto& observer = policy_access::data(*current).observer;
  if (!observer || !*observer) return;
  for (const cut_report& r : reports) {
    decision d;
    d.outcome = zap_outcome::reply;
    d.status = zap_status::failure;
    d.reason = r.reason;
    d.revoked = true;
    d.closed_fd = r.fd;
    d.domain = r.session.domain;
    d.address = r.session.address;
    d.mechanism = r.session.mechanism_name;
    d.username = r.session.username;
    d.client_key = r.session.z85_key;
    d.user_id = r.session.user_id;
    try {
      (*observer)(d);
    } catch (...) {
      policy_access::data(*current).observer_errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

}  // namespace zmqsec::auth::detail
