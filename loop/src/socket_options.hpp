// What async_socket::reset() carries from an old socket to its fresh one: the socket's context
// and type, and every option libzmq lets us read back.
#pragma once

#include <zmq.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace zmqsec::loop::detail {

struct socket_settings {
  void* context = nullptr;
  int type = 0;
  std::vector<std::pair<int, int>> ints;
  std::vector<std::pair<int, std::int64_t>> int64s;
  std::vector<std::pair<int, std::uint64_t>> uint64s;
  // Binary options (routing id, ZAP domain, credentials). Secret ones are wiped on destruction.
  std::vector<std::pair<int, std::string>> bytes;

  socket_settings() = default;
  socket_settings(const socket_settings&) = delete;
  socket_settings& operator=(const socket_settings&) = delete;
  ~socket_settings();
};

/// Reads the settings of socket. Throws zmqsec::error if the context cannot be known.
void read_settings(zmq::socket_t& socket, socket_settings& out);

/// A new socket with settings applied (not bound, not connected).
zmq::socket_t make_socket_like(const socket_settings& settings);

}  // namespace zmqsec::loop::detail
