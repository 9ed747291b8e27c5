// The lookup of an authorized-keys file's store as part of a real ZAP decision: what
// zmqsec::auth::decide() spends on a CURVE request when the policy's keys come from the file.
//
//   const double ns = zmqsec::bench::keys_file_decide_ns(file, keys, 2000000);
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include <zmqsec/certs/keys.hpp>

namespace zmqsec::bench {

/// Mean ns of decide() over CURVE requests of keys (all in file) picked at random, at least
/// requests of them, after a warm-up; the policy: the file's keys for every domain, no address
/// rules. Throws if a request is not accepted.
double keys_file_decide_ns(const std::filesystem::path& file,
                           const std::vector<certs::public_key>& keys, std::size_t requests);

}  // namespace zmqsec::bench
