// The certs module in one include: Z85, CURVE keys, ZPL, certificate files, certificate stores.
#pragma once

#include <zmqsec/certs/authorized_keys.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/certs/secure_memory.hpp>
#include <zmqsec/certs/z85.hpp>
#include <zmqsec/certs/zpl.hpp>
