// zmqsec_bench_auth: the ZAP authenticator against the always-200 anchor, CZMQ's zauth and
// pyzmq's ThreadAuthenticator, all measured in the same run:
//   - raw ZAP requests/s: a DEALER on inproc://zeromq.zap.01 in the handler's context keeps 32
//     valid CURVE requests in flight (keys in the store, addresses on the allow list; every reply
//     must be a 200 for the figure to count);
//   - CURVE handshakes/s over tcp on 127.0.0.1, 16 clients in flight, against no handler at all;
//   - the resident memory the handler adds.
// Ours is configured with a folder of 100k certificates and 10k allow rules (exact addresses and
// ranges, IPv4 and IPv6), and measured with stores of 1, 1k, 10k and 100k certificates to show
// the rate does not depend on the count. CZMQ gets the same allow list and an in-memory store of
// the same certificates (its fastest store; its folder store rescans the folder on every request
// and is measured with 10k certificates, bounded by time), and CURVE_ALLOW_ANY. pyzmq gets the same
// allow list and folder.
//
// The raw ZAP load runs with every thread of the child process on one CPU: driver and handler
// share a core, as for the reference figures (--zap-all-cpus lets the scheduler spread
// them; on a shared 2-core machine that makes the rate swing threefold from run to run). The
// handshakes use every CPU. pyzmq's handler serves only the context of its own python3 process,
// so the load is generated there, by the same C driver (auth_drivers.cpp, through ctypes, with
// the GIL released; see auth_pyzmq.py). Its anchor is the always-200 handler in such a python3
// child, driven the same way, and the ">= 10x pyzmq" goal is checked on "as a share of its
// anchor": each handler's rate over the always-200 rate of its own kind of process.
//
// Ours is measured against its anchors in pairs, in its own child: the handler runs, then is
// stopped while the always-200 handler (or, for handshakes, no handler) runs, then is started
// again, --pairs times, alternating which goes first. Seconds apart in one process, both sides of
// a pair meet the same load, so the goals against the anchors are checked on the median of the
// pairs' ratios, which moves far less than a ratio between two children run a minute apart.
// Flatness likewise: one child (ours-flat) holds a store of every count and swaps them into the
// same handler in turn, round after round; each count's rate is set against the smallest count's
// rate of the same round.
//
//   zmqsec_bench_auth [--quick | --smoke] [--counts 1,1000,10000,100000] [--rules 10000]
//                     [--repeat 3] [--pairs 2] [--zap-seconds 1] [--handshake-seconds 1.5]
//                     [--warmup 0.2]
//                     [--czmq-folder 10000] [--cache DIR] [--python /usr/bin/python3]
//                     [--zap-all-cpus] [--no-pyzmq] [--no-header] [--anchor-busy NS,...]
//                     [--only KEY,...]   (run only these handlers: ours-100000, ours-file, ...)
//
// The row "decide() alone" is the decision without sockets (the same policy and requests, in
// batches of 8 like the handler): what ours spends per request, warm and with 1 MiB read between
// batches.
//
// --anchor-busy 200,300 adds a row per value: the always-200 anchor spinning that many
// nanoseconds per request, paired with the plain anchor like ours is. It shows what a given
// amount of CPU per decision costs in this harness: with driver and handler sharing one CPU each
// extra nanosecond in the handler costs more than a nanosecond of throughput, because the
// heavier of the two threads is the one the scheduler preempts when the other wakes.
//
// Every handler runs in a fresh child process (this program re-executed with --child KIND, or
// python3 auth_pyzmq.py for pyzmq), which weighs it, drives it and prints its figures. The
// certificate folders are made once in the cache folder, from the folders of the store
// benchmark (hard links) plus the certificates of the clients that do the handshakes. With
// --repeat R every handler is measured R times, interleaved; the table shows the best rate and
// the median memory. A run in which any reply was not a 200 or any handshake failed prints
// FAILED instead of that figure and exits with status 1.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zmq.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "auth_children.hpp"
#include "bench_certs.hpp"
#include "bench_process.hpp"
#include "bench_table.hpp"

namespace fs = std::filesystem;
namespace zb = zmqsec::bench;
namespace zba = zmqsec::bench::auth;
namespace zc = zmqsec::certs;

extern char** environ;

namespace {

constexpr std::size_t client_count = 16;  // client keypairs for the handshakes

struct options {
  std::vector<std::size_t> counts = {1, 1000, 10000, 100000};
  std::size_t rules = 10000;
  int repeat = 3;
  double zap_seconds = 1.0;
  double handshake_seconds = 1.5;
  double warmup = 0.2;
  std::size_t czmq_folder = 10000;
  double czmq_folder_seconds = 3.0;  // time-bounded: some ten requests a second at 10k
  fs::path cache = ZMQSEC_BENCH_CACHE_DIR;
  std::string python = "/usr/bin/python3";
  fs::path pyzmq_script = ZMQSEC_BENCH_AUTH_PYZMQ_SCRIPT;
  fs::path drivers_module = ZMQSEC_BENCH_AUTH_DRIVERS_MODULE;
  bool pyzmq = true;
  bool header = true;
  bool zap_one_cpu = true;  // --zap-all-cpus: let the scheduler spread driver and handler
  int pairs = 2;   // ours against its anchors, in pairs in the same child (0: separate children)
  int rounds = 3;  // ours-flat: rounds over every count
  std::vector<std::size_t> anchor_busy_ns;  // --anchor-busy: the always-200 with this much work
  std::vector<std::string> only;  // --only: the handlers to run (keys: ours-100000, ours-file, ...)
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "zmqsec_bench_auth: " << message << '\n';
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
  if (counts.empty()) usage_error("--counts: no count");
  std::sort(counts.begin(), counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  return counts;
}

std::string counts_text(const std::vector<std::size_t>& counts) {
  std::string text;
  for (const auto n : counts) text += (text.empty() ? "" : ",") + std::to_string(n);
  return text;
}

std::string count_label(std::size_t n) {
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

/// "1 cert", "40 certs", "100k certs".
std::string certs_label(std::size_t n) {
  return count_label(n) + (n == 1 ? " cert" : " certs");
}

using zb::count_entries;
using zb::count_lines;
using zb::write_lines;

std::vector<std::string> read_words(const fs::path& file) {
  std::ifstream in(file);
  std::vector<std::string> words;
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    if (std::string word; fields >> word) words.push_back(word);
  }
  return words;
}

// ---- the files every child reads ----

/// The client keypairs of the handshakes, "PUBLIC SECRET" per line (made once). When they are
/// made anew, the folders made with the old ones are removed.
fs::path client_keys(const fs::path& cache) {
  const fs::path file = cache / "auth-clients.keys";
  if (fs::exists(file) && count_lines(file) == client_count) return file;
  for (const auto& entry : fs::directory_iterator(cache)) {
    if (entry.path().filename().string().starts_with("auth-certs-")) fs::remove_all(entry.path());
  }
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < client_count; ++i) {
    char pub[41], sec[41];
    if (zmq_curve_keypair(pub, sec) != 0) throw std::runtime_error("zmq_curve_keypair failed");
    lines.push_back(std::string(pub) + ' ' + sec);
  }
  write_lines(file, lines);
  return file;
}

struct folder {
  fs::path dir;
  fs::path hits;  // the Z85 keys of every certificate in dir
};

/// auth-certs-N: the public certificates of the first min(N, 16) handshake clients plus
/// N - that of the store benchmark's certificates (hard links), and the list of their keys.
folder auth_folder(const fs::path& cache, std::size_t n, std::size_t largest,
                   const fs::path& clients_file) {
  const fs::path dir = cache / ("auth-certs-" + std::to_string(n));
  const fs::path hits = cache / ("auth-certs-" + std::to_string(n) + ".keys");
  if (fs::exists(hits) && fs::is_directory(dir) && count_lines(hits) == n &&
      count_entries(dir) == n) {
    return {dir, hits};
  }
  fs::remove_all(dir);
  fs::remove(hits);
  fs::create_directories(dir);
  const auto clients = read_words(clients_file);
  const std::size_t own = std::min(n, clients.size());
  std::vector<std::string> keys;
  for (std::size_t j = 0; j < own; ++j) {
    const std::string name = "bench-client-" + std::to_string(j);
    zc::save_public_certificate(dir / (name + ".key"), zc::public_key::from_z85(clients[j]),
                                {{"name", name}});
    keys.push_back(clients[j]);
  }
  if (n > own) {
    const auto [base_dir, base_keys] =
        zb::certificate_folder(cache, std::max(largest, n), "zmqsec_bench_auth");
    const auto base = read_words(base_keys);
    std::cerr << "zmqsec_bench_auth: linking " << n - own << " certificates into " << dir
              << " (once)\n";
    for (std::size_t i = 0; i < n - own; ++i) {
      const std::string name = "client-" + std::to_string(i) + ".key";
      std::error_code ec;
      fs::create_hard_link(base_dir / name, dir / name, ec);
      if (ec) fs::copy_file(base_dir / name, dir / name);
      keys.push_back(base[i]);
    }
  }
  write_lines(hits, keys);
  return {dir, hits};
}

/// The allow rules (n of them, shuffled): exact IPv4 addresses in 127.0.0.0/8 (127.0.0.1
/// first) and 10.0.0.0/8, exact IPv6 addresses in fd00::/16, /24 ranges in 100.64.0.0/10 and
/// /48 ranges in 2001:db8::/32. And the addresses the requests come from: every exact address
/// of the list (so the allow lists of CZMQ and pyzmq, which know no ranges, pass them too).
std::pair<fs::path, fs::path> rules_files(const fs::path& cache, std::size_t n) {
  const fs::path rules = cache / ("auth-rules-" + std::to_string(n) + ".txt");
  const fs::path addresses = cache / ("auth-addresses-" + std::to_string(n) + ".txt");
  std::vector<std::string> exact, all;
  char buf[64];
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t j = i / 10;
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3: {  // 127.0.0.1, 127.0.0.2, ...
        const std::size_t k = (i / 10) * 4 + (i % 10) + 1;
        std::snprintf(buf, sizeof buf, "127.%zu.%zu.%zu", (k >> 16) & 255, (k >> 8) & 255, k & 255);
        exact.push_back(buf);
        break;
      }
      case 4:
      case 5: {
        const std::size_t k = (i / 10) * 2 + (i % 10 - 4) + 1;
        std::snprintf(buf, sizeof buf, "10.%zu.%zu.%zu", (k >> 16) & 255, (k >> 8) & 255, k & 255);
        exact.push_back(buf);
        break;
      }
      case 6:
        std::snprintf(buf, sizeof buf, "fd00::%zx", j + 1);
        exact.push_back(buf);
        break;
      case 7:
      case 8: {
        const std::size_t k = (i / 10) * 2 + (i % 10 - 7);
        std::snprintf(buf, sizeof buf, "100.%zu.%zu.0/24", 64 + ((k >> 8) & 63), k & 255);
        all.push_back(buf);
        break;
      }
      default:
        std::snprintf(buf, sizeof buf, "2001:db8:%zx::/48", j);
        all.push_back(buf);
        break;
    }
  }
  all.insert(all.end(), exact.begin(), exact.end());
  std::mt19937_64 gen(7);
  std::shuffle(all.begin(), all.end(), gen);
  std::shuffle(exact.begin() + 1, exact.end(), gen);  // 127.0.0.1 stays first
  write_lines(rules, all);
  write_lines(addresses, exact);
  return {rules, addresses};
}

/// A fresh server keypair for the handshakes, "PUBLIC SECRET".
fs::path server_keys(const fs::path& cache) {
  char pub[41], sec[41];
  if (zmq_curve_keypair(pub, sec) != 0) throw std::runtime_error("zmq_curve_keypair failed");
  const fs::path file = cache / "auth-server.keys";
  write_lines(file, {std::string(pub) + ' ' + sec});
  return file;
}

using zmqsec::bench::run;
using zmqsec::bench::warm_page_cache;

using figures = std::map<std::string, double, std::less<>>;

figures parse_figures(const std::string& line) {
  figures out;
  std::stringstream in(line);
  for (std::string item; in >> item;) {
    const auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    out[item.substr(0, eq)] = std::stod(item.substr(eq + 1));
  }
  return out;
}

/// One handler configuration of the run.
struct handler {
  std::string key;   // e.g. "ours-100000"
  std::string kind;  // child kind
  bool python = false;
  folder certs;
  bool handshakes = false;
  double zap_seconds = 0;
  int repeat = 1;
  long busy_ns = 0;  // floor-busy
  // results
  std::vector<figures> reps;
  std::vector<std::string> errors;  // children that did not report
};

struct run_files {
  fs::path rules, addresses, clients, server_keys;
};

figures measure(const handler& h, const run_files& f, const options& opt) {
  std::vector<std::string> argv;
  const std::vector<std::string> common = {
      "--folder",
      h.certs.dir.string(),
      "--hits",
      h.certs.hits.string(),
      "--addresses",
      f.addresses.string(),
      "--rules-file",
      f.rules.string(),
      "--clients",
      f.clients.string(),
      "--server-keys",
      f.server_keys.string(),
      "--warmup",
      std::to_string(opt.warmup),
      "--zap-seconds",
      std::to_string(h.zap_seconds),
      "--handshake-seconds",
      std::to_string(h.handshakes ? opt.handshake_seconds : 0.0),
      "--zap-one-cpu",
      opt.zap_one_cpu ? "1" : "0",
      "--pairs",
      std::to_string(opt.pairs),
      "--rounds",
      std::to_string(opt.rounds),
      "--flat-cache",
      opt.cache.string(),
      "--flat-counts",
      counts_text(opt.counts)};
  if (h.python) {
    argv = {opt.python, opt.pyzmq_script.string(),
            "--module", opt.drivers_module.string(),
            "--kind",   h.kind};
  } else {
    argv = {fs::read_symlink("/proc/self/exe").string(), "--child", h.kind};
  }
  argv.insert(argv.end(), common.begin(), common.end());
  if (h.busy_ns > 0) argv.insert(argv.end(), {"--busy-ns", std::to_string(h.busy_ns)});
  return parse_figures(run(argv));
}

// ---- the table ----

double best(const handler& h, std::string_view name) {
  double b = NAN;
  for (const auto& r : h.reps) {
    if (auto it = r.find(name); it != r.end() && !(it->second <= b)) b = it->second;
  }
  return b;
}

double median(const handler& h, std::string_view name) {
  std::vector<double> values;
  for (const auto& r : h.reps) {
    if (auto it = r.find(name); it != r.end()) values.push_back(it->second);
  }
  if (values.empty()) return NAN;
  std::sort(values.begin(), values.end());
  const auto m = values.size() / 2;
  return values.size() % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

/// Every figure named prefix + a number, over all repetitions: the pairs of every child pooled.
std::vector<double> pooled(const handler& h, const std::string& prefix) {
  std::vector<double> values;
  for (const auto& r : h.reps) {
    for (auto it = r.lower_bound(prefix); it != r.end() && it->first.starts_with(prefix); ++it) {
      const auto rest = std::string_view(it->first).substr(prefix.size());
      if (!rest.empty() && rest.find_first_not_of("0123456789") == std::string_view::npos) {
        values.push_back(it->second);
      }
    }
  }
  std::sort(values.begin(), values.end());
  return values;
}

double pooled_median(const handler& h, const std::string& prefix) {
  const auto values = pooled(h, prefix);
  if (values.empty()) return NAN;
  const auto m = values.size() / 2;
  return values.size() % 2 ? values[m] : (values[m - 1] + values[m]) / 2;
}

/// Failures in a handler's figure (a child that did not report, or failures it counted).
double failures(const handler& h, std::string_view failures_figure) {
  double n = static_cast<double>(h.errors.size());
  for (const auto& r : h.reps) {
    if (auto it = r.find(failures_figure); it != r.end()) n += it->second;
  }
  return n;
}

/// A figure of a handler, or NAN when it is missing or any run of it failed.
struct value {
  double v = NAN;
  bool failed = false;  // measured, but something failed: the figure is withheld
  bool absent = false;  // not measured in this run
};

struct table {
  std::map<std::string, handler, std::less<>> handlers;
  bool any_failure = false;

  const handler* find(std::string_view key) const {
    auto it = handlers.find(key);
    return it == handlers.end() ? nullptr : &it->second;
  }
  value rate(std::string_view key, std::string_view rate_figure,
             std::string_view failures_figure) const {
    const handler* h = find(key);
    if (h == nullptr) return {NAN, false, true};
    const double f = failures(*h, failures_figure);
    const double r = best(*h, rate_figure);
    if (f > 0 || !(r > 0)) return {NAN, true, false};
    return {r};
  }
  /// The best rate of a handler: of its repetitions, or of every run of its pairs.
  value best_rate(std::string_view key, bool zap_figures) const {
    namespace fig = zba::figure;
    const handler* h = find(key);
    if (h != nullptr) {
      if (const auto runs = pooled(*h, zap_figures ? "zap_rate_" : "hs_rate_"); !runs.empty()) {
        if (failures(*h, zap_figures ? fig::zap_failures : fig::hs_failures) > 0) {
          return {NAN, true};
        }
        return {runs.back()};
      }
    }
    return zap_figures ? rate(key, fig::zap_rate, fig::zap_failures)
                       : rate(key, fig::hs_rate, fig::hs_failures);
  }
  value zap(std::string_view key) const { return best_rate(key, true); }
  value hs(std::string_view key) const { return best_rate(key, false); }
  /// A handler's rate beside its anchor's and their ratio: from the pairs its children measured
  /// (the medians over all pairs of all repetitions), or else against the anchor's own child.
  struct anchored {
    value ours;
    value anchor;
    double ratio = NAN;
  };
  anchored against_anchor(std::string_view key, bool zap_figures) const {
    namespace fig = zba::figure;
    const std::string prefix = zap_figures ? "zap" : "hs";
    const auto failures_figure = zap_figures ? fig::zap_failures : fig::hs_failures;
    anchored a;
    const handler* h = find(key);
    if (h != nullptr && !h->reps.empty() &&
        h->reps.front().contains(zap_figures ? fig::zap_ratio : fig::hs_ratio)) {
      // Medians of every pair of every repetition: ours, the anchor, and the pairs' ratios.
      if (failures(*h, failures_figure) > 0) return {{NAN, true}, {NAN, true}, NAN};
      a.ours = {pooled_median(*h, prefix + "_rate_")};
      a.anchor = {pooled_median(*h, prefix + "_anchor_rate_")};
      a.ratio = pooled_median(*h, prefix + "_ratio_");
    } else {
      a.ours = zap_figures ? zap(key) : hs(key);
      a.anchor = zap_figures ? zap("floor") : hs("floor");
      if (std::isfinite(a.ours.v) && std::isfinite(a.anchor.v)) a.ratio = a.ours.v / a.anchor.v;
    }
    return a;
  }
  value rss(std::string_view key) const {
    const handler* h = find(key);
    if (h == nullptr) return {NAN, false, true};
    if (!h->errors.empty()) return {NAN, true, false};
    return {median(*h, zba::figure::rss_bytes)};
  }

  std::string show(const value& v, std::string (*format)(double)) const {
    if (v.absent) return "-";
    if (v.failed) return "FAILED";
    return format(v.v);
  }

  /// A row of ours against a reference, with an optional goal (ratio at least min_ratio).
  /// given_ratio: the ratio to show and check, when it is not simply ours over ref.
  void row(const std::string& measure, const value& ours, const std::string& ref_label,
           const value& ref, std::string (*format)(double), bool higher_is_better,
           double min_ratio = NAN, const std::string& goal_text = {},
           double given_ratio = NAN) const {
    double ratio = given_ratio;
    if (std::isnan(ratio) && std::isfinite(ours.v) && std::isfinite(ref.v) && ours.v > 0 &&
        ref.v > 0) {
      ratio = higher_is_better ? ours.v / ref.v : ref.v / ours.v;
    }
    std::string goal;
    if (!goal_text.empty()) {
      if (ours.failed || ref.failed) {
        goal = "FAIL (" + goal_text + ": a run failed, see the log)";
      } else if (std::isfinite(ratio)) {
        goal = zb::goal(ratio >= min_ratio, goal_text);
      }
    }
    zb::print_row(std::cout,
                  {measure, show(ours, format), ref_label, show(ref, format), ratio, goal});
  }
};

std::string rate_text(double v) {
  return zb::rate(v);
}
std::string nanoseconds_text(double v) {
  return zb::seconds(v * 1e-9);
}
std::string bytes_text(double v) {
  return zb::bytes(v);
}
std::string share_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
  return buf;
}

value share(const value& a, const value& anchor) {
  if (a.absent || anchor.absent) return {NAN, false, true};
  if (a.failed || anchor.failed) return {NAN, true, false};
  return {a.v / anchor.v};
}

/// replace() of the whole policy, every 10 ms while handshakes run (see measure_ours_replace):
/// the longest time without a completed handshake, against the same handshakes without it.
void print_replace_rows(const table& t) {
  namespace fig = zba::figure;
  const handler* h = t.find("ours-replace");
  if (h == nullptr) return;
  const double failed =
      failures(*h, fig::replace_hs_failures) + failures(*h, fig::replace_zap_failures);
  if (h->reps.empty() || failed > 0) {
    zb::print_row(std::cout, {"handshakes/s while replace() runs", "FAILED", "", "", NAN,
                              "FAIL (no failed handshake, <= 10 ms gap)"});
    return;
  }
  const double gap = median(*h, fig::replace_longest_gap);
  const double steady_gap = median(*h, fig::steady_longest_gap);
  t.row("handshakes/s while replace() runs", {median(*h, fig::replace_hs_rate)},
        "the same, no replace()", {median(*h, fig::steady_hs_rate)}, rate_text, true);
  // CURVE handshakes complete some milliseconds apart, and unevenly on a shared machine: what
  // replace() adds is the difference. Raw ZAP replies come microseconds apart: a stall of the
  // handler shows there as it is.
  zb::print_row(std::cout, {"  longest gap between handshakes", zb::seconds(gap),
                            "the same, no replace()", zb::seconds(steady_gap), steady_gap / gap,
                            zb::goal(gap <= steady_gap + 0.010, "<= +10 ms, none failed")});
  const double zap_gap = median(*h, fig::replace_zap_gap);
  const double zap_steady_gap = median(*h, fig::steady_zap_gap);
  zb::print_row(std::cout,
                {"  longest gap between ZAP replies", zb::seconds(zap_gap),
                 "the same, no replace()", zb::seconds(zap_steady_gap), zap_steady_gap / zap_gap,
                 zb::goal(zap_gap <= 0.010, "<= 10 ms, none failed")});
  char replaces[96];
  std::snprintf(replaces, sizeof replaces, "  (%.0f replace() calls, %s each)",
                median(*h, fig::replace_count),
                zb::seconds(median(*h, fig::replace_seconds)).c_str());
  zb::print_row(std::cout, {replaces, "", "", "", NAN});
}

void print_table(const table& t, const options& opt) {
  const std::size_t largest = opt.counts.back();
  const std::string main_key = "ours-" + std::to_string(largest);
  const std::string config = certs_label(largest) + " + " + count_label(opt.rules) + " rules";
  const std::string czmq_folder_label =
      "CZMQ zauth, folder of " + count_label(std::min(opt.czmq_folder, largest)) + " (rescans)";
  const bool paired = opt.pairs > 0 && zba::ours_built();
  const std::string floor_label =
      paired ? "always-200, paired in-process" : "always-200 handler (C++ ROUTER)";
  const std::string none_label = paired ? "no ZAP handler, paired in-process" : "no ZAP handler";
  // Against the anchors: medians of the pairs (see the top of this file). Against the other
  // handlers, measured in children of their own: the best run of each side.
  const std::string against_others = paired ? "  best runs" : "  the same";

  // Raw ZAP requests.
  const auto zap = t.against_anchor(main_key, true);
  const value zap_best = t.zap(main_key);
  t.row("ZAP requests/s, " + config, zap.ours, floor_label, zap.anchor, rate_text, true, 0.8,
        ">= 0.8x", zap.ratio);
  // What a given amount of CPU per decision costs against the same anchor (--anchor-busy).
  for (const std::size_t ns : opt.anchor_busy_ns) {
    const auto busy = t.against_anchor("floor-busy-" + std::to_string(ns), true);
    t.row("  always-200 + " + std::to_string(ns) + " ns busy/request", busy.ours, floor_label,
          busy.anchor, rate_text, true, NAN, {}, busy.ratio);
  }
  // The decision alone, without sockets (see measure_decide): what ours spends per request.
  if (const handler* d = t.find("decide"); d != nullptr && d->errors.empty() && !d->reps.empty()) {
    t.row("  decide() alone, warm", {median(*d, zba::figure::decide_warm_ns)},
          "the same, 1 MiB read per batch of 8", {median(*d, zba::figure::decide_cold_ns)},
          nanoseconds_text, false);
  }
  t.row(against_others, zap_best, "CZMQ zauth, memory store + allow list", t.zap("czmq-memory"),
        rate_text, true, 3.0, ">= 3x");
  t.row(against_others, zap_best, "CZMQ zauth, CURVE_ALLOW_ANY + allow", t.zap("czmq-any"),
        rate_text, true);
  t.row(against_others, zap_best, czmq_folder_label, t.zap("czmq-folder"), rate_text, true);
  if (opt.pyzmq) {
    const value py = t.zap("pyzmq");
    t.row(against_others, zap_best, "pyzmq ThreadAuthenticator", py, rate_text, true);
    // pyzmq's handler lives in a python3 process; its anchor is the always-200 handler in such a
    // process, driven the same way. Each handler as a share of its own anchor:
    const value ours_share = std::isfinite(zap.ratio) ? value{zap.ratio} : value{NAN, true};
    t.row("  each as a share of its anchor", ours_share, "pyzmq, of always-200 in python3",
          share(py, t.zap("py-floor")), share_text, true, 10.0, ">= 10x");
  }
  // Flat from 1 to the largest count: one child swaps stores of every count into the same
  // handler in turn (see measure_ours_flat); each count against the smallest, round by round.
  if (const handler* flat = t.find("ours-flat"); flat != nullptr) {
    const std::size_t smallest = opt.counts.front();
    auto rates = [&](std::size_t n) {
      std::map<std::string, double> by_round;  // "rep/round" -> rate
      for (std::size_t rep = 0; rep < flat->reps.size(); ++rep) {
        const std::string prefix = "flat_rate_" + std::to_string(n) + "_";
        for (const auto& [name, v] : flat->reps[rep]) {
          if (name.starts_with(prefix)) by_round[std::to_string(rep) + "/" + name] = v;
        }
      }
      return by_round;
    };
    auto median_of = [](std::vector<double> v) -> double {
      if (v.empty()) return NAN;
      std::sort(v.begin(), v.end());
      const auto m = v.size() / 2;
      return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
    };
    const bool failed = failures(*flat, zba::figure::flat_failures) > 0;
    const auto base = rates(smallest);
    std::vector<double> base_values;
    for (const auto& [k, v] : base) base_values.push_back(v);
    const value base_rate = failed ? value{NAN, true} : value{median_of(base_values)};
    for (const std::size_t n : opt.counts) {
      if (n == smallest) continue;
      std::vector<double> values, ratios;
      const auto these = rates(n);
      for (const auto& [k, v] : these) {
        values.push_back(v);
        // the same repetition and round of the smallest count
        const auto key = k.substr(0, k.find('/') + 1) + "flat_rate_" + std::to_string(smallest) +
                         k.substr(k.rfind('_'));
        if (auto it = base.find(key); it != base.end() && it->second > 0) {
          ratios.push_back(v / it->second);
        }
      }
      const value rate = failed ? value{NAN, true} : value{median_of(values)};
      t.row("  flat: " + certs_label(n) + ", same handler", rate,
            "ours, " + certs_label(smallest) + " swapped in", base_rate, rate_text, true, 0.9,
            ">= 0.9x", failed ? NAN : median_of(ratios));
    }
  }

  // CURVE handshakes.
  const auto hs = t.against_anchor(main_key, false);
  const value hs_best = t.hs(main_key);
  t.row("handshakes/s, " + config, hs.ours, none_label, hs.anchor, rate_text, true, 0.95,
        ">= 0.95x", hs.ratio);
  t.row(against_others, hs_best, "CZMQ zauth, memory store + allow list", t.hs("czmq-memory"),
        rate_text, true);
  t.row(against_others, hs_best, czmq_folder_label, t.hs("czmq-folder"), rate_text, true);
  if (opt.pyzmq) {
    const value py = t.hs("pyzmq");
    t.row(against_others, hs_best, "pyzmq ThreadAuthenticator", py, rate_text, true);
    const value ours_share = std::isfinite(hs.ratio) ? value{hs.ratio} : value{NAN, true};
    t.row("  each as a share of its anchor", ours_share, "pyzmq, of no handler in python3",
          share(py, t.hs("py-floor")), share_text, true);
  }

  // The same policy loaded from a TOML file (load_policy_file), paired with no handler.
  const auto hs_file = t.against_anchor("ours-file", false);
  if (!hs_file.ours.absent) {
    t.row("handshakes/s, the same from a policy file", hs_file.ours, none_label, hs_file.anchor,
          rate_text, true, 0.98, ">= 0.98x", hs_file.ratio);
  }
  print_replace_rows(t);

  // Memory.
  const value rss = t.rss(main_key);
  t.row("handler memory, " + config, rss, "CZMQ zauth, memory store + allow list",
        t.rss("czmq-memory"), bytes_text, false);
  if (opt.pyzmq) {
    t.row("  the same", rss, "pyzmq ThreadAuthenticator", t.rss("pyzmq"), bytes_text, false);
  }
}

int drive(const options& opt) {
  fs::create_directories(opt.cache);
  const std::size_t largest = opt.counts.back();
  const std::size_t czmq_folder_count = std::min(opt.czmq_folder, largest);
  run_files files;
  files.clients = client_keys(opt.cache);
  std::tie(files.rules, files.addresses) = rules_files(opt.cache, opt.rules);
  files.server_keys = server_keys(opt.cache);
  std::map<std::size_t, folder> folders;
  for (const std::size_t n : opt.counts) {
    folders[n] = auth_folder(opt.cache, n, largest, files.clients);
  }
  folders[czmq_folder_count] = auth_folder(opt.cache, czmq_folder_count, largest, files.clients);
  for (const auto& [n, f] : folders) warm_page_cache(f.dir);

  // Handlers in the order they run in each repetition.
  std::vector<handler> order;
  auto add = [&](std::string key, std::string kind, bool python, std::size_t n, bool handshakes,
                 double zap_seconds, int repeat) {
    if (!opt.only.empty() && std::find(opt.only.begin(), opt.only.end(), key) == opt.only.end()) {
      return;
    }
    handler h;
    h.key = std::move(key);
    h.kind = std::move(kind);
    h.python = python;
    h.certs = folders.at(n);
    h.handshakes = handshakes && opt.handshake_seconds > 0;
    h.zap_seconds = zap_seconds;
    h.repeat = repeat;
    order.push_back(std::move(h));
  };
  // The anchors of ours are measured in its own children, paired with it (see auth_children.cpp).
  if (!zba::ours_built() || opt.pairs == 0) {
    add("floor", std::string(zba::floor_kind), false, largest, true, opt.zap_seconds, opt.repeat);
  }
  if (zba::ours_built()) {
    add("ours-" + std::to_string(largest), std::string(zba::ours_kind), false, largest, true,
        opt.zap_seconds, opt.repeat);
    if (opt.counts.size() > 1) {
      add("ours-flat", std::string(zba::ours_flat_kind), false, largest, false, opt.zap_seconds,
          opt.repeat);
    }
    // Issue 14's rows: the policy from a file, and replace() under load (handshakes only).
    add("ours-file", std::string(zba::ours_file_kind), false, largest, true, 0, opt.repeat);
    add("ours-replace", std::string(zba::ours_replace_kind), false, largest, true, opt.zap_seconds,
        opt.repeat);
  }
  if (zba::ours_built()) {
    add("decide", std::string(zba::decide_kind), false, largest, false, opt.zap_seconds,
        opt.repeat);
  }
  for (const std::size_t ns : opt.anchor_busy_ns) {
    add("floor-busy-" + std::to_string(ns), std::string(zba::floor_busy_kind), false, largest,
        false, opt.zap_seconds, opt.repeat);
    order.back().busy_ns = static_cast<long>(ns);
  }
  add("czmq-memory", std::string(zba::czmq_memory_kind), false, largest, true, opt.zap_seconds,
      opt.repeat);
  add("czmq-any", std::string(zba::czmq_any_kind), false, largest, false, opt.zap_seconds,
      opt.repeat);
  // Some ten requests a second with 10k certificates: one longer run is enough to tell.
  add("czmq-folder", std::string(zba::czmq_folder_kind), false, czmq_folder_count, true,
      opt.czmq_folder_seconds, 1);
  if (opt.pyzmq) {
    add("py-floor", "floor", true, largest, true, opt.zap_seconds, opt.repeat);
    add("pyzmq", "pyzmq", true, largest, true, opt.zap_seconds, opt.repeat);
  }

  for (int rep = 0; rep < opt.repeat; ++rep) {
    for (auto& h : order) {
      if (rep >= h.repeat) continue;
      try {
        h.reps.push_back(measure(h, files, opt));
        std::cerr << "zmqsec_bench_auth: " << h.key << (h.python ? " (python3)" : "") << ":";
        for (const auto& [name, v] : h.reps.back()) std::cerr << ' ' << name << '=' << v;
        std::cerr << '\n';
      } catch (const std::exception& e) {
        std::cerr << "zmqsec_bench_auth: " << h.key << " failed: " << e.what() << '\n';
        h.errors.push_back(e.what());
      }
    }
  }

  table t;
  for (auto& h : order) {
    const double f = failures(h, zba::figure::zap_failures) +
                     failures(h, zba::figure::hs_failures) +
                     failures(h, zba::figure::replace_hs_failures) +
                     failures(h, zba::figure::replace_zap_failures);
    if (f > 0) t.any_failure = true;
    t.handlers.emplace(h.key, std::move(h));
  }
  if (opt.header) zb::print_header(std::cout);
  print_table(t, opt);
  if (!zba::ours_built()) {
    std::cout << "(ours: not built; zmqsec::auth has no thread_authenticator yet)\n";
  }
  if (t.any_failure) {
    std::cerr << "zmqsec_bench_auth: some runs failed (FAILED above); see the messages above\n";
    return 1;
  }
  return 0;
}

struct command_line {
  options opt;
  zba::child_task child;
};

command_line parse(int argc, char** argv) {
  command_line cl;
  options& opt = cl.opt;
  bool quick = false;
  bool smoke = false;
  std::map<std::string, bool> given;
  const std::vector<std::string> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> const std::string& {
      if (i + 1 >= args.size()) usage_error(a + " needs a value");
      return args[++i];
    };
    given[a] = true;
    if (a == "--quick") {
      quick = true;
    } else if (a == "--smoke") {
      smoke = true;
    } else if (a == "--counts") {
      opt.counts = parse_counts(value());
    } else if (a == "--rules") {
      opt.rules = std::max<std::size_t>(1, std::stoull(value()));
    } else if (a == "--repeat") {
      opt.repeat = std::max(1, std::stoi(value()));
    } else if (a == "--zap-seconds") {
      opt.zap_seconds = std::stod(value());
    } else if (a == "--handshake-seconds") {
      opt.handshake_seconds = std::stod(value());
    } else if (a == "--warmup") {
      opt.warmup = std::stod(value());
    } else if (a == "--czmq-folder") {
      opt.czmq_folder = std::max<std::size_t>(1, std::stoull(value()));
    } else if (a == "--cache") {
      opt.cache = value();
    } else if (a == "--python") {
      opt.python = value();
    } else if (a == "--no-pyzmq") {
      opt.pyzmq = false;
    } else if (a == "--pairs") {
      opt.pairs = std::max(0, std::stoi(value()));
    } else if (a == "--rounds") {
      opt.rounds = std::max(1, std::stoi(value()));
    } else if (a == "--flat-cache") {
      cl.child.flat_cache = value();
    } else if (a == "--flat-counts") {
      cl.child.flat_counts = parse_counts(value());
    } else if (a == "--zap-all-cpus") {
      opt.zap_one_cpu = false;
    } else if (a == "--zap-one-cpu") {
      cl.child.zap_one_cpu = value() != "0";
    } else if (a == "--anchor-busy") {
      opt.anchor_busy_ns = parse_counts(value());
    } else if (a == "--only") {
      std::stringstream keys(value());
      for (std::string key; std::getline(keys, key, ',');) opt.only.push_back(key);
    } else if (a == "--busy-ns") {
      cl.child.busy_ns = std::stol(value());
    } else if (a == "--no-header") {
      opt.header = false;
    } else if (a == "--child") {
      cl.child.kind = value();
    } else if (a == "--folder") {
      cl.child.folder = value();
    } else if (a == "--hits") {
      cl.child.hits = value();
    } else if (a == "--addresses") {
      cl.child.addresses = value();
    } else if (a == "--rules-file") {
      cl.child.rules = value();
    } else if (a == "--clients") {
      cl.child.clients = value();
    } else if (a == "--server-keys") {
      cl.child.server_keys = value();
    } else {
      usage_error("unknown argument " + a + " (see the top of bench/auth_bench.cpp)");
    }
  }
  auto unless_given = [&](const char* name, auto& field, auto v) {
    if (!given[name]) field = v;
  };
  if (quick) {  // a few seconds per handler
    unless_given("--counts", opt.counts, std::vector<std::size_t>{1, 1000, 10000});
    unless_given("--repeat", opt.repeat, 1);
    unless_given("--zap-seconds", opt.zap_seconds, 0.3);
    unless_given("--handshake-seconds", opt.handshake_seconds, 1.0);
    unless_given("--warmup", opt.warmup, 0.1);
    opt.czmq_folder_seconds = 2.0;
  }
  if (smoke) {  // every handler and every path through the code, a few certificates, ~10 s
    unless_given("--counts", opt.counts, std::vector<std::size_t>{1, 40});
    unless_given("--rules", opt.rules, std::size_t{100});
    unless_given("--repeat", opt.repeat, 1);
    unless_given("--zap-seconds", opt.zap_seconds, 0.1);
    unless_given("--handshake-seconds", opt.handshake_seconds, 0.3);
    unless_given("--pairs", opt.pairs, 1);
    unless_given("--rounds", opt.rounds, 1);
    unless_given("--warmup", opt.warmup, 0.05);
    opt.czmq_folder_seconds = 0.1;
  }
  if (!cl.child.kind.empty()) {
    cl.child.pairs = opt.pairs;
    cl.child.rounds = opt.rounds;
    cl.child.warmup = opt.warmup;
    cl.child.zap_seconds = opt.zap_seconds;
    cl.child.handshake_seconds = opt.handshake_seconds;
  }
  return cl;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const command_line cl = parse(argc, argv);
    if (!cl.child.kind.empty()) return zba::run_child(cl.child);
    return drive(cl.opt);
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_auth: " << e.what() << '\n';
    return 1;
  }
}
