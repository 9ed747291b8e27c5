// The pieces of zmqsec_bench_auth's C++ children (auth_children.cpp) that the policy children
// (auth_policy_children.cpp) measure with too.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "auth_children.hpp"

namespace zmqsec::bench::auth {

using clock_type = std::chrono::steady_clock;
using figures = std::map<std::string, double, std::less<>>;

/// A handler that can be stopped and started again: measured in pairs with the anchors.
struct pausable {
  std::function<void()> pause;   // stops the handler (unbinds the ZAP endpoint)
  std::function<void()> resume;  // starts it again
};

struct one_run {
  double rate = 0;
  double failures = 0;
  double longest_gap = 0;  // seconds between two completions (handshakes)
};

double median(std::vector<double> values);
std::vector<std::string> read_words(const std::filesystem::path& file);

/// CURVE handshakes against a server in ctx for seconds (after task.warmup).
one_run handshakes_once(const child_task& task, void* ctx, double seconds);

/// Measures the handler set up by setup(ctx), which returns what tears it down (or an empty
/// function): setup time, resident memory, raw ZAP requests/s and CURVE handshakes/s, in pairs
/// with the anchors when pairing is given and task.pairs > 0 (see auth_children.cpp).
figures measure(const child_task& task, void* ctx,
                const std::function<std::function<void()>()>& setup,
                bool teardown_before_handshakes = false, const pausable* pairing = nullptr);

#if ZMQSEC_BENCH_HAVE_OURS
/// ours-file: ours with its policy (the folder and the allow rules) loaded from a TOML file.
figures measure_ours_file(const child_task& task);
/// ours-replace: CURVE handshakes while another thread replace()s the whole policy over and
/// over, against the same handshakes without replacing: failures and the longest gap.
figures measure_ours_replace(const child_task& task);
#endif

}  // namespace zmqsec::bench::auth
