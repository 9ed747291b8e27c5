// The measuring side of zmqsec_bench_store: builds one store in a fresh process, reports the
// time it took and the resident memory it added, then times lookups of present and absent keys.
#include <czmq.h>
#include <malloc.h>
#include <time.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "store_bench.hpp"

namespace zc = zmqsec::certs;

namespace zmqsec::bench {
namespace {

using clock = std::chrono::steady_clock;

/// Lookups cycle through this many keys (a power of two, so the index is a mask).
constexpr std::size_t sample_size = 4096;

/// The keys lookups are timed with: present ones drawn from the store, absent ones random.
struct samples {
  std::vector<zc::public_key> hits;
  std::vector<zc::public_key> misses;
  std::vector<std::string> hit_texts;  // Z85, for CZMQ's lookup by text
  std::vector<std::string> miss_texts;
};

std::vector<zc::public_key> read_keys(const std::filesystem::path& file, std::size_t count) {
  std::ifstream in(file);
  std::vector<zc::public_key> keys;
  keys.reserve(count);
  for (std::string line; std::getline(in, line);) keys.push_back(zc::public_key::from_z85(line));
  if (keys.size() != count) {
    throw std::runtime_error(file.string() + ": " + std::to_string(keys.size()) +
                             " keys, expected " + std::to_string(count));
  }
  return keys;
}

samples draw_samples(const std::vector<zc::public_key>& keys) {
  std::mt19937_64 gen(42);
  std::uniform_int_distribution<std::size_t> pick(0, keys.size() - 1);
  samples s;
  for (std::size_t i = 0; i < sample_size; ++i) {
    // With fewer keys than samples every key is looked up; beyond that a random selection.
    s.hits.push_back(keys.size() <= sample_size ? keys[i % keys.size()] : keys[pick(gen)]);
    std::array<unsigned char, zc::key_size> random{};
    for (auto& b : random) b = static_cast<unsigned char>(gen());
    s.misses.push_back(zc::public_key(random));
  }
  for (const auto& k : s.hits) s.hit_texts.push_back(k.z85());
  for (const auto& k : s.misses) s.miss_texts.push_back(k.z85());
  return s;
}

/// Nanoseconds per call of lookup(i) for i = 0, 1, ..., in batches that double until the
/// budget is spent (so a slow lookup runs a few times, a fast one millions of times). Throws if
/// a lookup disagrees with expected, so a broken store cannot report a fast wrong answer.
template <class Lookup>
double ns_per_lookup(double budget_seconds, bool expected, Lookup lookup) {
  std::size_t done = 0;
  std::size_t wrong = 0;
  const auto start = clock::now();
  for (std::size_t batch = 1;; batch *= 2) {
    for (std::size_t i = done; i < done + batch; ++i) {
      if (lookup(i & (sample_size - 1)) != expected) ++wrong;
    }
    done += batch;
    const double elapsed = seconds_since(start);
    if (wrong != 0) {
      throw std::runtime_error(
          std::to_string(wrong) + " lookups answered " +
          (expected ? "absent for a present key" : "present for an absent key"));
    }
    if (elapsed >= budget_seconds) return elapsed * 1e9 / static_cast<double>(done);
  }
}

/// Memory and time of building a store: build() runs between two readings of VmRSS.
template <class Build>
void measure_load(figures& out, Build build) {
  // Freed heap memory that stays resident would be reused by the store without showing up in
  // the difference; give it back first so the delta is everything the store touches.
  ::malloc_trim(0);
  const std::size_t before = resident_bytes();
  const double cpu_start = process_cpu_seconds();
  const auto start = clock::now();
  build();
  out[std::string(figure::load_seconds)] = seconds_since(start);
  out[std::string(figure::cpu_seconds)] = process_cpu_seconds() - cpu_start;
  out[std::string(figure::rss_bytes)] =
      static_cast<double>(resident_bytes()) - static_cast<double>(before);
}

// ---- CZMQ ----

struct czmq_store {
  zcertstore_t* store = nullptr;
  ~czmq_store() { zcertstore_destroy(&store); }
};

figures measure_czmq(const child_task& task) {
  const auto keys = read_keys(task.keys_file, task.count);
  const auto s = draw_samples(keys);
  figures out;
  czmq_store holder;
  if (task.kind == czmq_folder) {
    measure_load(out, [&] { holder.store = zcertstore_new(task.dir.c_str()); });
  } else {
    static const unsigned char no_secret[zc::key_size] = {};
    measure_load(out, [&] {
      holder.store = zcertstore_new(nullptr);
      for (std::size_t i = 0; i < keys.size(); ++i) {
        zcert_t* cert = zcert_new_from(keys[i].data(), no_secret);
        zcert_set_meta(cert, "name", "client-%zu", i);
        zcertstore_insert(holder.store, &cert);
      }
    });
  }
  if (holder.store == nullptr) throw std::runtime_error("zcertstore_new failed");
  auto* store = holder.store;
  out[std::string(figure::hit_ns)] = ns_per_lookup(task.lookup_seconds, true, [&](std::size_t i) {
    return zcertstore_lookup(store, s.hit_texts[i].c_str()) != nullptr;
  });
  out[std::string(figure::miss_ns)] = ns_per_lookup(task.lookup_seconds, false, [&](std::size_t i) {
    return zcertstore_lookup(store, s.miss_texts[i].c_str()) != nullptr;
  });
  return out;
}

// ---- ours ----

/// Times the lookups of ours on a snapshot, and through the store (which loads current() for
/// each lookup, as a ZAP handler does).
void time_lookups(figures& out, const zc::cert_store& store, const samples& s, double budget) {
  const auto snapshot = store.current();
  const auto& snap = *snapshot;
  out[std::string(figure::hit_ns)] =
      ns_per_lookup(budget, true, [&](std::size_t i) { return snap.contains(s.hits[i]); });
  out[std::string(figure::find_hit_ns)] =
      ns_per_lookup(budget, true, [&](std::size_t i) { return snap.find(s.hits[i]).has_value(); });
  out[std::string(figure::miss_ns)] =
      ns_per_lookup(budget, false, [&](std::size_t i) { return snap.contains(s.misses[i]); });
  out[std::string(figure::find_miss_ns)] = ns_per_lookup(
      budget, false, [&](std::size_t i) { return snap.find(s.misses[i]).has_value(); });
  out[std::string(figure::store_hit_ns)] =
      ns_per_lookup(budget, true, [&](std::size_t i) { return store.contains(s.hits[i]); });
}

figures measure_ours(const child_task& task) {
  const auto keys = read_keys(task.keys_file, task.count);
  const auto s = draw_samples(keys);
  figures out;
  std::optional<zc::cert_store> store;
  if (task.kind == ours_folder) {
    // Default options, as a user gets them: the folder is followed on a thread of its own.
    measure_load(out, [&] { store.emplace(task.dir); });
  } else {
    // What a program pays to build the store from its own keys: making the certificates (as
    // CZMQ's side makes zcerts) and the store. The certificates are dropped afterwards; the
    // heap they leave freed but resident is counted, since the program pays for it too.
    measure_load(out, [&] {
      std::vector<zc::certificate> certs;
      certs.reserve(keys.size());
      for (std::size_t i = 0; i < keys.size(); ++i) {
        certs.push_back({keys[i], std::nullopt, {{"name", "client-" + std::to_string(i)}}});
      }
      store.emplace(zc::cert_store::from_certificates(certs));
    });
  }
  const auto snapshot = store->current();
  if (!snapshot->problems().empty()) {
    const auto& p = snapshot->problems().front();
    throw std::runtime_error(std::to_string(snapshot->problems().size()) +
                             " problems, the first: " + p.path.string() + ": " + p.reason);
  }
  out[std::string(figure::count)] = static_cast<double>(snapshot->size());
  time_lookups(out, *store, s, task.lookup_seconds);
  return out;
}

}  // namespace

std::size_t resident_bytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  throw std::runtime_error("no VmRSS in /proc/self/status");
}

double process_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

int run_child(const child_task& task) {
  try {
    figures out;
    if (task.kind == czmq_folder || task.kind == czmq_memory) {
      out = measure_czmq(task);
    } else if (task.kind == ours_folder || task.kind == ours_memory) {
      out = measure_ours(task);
    } else {
      throw std::runtime_error("unknown store kind " + task.kind);
    }
    for (const auto& [name, value] : out) std::printf("%s=%.9g ", name.c_str(), value);
    std::printf("\n");
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_store --child " << task.kind << ": " << e.what() << '\n';
    return 1;
  }
}

}  // namespace zmqsec::bench
