// Checking a ZeroMQ endpoint before libzmq sees it. libzmq takes the port of "tcp://*:99999"
// modulo 65536 (it listens on 34463) and "tcp://127.0.0.1:-1" as 65535, and resolves whatever
// text it is given as a host name; a typo then binds or connects somewhere else, silently. Every
// tool and every library call that takes an endpoint from its user checks it here first.
//
//   zmqsec::core::check_endpoint("tcp://*:5556");        // fine
//   zmqsec::core::check_endpoint("tcp://*:99999");       // throws zmqsec::error:
//   // endpoint tcp://*:99999: port 99999 is out of range (0 to 65535)
#pragma once

#include <string_view>

namespace zmqsec::core {

/// Throws zmqsec::error (errc::invalid_argument), naming the endpoint and what is wrong, unless
/// endpoint is one of:
///   tcp://HOST:PORT        HOST a name, an IPv4 address, [IPv6], an interface or *; PORT 0 to
///                          65535 in decimal digits, or * (any free port, when binding);
///   tcp://SOURCE;HOST:PORT a source address to connect from (SOURCE as HOST:PORT, or HOST);
///   ipc://PATH             PATH not empty and short enough for a Unix socket (107 bytes), or *;
///   inproc://NAME          NAME not empty.
/// Control characters and spaces are refused everywhere; other transports are refused too.
void check_endpoint(std::string_view endpoint);

}  // namespace zmqsec::core
