// The whole of zmqsec::proxy: a device between two sockets, each side with its own security.
#pragma once

#include <zmqsec/proxy/device.hpp>
#include <zmqsec/proxy/security.hpp>
