// zmqsec_bench_store: load time, resident memory per certificate and lookup time of our
// cert_store against CZMQ's zcertstore (folder and in-memory) and pyzmq's
// zmq.auth.load_certificates, for folders of 1k, 10k and 100k public certificates.
//
//   zmqsec_bench_store [--quick] [--counts 1000,10000] [--repeat 3] [--lookup-seconds 0.2]
//                      [--cache DIR] [--python /usr/bin/python3] [--pyzmq-script FILE]
//                      [--no-header]
//
// The certificate folders are generated once into the cache folder and reused. Each figure comes
// from a fresh child process (see store_bench.hpp); with --repeat R every store is measured R
// times, interleaved, and the table shows the fastest time and the median memory.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "bench_certs.hpp"
#include "bench_process.hpp"
#include "bench_table.hpp"
#include "store_bench.hpp"

namespace fs = std::filesystem;
namespace zb = zmqsec::bench;
namespace zc = zmqsec::certs;

extern char** environ;

namespace {

struct options {
  std::vector<std::size_t> counts = {1000, 10000, 100000};
  int repeat = 3;
  double lookup_seconds = 0.2;
  fs::path cache = ZMQSEC_BENCH_CACHE_DIR;
  std::string python = "/usr/bin/python3";
  fs::path pyzmq_script = ZMQSEC_BENCH_PYZMQ_SCRIPT;
  bool header = true;
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "zmqsec_bench_store: " << message << '\n';
  std::exit(2);
}

std::vector<std::size_t> parse_counts(const std::string& text) {
  std::vector<std::size_t> counts;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const auto n = std::stoull(item);
    if (n == 0) usage_error("--counts: counts must be positive");
    counts.push_back(n);
  }
  return counts;
}

// ---- the certificate folders ----

std::string count_label(std::size_t n) {
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

using zmqsec::bench::certificate_folder;
using zmqsec::bench::run;
using zmqsec::bench::warm_page_cache;

zb::figures parse_figures(const std::string& line) {
  zb::figures out;
  std::stringstream in(line);
  for (std::string item; in >> item;) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    out[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
  }
  return out;
}

fs::path own_executable() {
  return fs::read_symlink("/proc/self/exe");
}

zb::figures measure(std::string_view kind, const fs::path& dir, const fs::path& keys_file,
                    std::size_t n, const options& opt) {
  std::vector<std::string> argv;
  if (kind == zb::pyzmq_folder) {
    argv = {opt.python, opt.pyzmq_script.string(), dir.string()};
  } else {
    argv = {own_executable().string(),
            "--child",
            std::string(kind),
            "--dir",
            dir.string(),
            "--keys",
            keys_file.string(),
            "--count",
            std::to_string(n),
            "--lookup-seconds",
            std::to_string(opt.lookup_seconds)};
  }
  auto out = parse_figures(run(argv));
  for (auto name : {zb::figure::load_seconds, zb::figure::cpu_seconds, zb::figure::rss_bytes}) {
    if (!out.contains(name)) {
      throw std::runtime_error(std::string(kind) + " did not report " + std::string(name));
    }
  }
  if (auto it = out.find(zb::figure::count); it != out.end() && it->second != double(n)) {
    throw std::runtime_error(std::string(kind) + " loaded " + std::to_string(it->second) +
                             " certificates, expected " + std::to_string(n));
  }
  return out;
}

// ---- the table ----

/// Every repetition's figures of one store.
using repetitions = std::vector<zb::figures>;

double fastest(const repetitions& reps, std::string_view name) {
  double best = NAN;
  for (const auto& r : reps) {
    if (auto it = r.find(name); it != r.end() && !(it->second >= best)) best = it->second;
  }
  return best;
}

double median(const repetitions& reps, std::string_view name) {
  std::vector<double> values;
  for (const auto& r : reps) {
    if (auto it = r.find(name); it != r.end()) values.push_back(it->second);
  }
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const auto m = values.size() / 2;
  return values.size() % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

struct results {
  std::size_t n = 0;
  std::map<std::string, repetitions, std::less<>> by_store;

  const repetitions& of(std::string_view store) const { return by_store.find(store)->second; }
  /// The fastest repetition's time (load, CPU or a lookup's), in seconds.
  double time(std::string_view store, std::string_view name) const {
    const double t = fastest(of(store), name);
    return name.ends_with("_ns") ? t * 1e-9 : t;
  }
  double per_cert(std::string_view store) const {
    return median(of(store), zb::figure::rss_bytes) / double(n);
  }
};

const std::pair<std::string_view, const char*> folder_refs[] = {
    {zb::czmq_folder, "CZMQ zcertstore_new(dir)"},
    {zb::pyzmq_folder, "pyzmq zmq.auth.load_certificates"}};
const char* const czmq_memory_label = "CZMQ zcertstore_new(NULL)+insert";

/// Loading a folder (wall-clock and CPU time) and building an in-memory store.
void print_load_rows(const results& r, const std::string& n, bool goals) {
  // The goal is about the time a user waits; the CPU time shows how much of that the machine's
  // load added (the benchmark shares its cores with whatever else runs).
  const double wall = r.time(zb::ours_folder, zb::figure::load_seconds);
  for (auto [ref, label] : folder_refs) {
    const double ref_wall = r.time(ref, zb::figure::load_seconds);
    zb::print_row(std::cout, {"load " + n + " certs from a folder", zb::seconds(wall), label,
                              zb::seconds(ref_wall), ref_wall / wall,
                              goals ? zb::goal(wall < 2.0, "< 2 s") : ""});
  }
  const double cpu = r.time(zb::ours_folder, zb::figure::cpu_seconds);
  for (auto [ref, label] : folder_refs) {
    const double ref_cpu = r.time(ref, zb::figure::cpu_seconds);
    zb::print_row(std::cout, {"  the same, CPU time", zb::seconds(cpu), label, zb::seconds(ref_cpu),
                              ref_cpu / cpu, goals ? zb::goal(cpu < 2.0, "< 2 s CPU") : ""});
  }
  const double build = r.time(zb::ours_memory, zb::figure::load_seconds);
  const double ref_build = r.time(zb::czmq_memory, zb::figure::load_seconds);
  zb::print_row(std::cout, {"build " + n + " certs in memory", zb::seconds(build),
                            czmq_memory_label, zb::seconds(ref_build), ref_build / build});
}

/// Resident memory per certificate, folder and in-memory stores.
void print_memory_rows(const results& r, const std::string& n, bool goals) {
  const double bytes = r.per_cert(zb::ours_folder);
  for (auto [ref, label] : folder_refs) {
    zb::print_row(std::cout, {"memory per cert, folder of " + n, zb::bytes(bytes), label,
                              zb::bytes(r.per_cert(ref)), r.per_cert(ref) / bytes,
                              goals ? zb::goal(bytes < 300.0, "< 300 B") : ""});
  }
  const double in_memory = r.per_cert(zb::ours_memory);
  const double ref = r.per_cert(zb::czmq_memory);
  zb::print_row(std::cout, {"memory per cert, in memory, " + n, zb::bytes(in_memory),
                            czmq_memory_label, zb::bytes(ref), ref / in_memory});
}

/// Lookups in our folder store against CZMQ's stores.
void print_lookup_rows(const results& r, const std::string& n) {
  struct lookup {
    const char* measure;
    std::string_view ours;
    std::string_view ref_store;
    std::string_view ref;
    const char* label;
  };
  const lookup lookups[] = {
      {"lookup hit, contains()", zb::figure::hit_ns, zb::czmq_memory, zb::figure::hit_ns,
       "CZMQ zcertstore_lookup (memory)"},
      {"lookup hit, find()", zb::figure::find_hit_ns, zb::czmq_memory, zb::figure::hit_ns,
       "CZMQ zcertstore_lookup (memory)"},
      {"lookup miss, contains()", zb::figure::miss_ns, zb::czmq_memory, zb::figure::miss_ns,
       "CZMQ zcertstore_lookup (memory)"},
      {"lookup miss, find()", zb::figure::find_miss_ns, zb::czmq_memory, zb::figure::miss_ns,
       "CZMQ zcertstore_lookup (memory)"},
      {"lookup hit, store.contains()", zb::figure::store_hit_ns, zb::czmq_memory,
       zb::figure::hit_ns, "CZMQ zcertstore_lookup (memory)"},
      {"lookup hit, contains()", zb::figure::hit_ns, zb::czmq_folder, zb::figure::hit_ns,
       "CZMQ zcertstore_lookup (dir, rescans)"},
  };
  for (const auto& l : lookups) {
    const double ours = r.time(zb::ours_folder, l.ours);
    const double ref = r.time(l.ref_store, l.ref);
    zb::print_row(std::cout, {std::string(l.measure) + ", " + n, zb::seconds(ours), l.label,
                              zb::seconds(ref), ref / ours});
  }
}

void print_rows(const results& r) {
  const std::string n = count_label(r.n);
  const bool goals = r.n == 100000;  // the issue states its goals for 100k certificates
  print_load_rows(r, n, goals);
  print_memory_rows(r, n, goals);
  print_lookup_rows(r, n);
}

int drive(const options& opt) {
  if (opt.header) zb::print_header(std::cout);
  const std::string_view stores[] = {zb::ours_folder, zb::ours_memory, zb::czmq_folder,
                                     zb::czmq_memory, zb::pyzmq_folder};
  for (const std::size_t n : opt.counts) {
    const auto [dir, keys_file] = certificate_folder(opt.cache, n, "zmqsec_bench_store");
    warm_page_cache(dir);
    results r;
    r.n = n;
    for (int rep = 0; rep < opt.repeat; ++rep) {
      for (const auto store : stores) {
        r.by_store[std::string(store)].push_back(measure(store, dir, keys_file, n, opt));
      }
    }
    print_rows(r);
  }
  return 0;
}

/// The command line: either a run of the whole benchmark (opt) or one measurement (child).
struct command_line {
  options opt;
  zb::child_task child;
};

command_line parse(int argc, char** argv) {
  command_line cl;
  options& opt = cl.opt;
  bool quick = false;
  bool counts_given = false;
  bool repeat_given = false;
  bool lookup_given = false;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    if (a == "--quick") {
      quick = true;
    } else if (a == "--counts") {
      opt.counts = parse_counts(value());
      counts_given = true;
    } else if (a == "--repeat") {
      opt.repeat = std::max(1, std::stoi(value()));
      repeat_given = true;
    } else if (a == "--lookup-seconds") {
      opt.lookup_seconds = std::stod(value());
      lookup_given = true;
    } else if (a == "--cache") {
      opt.cache = value();
    } else if (a == "--python") {
      opt.python = value();
    } else if (a == "--pyzmq-script") {
      opt.pyzmq_script = value();
    } else if (a == "--no-header") {
      opt.header = false;
    } else if (a == "--child") {
      cl.child.kind = value();
    } else if (a == "--dir") {
      cl.child.dir = value();
    } else if (a == "--keys") {
      cl.child.keys_file = value();
    } else if (a == "--count") {
      cl.child.count = std::stoull(value());
    } else {
      usage_error("unknown argument " + a + " (see the top of bench/cert_store_bench.cpp)");
    }
  }
  if (quick) {
    if (!counts_given) opt.counts = {1000, 10000};
    if (!repeat_given) opt.repeat = 1;
    if (!lookup_given) opt.lookup_seconds = 0.02;
  }
  cl.child.lookup_seconds = opt.lookup_seconds;
  return cl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const command_line cl = parse(argc, argv);
    if (!cl.child.kind.empty()) return zb::run_child(cl.child);
    return drive(cl.opt);
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_store: " << e.what() << '\n';
    return 1;
  }
}
