// The tunnel module in one include: SSH port forwards for ZeroMQ connections through libssh2
// (in-process) or OpenSSH (a child ssh), with strict host key checking.
#pragma once

#include <zmqsec/tunnel/address.hpp>
#include <zmqsec/tunnel/error.hpp>
#include <zmqsec/tunnel/open.hpp>
#include <zmqsec/tunnel/options.hpp>
#include <zmqsec/tunnel/tunnel.hpp>
