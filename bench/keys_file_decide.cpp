#include "keys_file_decide.hpp"

#include <array>
#include <chrono>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/store_snapshots.hpp>
#include <zmqsec/auth/zap.hpp>

namespace zmqsec::bench {

double keys_file_decide_ns(const std::filesystem::path& file,
                           const std::vector<certs::public_key>& keys, std::size_t requests) {
  namespace za = zmqsec::auth;
  za::policy_config config;
  config.configure_curve_keys_file("*", file, {.follow = false, .on_change = {}});
  const auto policy = config.build();

  // The keys of the requests, copied in their random order first and read in sequence (as
  // lookup_ns does), so that the benchmark adds no cache miss of its own to a decision.
  std::vector<certs::public_key> probes(requests);
  std::mt19937_64 random(43);
  for (auto& p : probes) p = keys[random() % keys.size()];

  za::zap_reply reply;
  za::store_snapshots snapshots;  // kept between requests, as the handler keeps its own
  std::size_t accepted = 0;
  auto decide_all = [&](std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
      const std::array<std::string_view, 7> frames = {
          "1.0",
          "1",
          "",
          "127.0.0.1",
          "",
          "CURVE",
          std::string_view(reinterpret_cast<const char*>(probes[i].data()), certs::key_size)};
      if (za::decide(*policy, frames, reply, nullptr, snapshots) == za::zap_outcome::reply &&
          reply.status == za::zap_status::success) {
        ++accepted;
      }
    }
  };
  decide_all(requests / 10);  // warm-up: the policy's and the store's paths in the caches
  accepted = 0;
  const auto start = std::chrono::steady_clock::now();
  decide_all(requests);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (accepted != requests) {
    throw std::runtime_error("decide: " + std::to_string(requests - accepted) + " of " +
                             std::to_string(requests) + " requests not accepted");
  }
  return seconds * 1e9 / static_cast<double>(requests);
}

}  // namespace zmqsec::bench
