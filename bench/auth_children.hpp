// The measuring side of zmqsec_bench_auth: one ZAP handler set up in a fresh process, its memory
// weighed, then driven (raw ZAP requests, then CURVE handshakes) by the code of auth_drivers.cpp.
// The child prints one line of name=value figures that the driver process reads; pyzmq's child
// (auth_pyzmq.py) prints the same figures.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace zmqsec::bench::auth {

/// The handlers measured in a C++ child.
inline constexpr std::string_view floor_kind = "floor";                // always-200, then none
inline constexpr std::string_view floor_busy_kind = "floor-busy";      // always-200 + busy_ns
inline constexpr std::string_view decide_kind = "decide";              // decide() alone, no sockets
inline constexpr std::string_view ours_kind = "ours";                  // thread_authenticator
inline constexpr std::string_view ours_flat_kind = "ours-flat";        // ... swapping its stores
inline constexpr std::string_view ours_file_kind = "ours-file";        // ... policy from a file
inline constexpr std::string_view ours_replace_kind = "ours-replace";  // ... replace() under load
inline constexpr std::string_view czmq_memory_kind = "czmq-memory";    // zauth + in-memory store
inline constexpr std::string_view czmq_any_kind = "czmq-any";          // zauth, CURVE_ALLOW_ANY
inline constexpr std::string_view czmq_folder_kind = "czmq-folder";    // zauth, CURVE folder

/// Names of the figures a child reports.
namespace figure {
inline constexpr std::string_view setup_seconds = "setup_seconds";  // handler ready, wall clock
inline constexpr std::string_view rss_bytes = "rss_bytes";  // VmRSS growth: handler + policy
inline constexpr std::string_view zap_rate = "zap_rate";    // ZAP replies per second
inline constexpr std::string_view zap_failures = "zap_failures";
inline constexpr std::string_view hs_rate = "hs_rate";  // CURVE handshakes per second
inline constexpr std::string_view hs_failures = "hs_failures";
// Paired runs (ours): the rates are medians of the handler's runs, and these are the medians of
// its anchor's runs (always-200 handler; no handler) and of the ratios of the pairs.
inline constexpr std::string_view zap_anchor_rate = "zap_anchor_rate";
inline constexpr std::string_view zap_ratio = "zap_ratio";
inline constexpr std::string_view hs_anchor_rate = "hs_anchor_rate";
inline constexpr std::string_view hs_ratio = "hs_ratio";
// ours-flat: flat_rate_N_R, the rate with N certificates in round R, and flat_failures.
inline constexpr std::string_view flat_failures = "flat_failures";
// ours-replace: handshakes while the policy is replaced over and over, and without: rates,
// failures, the longest gap between two handshakes (seconds), and the replaces done.
inline constexpr std::string_view replace_hs_rate = "replace_hs_rate";
inline constexpr std::string_view replace_hs_failures = "replace_hs_failures";
inline constexpr std::string_view replace_longest_gap = "replace_longest_gap";
inline constexpr std::string_view replace_count = "replace_count";
inline constexpr std::string_view replace_seconds = "replace_seconds";  // one replace(), mean
inline constexpr std::string_view steady_hs_rate = "steady_hs_rate";
inline constexpr std::string_view steady_longest_gap = "steady_longest_gap";
// ... and the longest gap between two raw ZAP replies, with and without replacing.
inline constexpr std::string_view steady_zap_gap = "steady_zap_gap";
inline constexpr std::string_view replace_zap_gap = "replace_zap_gap";
inline constexpr std::string_view replace_zap_failures = "replace_zap_failures";
// decide: nanoseconds per decision, warm (back to back) and cold (1 MiB read between batches).
inline constexpr std::string_view decide_warm_ns = "decide_warm_ns";
inline constexpr std::string_view decide_cold_ns = "decide_cold_ns";
}  // namespace figure

/// One measurement: the handler of kind, configured with the certificates of folder (whose keys
/// are listed in hits) and the address rules of rules (allow), driven with the keys of hits and
/// the addresses of addresses. handshake_seconds 0: no handshake measurement.
struct child_task {
  std::string kind;
  std::filesystem::path folder;
  std::filesystem::path hits;
  std::filesystem::path addresses;
  std::filesystem::path rules;
  std::filesystem::path clients;
  std::filesystem::path server_keys;
  double warmup = 0.2;
  double zap_seconds = 1.0;
  double handshake_seconds = 0;
  bool zap_one_cpu = true;  // raw ZAP load on one CPU (see zmqsec_bench_zap_drive)
  int pairs = 0;            // > 0: a handler that can pause is measured in pairs with its anchors
  // ours-flat: one store per count (cache/auth-certs-N, keys in cache/auth-certs-N.keys), the
  // handler's CURVE store swapped from one to the next between runs, for rounds rounds.
  std::filesystem::path flat_cache;
  std::vector<std::size_t> flat_counts;
  int rounds = 3;
  long busy_ns = 0;  // floor-busy: nanoseconds of busy work per request
  int in_flight = 32;
  int handshakes_in_flight = 16;
};

/// Runs one measurement in this process and prints its figures; returns the exit status.
int run_child(const child_task& task);

/// True when this build measures our thread_authenticator.
bool ours_built();

}  // namespace zmqsec::bench::auth
