// What the cert store benchmark's driver and its measuring child processes share.
//
// Every measurement runs in a fresh child process (the benchmark binary re-executed with
// --child KIND), so that its resident memory grows only by what the store under test costs and
// no allocator state is left over from an earlier measurement. The child prints one line of
// name=value pairs that the driver reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

namespace zmqsec::bench {

/// The stores that are measured.
inline constexpr std::string_view ours_folder = "ours-folder";    // cert_store of a folder
inline constexpr std::string_view ours_memory = "ours-memory";    // in-memory cert_store
inline constexpr std::string_view czmq_folder = "czmq-folder";    // zcertstore_new(dir)
inline constexpr std::string_view czmq_memory = "czmq-memory";    // zcertstore_new(NULL)+insert
inline constexpr std::string_view pyzmq_folder = "pyzmq-folder";  // zmq.auth.load_certificates

/// Names of the figures a child reports.
namespace figure {
inline constexpr std::string_view count = "count";                // certificates in the store
inline constexpr std::string_view load_seconds = "load_seconds";  // building the store, wall clock
inline constexpr std::string_view cpu_seconds = "cpu_seconds";    // the same, process CPU time
inline constexpr std::string_view rss_bytes = "rss_bytes";        // VmRSS growth across that
inline constexpr std::string_view hit_ns = "hit_ns";              // lookup of a present key
inline constexpr std::string_view miss_ns = "miss_ns";            // lookup of an absent key
inline constexpr std::string_view find_hit_ns =
    "find_hit_ns";  // ours: find() instead of contains()
inline constexpr std::string_view find_miss_ns = "find_miss_ns";
inline constexpr std::string_view store_hit_ns = "store_hit_ns";  // ours: current() each time
}  // namespace figure

using figures = std::map<std::string, double, std::less<>>;

/// What a child measures: a store of the count certificates in dir (whose Z85 public keys are
/// listed one per line in keys_file), with lookups timed for lookup_seconds each.
struct child_task {
  std::string kind;
  std::filesystem::path dir;
  std::filesystem::path keys_file;
  std::size_t count = 0;
  double lookup_seconds = 0.2;
};

/// Runs one measurement in this process and prints its figures; returns the exit status.
int run_child(const child_task& task);

/// The resident memory of this process (VmRSS from /proc/self/status), in bytes.
std::size_t resident_bytes();

/// CPU time used by this process (all its threads) so far, in seconds.
double process_cpu_seconds();

/// Seconds since start on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace zmqsec::bench
