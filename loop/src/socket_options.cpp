#include "socket_options.hpp"

#include <zmq.h>

#include <cstring>

#include <zmqsec/core/zmq_error.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::loop::detail {
namespace {

// libzmq cannot tell a socket's context, and cppzmq 4.9 keeps it (and the handle) in members
// that are not public. An explicit template instantiation may name them (the standard exempts it
// from access checking): this is the one place that reads and writes them, so that reset() can
// open a socket in the same context and hand it over as a zmq::socket_t.
static_assert(CPPZMQ_VERSION >= ZMQ_MAKE_VERSION(4, 7, 0),
              "socket_t's context and handle members are those of cppzmq 4.7 and later");
struct context_tag {};
struct handle_tag {};
template <class Class, void* Class::*Member, class Tag>
struct member_access {
  friend constexpr void* Class::*member_of(Tag) noexcept { return Member; }
};
template struct member_access<zmq::socket_t, &zmq::socket_t::ctxptr, context_tag>;
template struct member_access<zmq::detail::socket_base, &zmq::detail::socket_base::_handle,
                              handle_tag>;
constexpr void* zmq::socket_t::*member_of(context_tag) noexcept;
constexpr void* zmq::detail::socket_base::*member_of(handle_tag) noexcept;

void* context_of(zmq::socket_t& socket) noexcept {
  return socket.*member_of(context_tag{});
}

// Options that libzmq reads back as they were set. Their order is the order they are applied.
constexpr int int_options[] = {
    ZMQ_LINGER,
    ZMQ_SNDHWM,
    ZMQ_RCVHWM,
    ZMQ_SNDTIMEO,
    ZMQ_RCVTIMEO,
    ZMQ_SNDBUF,
    ZMQ_RCVBUF,
    ZMQ_RECONNECT_IVL,
    ZMQ_RECONNECT_IVL_MAX,
    ZMQ_BACKLOG,
    ZMQ_IMMEDIATE,
    ZMQ_IPV6,
    ZMQ_HANDSHAKE_IVL,
    ZMQ_HEARTBEAT_IVL,
    ZMQ_HEARTBEAT_TTL,
    ZMQ_HEARTBEAT_TIMEOUT,
    ZMQ_CONNECT_TIMEOUT,
    ZMQ_TCP_MAXRT,
    ZMQ_TCP_KEEPALIVE,
    ZMQ_TCP_KEEPALIVE_IDLE,
    ZMQ_TCP_KEEPALIVE_CNT,
    ZMQ_TCP_KEEPALIVE_INTVL,
    ZMQ_TOS,
    ZMQ_MULTICAST_HOPS,
    ZMQ_RATE,
    ZMQ_RECOVERY_IVL,
    93,  // ZMQ_ZAP_ENFORCE_DOMAIN (draft constant; works in Debian's 4.3.4)
};
constexpr int plain_options[] = {ZMQ_ZAP_DOMAIN, ZMQ_ROUTING_ID, ZMQ_SOCKS_PROXY};

bool read_int(zmq::socket_t& s, int option, int& value) {
  std::size_t size = sizeof value;
  return zmq_getsockopt(s.handle(), option, &value, &size) == 0;
}

void read_bytes(zmq::socket_t& s, int option, socket_settings& out) {
  std::string value(256, '\0');
  std::size_t size = value.size();
  if (zmq_getsockopt(s.handle(), option, value.data(), &size) != 0) return;
  // String options come back with their terminating NUL; binary ones (routing id, keys) without.
  if (option != ZMQ_ROUTING_ID && option != ZMQ_CURVE_PUBLICKEY && option != ZMQ_CURVE_SECRETKEY &&
      option != ZMQ_CURVE_SERVERKEY && size > 0 && value[size - 1] == '\0') {
    --size;
  }
  value.resize(size);
  if (option == ZMQ_ROUTING_ID && value.empty()) return;  // none was set
  out.bytes.emplace_back(option, std::move(value));
}

void read_credentials(zmq::socket_t& s, socket_settings& out) {
  int mechanism = ZMQ_NULL;
  if (!read_int(s, ZMQ_MECHANISM, mechanism)) return;
  int server = 0;
  if (mechanism == ZMQ_PLAIN) {
    if (read_int(s, ZMQ_PLAIN_SERVER, server) && server != 0) {
      out.ints.emplace_back(ZMQ_PLAIN_SERVER, 1);
    } else {
      read_bytes(s, ZMQ_PLAIN_USERNAME, out);
      read_bytes(s, ZMQ_PLAIN_PASSWORD, out);
    }
  } else if (mechanism == ZMQ_CURVE) {
    if (read_int(s, ZMQ_CURVE_SERVER, server) && server != 0) {
      out.ints.emplace_back(ZMQ_CURVE_SERVER, 1);
    } else {
      read_bytes(s, ZMQ_CURVE_SERVERKEY, out);
      read_bytes(s, ZMQ_CURVE_PUBLICKEY, out);
    }
    read_bytes(s, ZMQ_CURVE_SECRETKEY, out);
  }
}

void set(zmq::socket_t& s, int option, const void* value, std::size_t size) {
  if (zmq_setsockopt(s.handle(), option, value, size) != 0) {
    core::throw_zmq_error("async_socket::reset: cannot set option " + std::to_string(option));
  }
}

}  // namespace

socket_settings::~socket_settings() {
  for (auto& [option, value] : bytes) ::explicit_bzero(value.data(), value.size());
}

void read_settings(zmq::socket_t& socket, socket_settings& out) {
  out.context = context_of(socket);
  if (out.context == nullptr || !read_int(socket, ZMQ_TYPE, out.type)) {
    throw zmqsec::error(errc::invalid_argument, "async_socket::reset: the socket is closed");
  }
  for (int option : int_options) {
    if (int value = 0; read_int(socket, option, value)) out.ints.emplace_back(option, value);
  }
  std::int64_t max_size = -1;
  std::size_t size = sizeof max_size;
  if (zmq_getsockopt(socket.handle(), ZMQ_MAXMSGSIZE, &max_size, &size) == 0) {
    out.int64s.emplace_back(ZMQ_MAXMSGSIZE, max_size);
  }
  std::uint64_t affinity = 0;
  size = sizeof affinity;
  if (zmq_getsockopt(socket.handle(), ZMQ_AFFINITY, &affinity, &size) == 0) {
    out.uint64s.emplace_back(ZMQ_AFFINITY, affinity);
  }
  for (int option : plain_options) read_bytes(socket, option, out);
  read_credentials(socket, out);
}

zmq::socket_t make_socket_like(const socket_settings& settings) {
  void* handle = zmq_socket(settings.context, settings.type);
  if (handle == nullptr) core::throw_zmq_error("async_socket::reset: cannot open a socket");
  zmq::socket_t socket;
  socket.*member_of(handle_tag{}) = handle;
  socket.*member_of(context_tag{}) = settings.context;
  // Only what differs from a fresh socket's value is set: some defaults (-1 for "as the other
  // option says") cannot be set back explicitly.
  for (const auto& [option, value] : settings.ints) {
    if (int now = 0; !read_int(socket, option, now) || now != value) {
      set(socket, option, &value, sizeof value);
    }
  }
  for (const auto& [option, value] : settings.int64s) {
    if (value != -1) set(socket, option, &value, sizeof value);  // -1: no limit, the default
  }
  for (const auto& [option, value] : settings.uint64s) {
    if (value != 0) set(socket, option, &value, sizeof value);  // 0: any I/O thread, the default
  }
  for (const auto& [option, value] : settings.bytes) {
    if (!value.empty()) set(socket, option, value.data(), value.size());
  }
  return socket;
}

}  // namespace zmqsec::loop::detail
