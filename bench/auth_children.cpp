// The C++ children of zmqsec_bench_auth (see auth_children.hpp): our thread_authenticator,
// CZMQ's zauth actor and the always-200 anchor, each in a fresh process.
#include "auth_children.hpp"

#include <czmq.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth_bench.hpp"
#include "auth_child_parts.hpp"

#ifndef ZMQSEC_BENCH_HAVE_OURS
#define ZMQSEC_BENCH_HAVE_OURS 0
#endif
#if ZMQSEC_BENCH_HAVE_OURS
#include <zmq.hpp>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/cert_store.hpp>
#endif

namespace zmqsec::bench::auth {

static std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  throw std::runtime_error("no VmRSS in /proc/self/status");
}

std::vector<std::string> read_words(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::vector<std::string> words;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    if (std::string word; fields >> word) words.push_back(word);
  }
  return words;
}

static std::string describe(const zmqsec_bench_result& r) {
  return std::to_string(static_cast<long>(r.failures)) + " failures, the first: " + r.first_failure;
}

double median(std::vector<double> values) {
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const auto m = values.size() / 2;
  return values.size() % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

static one_run zap_once(const child_task& task, void* ctx, double seconds) {
  zmqsec_bench_result r{};
  zmqsec_bench_zap_drive(ctx, task.hits.c_str(), task.addresses.c_str(), 0, task.zap_one_cpu,
                         task.warmup, seconds, task.in_flight, &r);
  if (r.failures != 0) std::cerr << task.kind << ": ZAP requests: " << describe(r) << '\n';
  return {r.seconds > 0 ? r.completed / r.seconds : 0, r.failures};
}

one_run handshakes_once(const child_task& task, void* ctx, double seconds) {
  std::ifstream in(task.server_keys);
  std::string server_public, server_secret;
  in >> server_public >> server_secret;
  zmqsec_bench_result r{};
  zmqsec_bench_handshake_drive(ctx, server_public.c_str(), server_secret.c_str(),
                               task.clients.c_str(), task.warmup, seconds,
                               task.handshakes_in_flight, &r);
  if (r.failures != 0) std::cerr << task.kind << ": CURVE handshakes: " << describe(r) << '\n';
  return {r.seconds > 0 ? r.completed / r.seconds : 0, r.failures, r.longest_gap};
}

/// Runs the handler and its anchor (run with the handler paused) task.pairs times each,
/// alternating which goes first, and reports the medians of both rates and of the ratios of the
/// pairs as prefix_rate, prefix_anchor_rate and prefix_ratio (and each pair's figures, as
/// prefix_rate_I, prefix_anchor_rate_I and prefix_ratio_I). Paired seconds apart in one
/// process, the two share whatever load the machine has at the time. A first pair of half
/// length is not counted: whichever side ran first in a fresh process came out some 10-20%
/// slower (caches, page faults, the first connections), which would favour the side that runs
/// second in most pairs. run(seconds) and anchor(seconds) measure one side.
static void paired(figures& out, std::string_view prefix, int pairs, double seconds,
                   const pausable& handler, const std::function<one_run(double)>& run,
                   const std::function<one_run(double)>& anchor) {
  std::vector<double> ours, anchors, ratios;
  double failures = 0;
  auto run_ours = [&](double s) {
    const auto r = run(s);
    failures += r.failures;
    return r.rate;
  };
  auto run_anchor = [&](double s) {
    handler.pause();
    const auto r = anchor(s);
    handler.resume();
    failures += r.failures;
    return r.rate;
  };
  run_ours(seconds / 2);  // the warm-up pair
  run_anchor(seconds / 2);
  for (int i = 0; i < pairs; ++i) {
    if (i % 2 == 0) {
      ours.push_back(run_ours(seconds));
      anchors.push_back(run_anchor(seconds));
    } else {
      anchors.push_back(run_anchor(seconds));
      ours.push_back(run_ours(seconds));
    }
    ratios.push_back(anchors.back() > 0 ? ours.back() / anchors.back() : 0);
  }
  const std::string p(prefix);
  for (std::size_t i = 0; i < ratios.size(); ++i) {  // each pair, for pooling across children
    out[p + "_rate_" + std::to_string(i)] = ours[i];
    out[p + "_anchor_rate_" + std::to_string(i)] = anchors[i];
    out[p + "_ratio_" + std::to_string(i)] = ratios[i];
  }
  out[p + "_rate"] = median(ours);
  out[p + "_anchor_rate"] = median(anchors);
  out[p + "_ratio"] = median(ratios);
  out[p + "_failures"] = failures;
}

/// Measures the handler set up by setup(ctx), which returns what tears it down (or an empty
/// function): setup time and resident memory up to its first answered request, then raw ZAP
/// requests/s and, after the handler is torn down if teardown_before_handshakes, CURVE
/// handshakes/s with a server in ctx, each after an unmeasured run of half the length (see
/// paired()). With pairing (and task.pairs > 0) both rates are measured in pairs with their
/// anchors instead: the always-200 handler, and no handler at all.
figures measure(const child_task& task, void* ctx,
                const std::function<std::function<void()>()>& setup,
                bool teardown_before_handshakes, const pausable* pairing) {
  figures out;
  zmqsec_bench_result r{};
  // Freed heap that stays resident would be reused without showing in the difference.
  ::malloc_trim(0);
  const std::size_t before = resident_bytes();
  const auto start = clock_type::now();
  auto teardown = setup();
  if (zmqsec_bench_zap_drive(ctx, task.hits.c_str(), task.addresses.c_str(), 1, 0, 0, 0, 1, &r) !=
          0 ||
      r.failures != 0) {
    throw std::runtime_error("the first request: " + describe(r));
  }
  out[std::string(figure::setup_seconds)] =
      std::chrono::duration<double>(clock_type::now() - start).count();
  out[std::string(figure::rss_bytes)] =
      static_cast<double>(resident_bytes()) - static_cast<double>(before);

  const bool pair = pairing != nullptr && task.pairs > 0;
  if (task.zap_seconds > 0) {
    if (pair) {
      paired(
          out, "zap", task.pairs, task.zap_seconds, *pairing,
          [&](double seconds) { return zap_once(task, ctx, seconds); },
          [&](double seconds) {
            void* floor = zmqsec_bench_floor_start(ctx);
            if (floor == nullptr) throw std::runtime_error("cannot bind the always-200 handler");
            const auto r = zap_once(task, ctx, seconds);
            zmqsec_bench_floor_stop(floor);
            return r;
          });
    } else {
      const auto warm = zap_once(task, ctx, task.zap_seconds / 2);  // as for the pairs
      const auto r = zap_once(task, ctx, task.zap_seconds);
      out[std::string(figure::zap_rate)] = r.rate;
      out[std::string(figure::zap_failures)] = warm.failures + r.failures;
    }
  }
  if (teardown_before_handshakes && teardown) {
    teardown();
    teardown = nullptr;
  }
  if (task.handshake_seconds > 0) {
    auto once = [&](double seconds) { return handshakes_once(task, ctx, seconds); };
    if (pair) {
      paired(out, "hs", task.pairs, task.handshake_seconds, *pairing, once, once);
    } else {
      const auto warm = once(task.handshake_seconds / 2);
      const auto r = once(task.handshake_seconds);
      out[std::string(figure::hs_rate)] = r.rate;
      out[std::string(figure::hs_failures)] = warm.failures + r.failures;
    }
  }
  return out;
}

namespace {

// ---- the always-200 anchor (and no handler at all for the handshakes) ----

figures measure_floor(const child_task& task) {
  void* ctx = zmq_ctx_new();
  return measure(
      task, ctx,
      [&]() -> std::function<void()> {
        void* handle = zmqsec_bench_floor_start(ctx);
        if (handle == nullptr) throw std::runtime_error("cannot bind the always-200 handler");
        return [handle] { zmqsec_bench_floor_stop(handle); };
      },
      /*teardown_before_handshakes=*/true);
}

/// The always-200 anchor spinning task.busy_ns per request, paired with the plain one like ours:
/// how much a given amount of work per decision costs against the anchor in this harness.
figures measure_floor_busy(const child_task& task) {
  void* ctx = zmq_ctx_new();
  void* handle = nullptr;
  auto start = [&] {
    handle = zmqsec_bench_floor_start_busy(ctx, task.busy_ns);
    if (handle == nullptr) throw std::runtime_error("cannot bind the busy always-200 handler");
  };
  const pausable pairing{[&] { zmqsec_bench_floor_stop(handle); }, start};
  return measure(
      task, ctx,
      [&]() -> std::function<void()> {
        start();
        return {};
      },
      false, &pairing);
}

// ---- CZMQ zauth ----

/// Sends a zauth command with arguments and waits for the actor's acknowledgement.
void zauth_command(zactor_t* auth, const char* command, const std::vector<std::string>& args) {
  zmsg_t* msg = zmsg_new();
  zmsg_addstr(msg, command);
  for (const auto& a : args) zmsg_addstr(msg, a.c_str());
  if (zmsg_send(&msg, auth) != 0) throw std::runtime_error("cannot send to zauth");
  if (zsock_wait(auth) != 0) throw std::runtime_error(std::string("zauth refused ") + command);
}

figures measure_czmq(const child_task& task) {
  // zauth binds in CZMQ's own context; the load and the handshake server must live there too.
  void* ctx = zsys_init();
  const auto rules = read_words(task.rules);
  std::vector<std::array<unsigned char, 32>> keys;
  if (task.kind == czmq_memory_kind) {
    for (const auto& text : read_words(task.hits)) {
      std::array<unsigned char, 32> key{};
      if (text.size() != 40 || zmq_z85_decode(key.data(), text.c_str()) == nullptr) {
        throw std::runtime_error(task.hits.string() + ": not a Z85 key");
      }
      keys.push_back(key);
    }
  }
  zactor_t* auth = nullptr;
  auto out = measure(task, ctx, [&]() -> std::function<void()> {
    zcertstore_t* store = nullptr;
    if (task.kind == czmq_memory_kind) {
      // The in-memory store, as a program builds it from its own keys (the certificates carry a
      // name, as the folder's do); zauth takes it over.
      static const unsigned char no_secret[32] = {};
      store = zcertstore_new(nullptr);
      for (std::size_t i = 0; i < keys.size(); ++i) {
        zcert_t* cert = zcert_new_from(keys[i].data(), no_secret);
        zcert_set_meta(cert, "name", "client-%zu", i);
        zcertstore_insert(store, &cert);
      }
    }
    auth = zactor_new(zauth, store);
    if (auth == nullptr) throw std::runtime_error("zactor_new(zauth) failed");
    zauth_command(auth, "ALLOW", rules);
    if (task.kind == czmq_any_kind) zauth_command(auth, "CURVE", {CURVE_ALLOW_ANY});
    if (task.kind == czmq_folder_kind) zauth_command(auth, "CURVE", {task.folder.string()});
    return {};
  });
  // No zactor_destroy: with a folder store, requests still queued would delay it for seconds.
  return out;
}

// ---- ours ----

#if ZMQSEC_BENCH_HAVE_OURS
figures measure_ours(const child_task& task) {
  namespace za = zmqsec::auth;
  zmq::context_t ctx;
  const auto rules = read_words(task.rules);
  std::unique_ptr<za::thread_authenticator> auth;
  const pausable pairing{[&] { auth->stop(); }, [&] { auth->start(); }};
  return measure(
      task, ctx.handle(),
      [&]() -> std::function<void()> {
        auth = std::make_unique<za::thread_authenticator>(ctx);
        auth->allow(rules);
        auth->configure_curve("*", task.folder);
        auth->start();
        return {};
      },
      false, &pairing);
}

/// The decision alone, without sockets: the policy ours is configured with (the folder and the
/// allow rules), deciding the requests the driver sends, in batches of 8 as the handler does.
/// Warm: batch after batch. Cold: 1 MiB (one core's L2 here) read between batches first, a
/// rough stand-in for what the driver, libzmq and the context switches do to the caches between
/// the handler's turns in the raw ZAP benchmark.
figures measure_decide(const child_task& task) {
  namespace za = zmqsec::auth;
  za::policy_config config;
  config.allow(read_words(task.rules));
  config.configure_curve("*", task.folder);
  const auto policy = config.build();
  const auto keys = read_words(task.hits);
  const auto addresses = read_words(task.addresses);
  std::vector<std::array<unsigned char, 32>> raw(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].size() != 40 || zmq_z85_decode(raw[i].data(), keys[i].c_str()) == nullptr) {
      throw std::runtime_error(task.hits.string() + ": not a Z85 key");
    }
  }
  std::vector<char> junk(1 << 20, 1);  // the L2 cache of one core here
  za::zap_reply reply;
  za::store_snapshots snapshots;  // kept between requests, as the handler keeps its own
  std::size_t next = 0;
  long accepted = 0, checksum = 0;
  const std::vector<std::string> ids = {"1", "22", "333", "4444", "55555", "666666", "7", "88"};
  auto batches = [&](int count, bool cold) {
    double seconds = 0;
    for (int b = 0; b < count; ++b) {
      if (cold) {
        for (std::size_t j = 0; j < junk.size(); j += 64) checksum += junk[j];
      }
      std::array<std::array<std::string_view, 7>, 8> frames;
      for (std::size_t i = 0; i < 8; ++i, ++next) {
        const auto& key = raw[next % raw.size()];
        frames[i] = {"1.0",
                     ids[i],
                     "",
                     addresses[next % addresses.size()],
                     "",
                     "CURVE",
                     std::string_view(reinterpret_cast<const char*>(key.data()), key.size())};
      }
      const auto start = clock_type::now();
      for (auto& f : frames) {
        if (za::decide(*policy, f, reply, nullptr, snapshots) == za::zap_outcome::reply &&
            reply.status == za::zap_status::success) {
          ++accepted;
        }
      }
      seconds += std::chrono::duration<double>(clock_type::now() - start).count();
    }
    return seconds * 1e9 / (count * 8.0);
  };
  const int count = std::max(200, static_cast<int>(task.zap_seconds * 20000));
  std::vector<double> warm, cold;
  batches(count, false);  // warm-up
  for (int round = 0; round < 5; ++round) {
    warm.push_back(batches(count, false));
    cold.push_back(batches(count / 10 + 1, true));
  }
  const long expected = static_cast<long>(next);
  if (accepted != expected || checksum == 0) {
    throw std::runtime_error("decide: " + std::to_string(expected - accepted) + " of " +
                             std::to_string(expected) + " requests not accepted");
  }
  return {{std::string(figure::decide_warm_ns), median(warm)},
          {std::string(figure::decide_cold_ns), median(cold)}};
}

/// The same handler with one certificate store per count, swapped in turn (configure_curve
/// publishes a new policy; the rules stay): the rates with different counts are measured seconds
/// apart in one process, so the machine's load hardly differs between them. Each round runs
/// every count once, the order rotated by one each round; a first round of half-length runs
/// is not counted.
figures measure_ours_flat(const child_task& task) {
  namespace za = zmqsec::auth;
  namespace zc = zmqsec::certs;
  zmq::context_t ctx;
  const auto rules = read_words(task.rules);
  struct one_count {
    std::size_t n;
    std::shared_ptr<const zc::cert_store> store;
    child_task task;  // with this count's hits
  };
  std::vector<one_count> counts;
  for (const std::size_t n : task.flat_counts) {
    const auto name = "auth-certs-" + std::to_string(n);
    one_count c{n, std::make_shared<const zc::cert_store>(task.flat_cache / name), task};
    c.task.hits = task.flat_cache / (name + ".keys");
    counts.push_back(std::move(c));
  }
  za::thread_authenticator auth{ctx};
  auth.allow(rules);
  auth.configure_curve("*", counts.front().store);
  auth.start();
  figures out;
  double failures = 0;
  for (int round = -1; round < task.rounds; ++round) {
    for (std::size_t k = 0; k < counts.size(); ++k) {
      auto& c = counts[(k + static_cast<std::size_t>(std::max(round, 0))) % counts.size()];
      auth.configure_curve("*", c.store);
      const auto r =
          zap_once(c.task, ctx.handle(), round < 0 ? task.zap_seconds / 2 : task.zap_seconds);
      failures += r.failures;
      if (round >= 0) {
        out["flat_rate_" + std::to_string(c.n) + "_" + std::to_string(round)] = r.rate;
      }
    }
  }
  out[std::string(figure::flat_failures)] = failures;
  return out;
}
#endif

}  // namespace

bool ours_built() {
  return ZMQSEC_BENCH_HAVE_OURS != 0;
}

int run_child(const child_task& task) {
  // A handler that hangs must not hang the whole benchmark.
  ::alarm(600);
  try {
    figures out;
    if (task.kind == floor_kind) {
      out = measure_floor(task);
    } else if (task.kind == floor_busy_kind) {
      out = measure_floor_busy(task);
    } else if (task.kind == czmq_memory_kind || task.kind == czmq_any_kind ||
               task.kind == czmq_folder_kind) {
      out = measure_czmq(task);
#if ZMQSEC_BENCH_HAVE_OURS
    } else if (task.kind == ours_kind) {
      out = measure_ours(task);
    } else if (task.kind == decide_kind) {
      out = measure_decide(task);
    } else if (task.kind == ours_flat_kind) {
      out = measure_ours_flat(task);
    } else if (task.kind == ours_file_kind) {
      out = measure_ours_file(task);
    } else if (task.kind == ours_replace_kind) {
      out = measure_ours_replace(task);
#endif
    } else {
      throw std::runtime_error("unknown handler kind " + task.kind);
    }
    for (const auto& [name, value] : out) std::printf("%s=%.9g ", name.c_str(), value);
    std::printf("\n");
    std::fflush(stdout);
    // No orderly shutdown: a slow handler with requests still queued would only delay the exit.
    std::_Exit(0);
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_auth --child " << task.kind << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace zmqsec::bench::auth
