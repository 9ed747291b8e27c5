// zmqsec::loop: ZeroMQ sockets on an event loop. The adapters for Asio and libuv
// (<zmqsec/loop/asio.hpp>, <zmqsec/loop/uv.hpp>) are included on their own: they need their
// libraries.
#pragma once

#include <zmqsec/loop/event_loop.hpp>
#include <zmqsec/loop/reactor.hpp>
#include <zmqsec/loop/socket_watch.hpp>
#include <zmqsec/loop/stream.hpp>
