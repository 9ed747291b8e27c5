// Storage for secret keys: 32-byte slots carved from guarded, locked pages.
//
// sodium_malloc gives each allocation its own guard pages and mlock, which costs about as much as
// the Curve25519 arithmetic of a keypair (~25 us here). Secret keys are all the same size, so
// one sodium_malloc'd block holds many of them: allocation becomes a free-list pop, the pages
// stay locked out of swap, the block keeps its guard pages, and a released slot is wiped at once.
#pragma once

#include <cstddef>

namespace zmqsec::certs::detail {

/// A zeroed slot of key_size bytes in locked memory. Throws std::bad_alloc.
unsigned char* allocate_secret_slot();

/// Wipes a slot and makes it available again. Accepts null.
void release_secret_slot(unsigned char* slot) noexcept;

}  // namespace zmqsec::certs::detail
