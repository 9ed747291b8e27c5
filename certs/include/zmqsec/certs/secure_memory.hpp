// Memory for secrets, under the names the certs module has always used for it: see
// <zmqsec/core/secret_memory.hpp> (out of core dumps, locked when allowed, wiped).
//
//   zmqsec::certs::secret_string z85 = secret.z85();   // never in a core, wiped when z85 goes
#pragma once

#include <zmqsec/core/secret_memory.hpp>

namespace zmqsec::certs {

/// An allocator of secret memory (out of core dumps, wiped before it is reused or released).
template <class T>
using wiping_allocator = core::secret_allocator<T>;

/// A string for secret text (Z85 secret keys, passwords, secret certificate files).
using secret_string = core::secret_string;

}  // namespace zmqsec::certs
