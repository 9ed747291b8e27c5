// The libssh2 backend: one session per tunnel, driven by one thread in non-blocking mode. Every
// local connection accepted on the listener becomes a direct-tcpip channel. Each wake-up of
// poll() pumps every connection in both directions until it would block (libssh2 reads whole
// packets off the socket for any channel, so a channel may hold data although the socket is no
// longer readable), and the session socket is polled in the directions that
// libssh2_session_block_directions() names. Because any libssh2 call reads every packet waiting
// on the socket, data (or an end of file, or a window adjust) for one connection may be taken off
// the socket while another is served: after each pass, connections for which libssh2 holds such
// work make the next poll() return at once.
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <list>
#include <memory>
#include <vector>

#include <zmqsec/core/worker.hpp>

#include "impl.hpp"
#include "net.hpp"
#include "ssh_session.hpp"

namespace zmqsec::tunnel::detail {
namespace {

using clock = std::chrono::steady_clock;
constexpr std::size_t buffer_size = 256 * 1024;

// Data read from one side and not yet written to the other.
struct pending {
  std::unique_ptr<char[]> data = std::make_unique<char[]>(buffer_size);
  std::size_t begin = 0;
  std::size_t end = 0;
  bool empty() const noexcept { return begin == end; }
  void clear() noexcept { begin = end = 0; }
};

struct connection {
  unique_fd fd;
  std::uint16_t peer_port = 0;
  LIBSSH2_CHANNEL* channel = nullptr;
  enum class state { opening, open, closing } st = state::opening;
  pending to_remote;  // read from the local socket
  pending to_local;   // read from the channel
  bool local_eof = false;
  bool remote_eof = false;
  bool eof_sent = false;
  bool local_shut = false;
  bool write_blocked = false;  // the last channel write would have blocked
};

// "Try again later". Besides EAGAIN, libssh2 answers BAD_USE when one packet was sent in part
// (the socket was full) and another operation wants to send before that one is finished: the
// operation that owns the partial packet completes it when it is called again, so the others
// just wait for their turn.
bool again(long rc) {
  return rc == LIBSSH2_ERROR_EAGAIN || rc == LIBSSH2_ERROR_BAD_USE;
}

// libssh2 errors after which the session itself is unusable, not just one channel.
bool session_fatal(int rc) {
  switch (rc) {
    case LIBSSH2_ERROR_SOCKET_NONE:
    case LIBSSH2_ERROR_SOCKET_SEND:
    case LIBSSH2_ERROR_SOCKET_RECV:
    case LIBSSH2_ERROR_SOCKET_DISCONNECT:
    case LIBSSH2_ERROR_SOCKET_TIMEOUT:
    case LIBSSH2_ERROR_TIMEOUT:
    case LIBSSH2_ERROR_DECRYPT:
    case LIBSSH2_ERROR_PROTO:
    case LIBSSH2_ERROR_KEX_FAILURE:
    case LIBSSH2_ERROR_ALLOC:
      return true;
  }
  return false;
}

// The longest poll() while connections are open (see libssh2_tunnel::step).
constexpr int busy_wake_ms = 1000;

// True when libssh2 holds something for c that no socket event will announce: a libssh2 call
// for any channel reads every packet waiting on the socket, so data, an end of file or a window
// adjust for c may have been read while another connection (or c's other direction) was served.
bool has_buffered_work(const connection& c, int block_directions) {
  if (c.st != connection::state::open) return false;
  if (c.to_local.empty() && !c.remote_eof &&
      (libssh2_poll_channel_read(c.channel, 0) > 0 || libssh2_channel_eof(c.channel))) {
    return true;
  }
  return c.write_blocked && !(block_directions & LIBSSH2_SESSION_BLOCK_OUTBOUND) &&
         libssh2_channel_window_write_ex(c.channel, nullptr) > 0;
}

// Overwrites the secrets of opt in place, then empties them.
void wipe_secrets(options& opt) noexcept {
  opt.password.wipe_and_clear();
  opt.passphrase.wipe_and_clear();
}

uint16_t peer_port_of(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

class libssh2_tunnel final : public tunnel::impl {
 public:
  libssh2_tunnel(const tcp_address& dest, const server_address& server, const options& opt,
                 ssh_session session, unique_fd listener)
      : impl(backend::libssh2, bound_port(listener.get())),
        dest_(dest),
        server_(server),
        opt_(opt),
        session_(std::move(session)),
        listener_(std::move(listener)) {
    // The password and passphrase are needed again only to log in again.
    if (!opt_.reconnect) wipe_secrets(opt_);
    worker_.start("zmqsec-tunnel", [this](const core::stop_view& stop) { run(stop); });
  }
  ~libssh2_tunnel() override {
    close();
    wipe_secrets(opt_);
  }

  void close() noexcept override {
    std::call_once(closed_, [this] { worker_.stop(); });
  }

 private:
  void run(const core::stop_view& stop) noexcept;
  bool step(clock::time_point start, const core::stop_view& stop);
  void accept_all();
  void open_channels();
  void pump(connection& c);
  void finish(connection& c);
  bool session_lost(const std::string& what);
  void drop_all_connections();

  tcp_address dest_;
  server_address server_;
  options opt_;
  ssh_session session_;
  unique_fd listener_;
  std::list<connection> connections_;
  std::deque<connection*> opening_;  // waiting for their channel, front first
  bool lost_ = false;
  bool idle_input_ = false;  // unread session data while no channel is open
  bool rerun_ = false;       // libssh2 holds work for a connection: poll without waiting
  std::once_flag closed_;
  core::worker worker_;  // last: stopped before the state its thread uses goes
};

void libssh2_tunnel::accept_all() {
  for (;;) {
    unique_fd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!fd) return;  // EAGAIN, or a connection that went away before we took it
    connection& c = connections_.emplace_back();
    c.peer_port = peer_port_of(fd.get());
    c.fd = std::move(fd);
    opening_.push_back(&c);
    accepted_.fetch_add(1, std::memory_order_relaxed);
    active_.fetch_add(1, std::memory_order_relaxed);
  }
}

// libssh2 opens one channel at a time per session: the front of the queue until it is done.
void libssh2_tunnel::open_channels() {
  while (!opening_.empty() && !lost_) {
    connection& c = *opening_.front();
    LIBSSH2_CHANNEL* ch = libssh2_channel_direct_tcpip_ex(session_.get(), dest_.host.c_str(),
                                                          dest_.port, "127.0.0.1", c.peer_port);
    if (ch == nullptr) {
      const int rc = libssh2_session_last_errno(session_.get());
      if (again(rc)) return;
      if (session_fatal(rc)) {
        session_lost("opening a channel: " + last_error_message(session_.get()));
        return;
      }
      refused_.fetch_add(1, std::memory_order_relaxed);
      report("forwarded connection to " + dest_.to_string() + " refused through " +
             server_.to_string() + ": " + last_error_message(session_.get()));
      opening_.pop_front();
      c.fd.reset();
      c.st = connection::state::closing;
      continue;
    }
    c.channel = ch;
    c.st = connection::state::open;
    opening_.pop_front();
  }
}

void libssh2_tunnel::pump(connection& c) {
  auto broken = [&](int rc) {
    if (session_fatal(rc)) {
      session_lost("forwarding: " + last_error_message(session_.get()));
    } else {
      c.fd.reset();
      c.st = connection::state::closing;
    }
  };
  // Destination to local.
  for (;;) {
    pending& p = c.to_local;
    if (!p.empty()) {
      ssize_t n = ::send(c.fd.get(), p.data.get() + p.begin, p.end - p.begin, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EINTR) break;
        return broken(0);
      }
      p.begin += static_cast<std::size_t>(n);
      if (!p.empty()) break;
      p.clear();
    }
    if (c.remote_eof) break;
    ssize_t n = libssh2_channel_read(c.channel, p.data.get(), buffer_size);
    if (again(n)) break;
    if (n < 0) return broken(static_cast<int>(n));
    if (n == 0) {
      if (libssh2_channel_eof(c.channel)) c.remote_eof = true;
      break;
    }
    p.end = static_cast<std::size_t>(n);
    received_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
  }
  if (c.remote_eof && c.to_local.empty() && !c.local_shut) {
    ::shutdown(c.fd.get(), SHUT_WR);
    c.local_shut = true;
  }
  // Local to destination.
  for (;;) {
    pending& p = c.to_remote;
    if (!p.empty()) {
      ssize_t n = libssh2_channel_write(c.channel, p.data.get() + p.begin, p.end - p.begin);
      c.write_blocked = again(n);
      if (c.write_blocked) break;
      if (n < 0) return broken(static_cast<int>(n));
      p.begin += static_cast<std::size_t>(n);
      sent_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
      if (!p.empty()) continue;
      p.clear();
    }
    if (c.local_eof) break;
    ssize_t n = ::recv(c.fd.get(), p.data.get(), buffer_size, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      return broken(0);
    }
    if (n == 0) {
      c.local_eof = true;
      break;
    }
    p.end = static_cast<std::size_t>(n);
  }
  if (c.local_eof && c.to_remote.empty() && !c.eof_sent) {
    int rc = libssh2_channel_send_eof(c.channel);
    if (rc == 0) c.eof_sent = true;
    if (rc < 0 && !again(rc)) return broken(rc);
  }
  if (c.eof_sent && c.local_shut) {
    c.fd.reset();
    c.st = connection::state::closing;
  }
}

// Frees a closing connection's channel, unless libssh2 still waits for the peer's close.
void libssh2_tunnel::finish(connection& c) {
  if (c.channel != nullptr && c.write_blocked) {
    // A packet of this channel may be half sent: libssh2 sends nothing else until it is done.
    const pending& p = c.to_remote;
    ssize_t n = libssh2_channel_write(c.channel, p.data.get() + p.begin, p.end - p.begin);
    if (again(n)) return;
    c.write_blocked = false;
  }
  if (c.channel != nullptr) {
    int rc = libssh2_channel_free(c.channel);
    if (again(rc)) return;
    c.channel = nullptr;
  }
  c.st = connection::state::closing;
}

void libssh2_tunnel::drop_all_connections() {
  opening_.clear();
  active_.fetch_sub(connections_.size(), std::memory_order_relaxed);
  connections_.clear();  // channels go with the session
}

// Reports a lost session; with reconnect, logs in again. Returns whether forwarding goes on.
bool libssh2_tunnel::session_lost(const std::string& what) {
  lost_ = true;
  report("SSH session to " + server_.to_string() + " lost (" + what + ")");
  return false;
}

bool libssh2_tunnel::step(clock::time_point start, const core::stop_view& stop) {
  std::vector<pollfd> fds;
  fds.push_back({stop.fd(), POLLIN, 0});
  fds.push_back({listener_.get(), POLLIN, 0});
  // Inbound data is wanted when libssh2 waits for it, or when some channel can take data (a
  // channel whose local side is blocked leaves its packets in the socket until it drains). With
  // no connection at all the socket is watched for the end of the session (a peek, below).
  const int dirs = libssh2_session_block_directions(session_.get());
  bool can_take = false;
  for (auto& c : connections_) {
    if (c.st != connection::state::open || (c.to_local.empty() && !c.remote_eof)) can_take = true;
  }
  short ssh_events = 0;
  if ((dirs & LIBSSH2_SESSION_BLOCK_INBOUND) || can_take) ssh_events |= POLLIN;
  if (connections_.empty() && !idle_input_) ssh_events |= POLLIN;
  if (dirs & LIBSSH2_SESSION_BLOCK_OUTBOUND) ssh_events |= POLLOUT;
  fds.push_back({session_.fd(), ssh_events, 0});
  for (auto& c : connections_) {
    short ev = 0;
    if (c.st == connection::state::open) {
      if (c.to_remote.empty() && !c.local_eof) ev |= POLLIN;
      if (!c.to_local.empty()) ev |= POLLOUT;
    }
    // Not watched at all (-1) when nothing is wanted: a hang-up would wake poll() at once.
    fds.push_back({ev != 0 ? c.fd.get() : -1, ev, 0});
  }
  int wait_ms = -1;
  if (opt_.keepalive.count() > 0) {
    int next = 0;
    const int rc = libssh2_keepalive_send(session_.get(), &next);
    if (rc != 0 && !again(rc)) {
      return session_lost("keepalive: " + last_error_message(session_.get()));
    }
    wait_ms = rc == 0 ? std::max(next, 1) * 1000 : 1000;
  }
  if (opt_.timeout.count() > 0) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(start + opt_.timeout - clock::now());
    if (left.count() <= 0 && connections_.empty()) return false;
    if (left.count() > 0) {
      wait_ms = wait_ms < 0 ? static_cast<int>(left.count())
                            : std::min(wait_ms, static_cast<int>(left.count()));
    }
  }
  // While connections are open, poll() wakes at least once a second: libssh2 may hold work for
  // a channel that no socket event announces (has_buffered_work() covers the cases known), and
  // one missed must cost a second, not a stall until the next keepalive (a transfer through the
  // tunnel stalled 20 s once in the ASan suite, December 2026, and then went on).
  if (!connections_.empty() && (wait_ms < 0 || wait_ms > busy_wake_ms)) wait_ms = busy_wake_ms;
  if (rerun_) wait_ms = 0;
  if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) {
    return session_lost(std::string("poll: ") + std::strerror(errno));
  }
  if (stop.requested()) return false;
  if (fds[1].revents & POLLIN) accept_all();
  if (connections_.empty() && (fds[2].revents & (POLLIN | POLLHUP | POLLERR))) {
    char byte = 0;
    ssize_t n = ::recv(session_.fd(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
      return session_lost("the server closed the connection");
    }
    // Something for the session (a global request) that only a channel operation will read.
    idle_input_ = n > 0;
  }
  if (!connections_.empty()) idle_input_ = false;
  open_channels();
  if (lost_) return false;
  for (auto it = connections_.begin(); it != connections_.end() && !lost_;) {
    connection& c = *it;
    if (c.st == connection::state::open) pump(c);
    if (c.st == connection::state::closing && !lost_) finish(c);
    if (c.st == connection::state::closing && c.channel == nullptr) {
      it = connections_.erase(it);
      active_.fetch_sub(1, std::memory_order_relaxed);
    } else {
      ++it;
    }
  }
  const int after = libssh2_session_block_directions(session_.get());
  rerun_ = std::any_of(connections_.begin(), connections_.end(),
                       [&](const connection& c) { return has_buffered_work(c, after); });
  return !lost_;
}

void libssh2_tunnel::run(const core::stop_view& stop) noexcept {
  const auto start = clock::now();
  try {
    for (;;) {
      while (step(start, stop)) {
      }
      if (!lost_ || !opt_.reconnect || stop.requested()) break;
      drop_all_connections();
      session_.reset();
      session_ = establish(server_, opt_);
      lost_ = false;
      reconnects_.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (const std::exception& e) {
    report(std::string("SSH session to ") + server_.to_string() + " lost: " + e.what());
  }
  drop_all_connections();
  session_.reset();
  listener_.reset();
  alive_.store(false, std::memory_order_release);
}

}  // namespace

std::unique_ptr<tunnel::impl> open_libssh2(const tcp_address& dest, const server_address& server,
                                           const options& opt) {
  unique_fd listener = listen_loopback(opt.local_port);  // first: a taken port fails fast
  ssh_session session = establish(server, opt);
  return std::make_unique<libssh2_tunnel>(dest, server, opt, std::move(session),
                                          std::move(listener));
}

}  // namespace zmqsec::tunnel::detail
