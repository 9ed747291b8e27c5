// zmqsec_bench_logging: pub_sink against the ceiling of its transport and the sinks a user would
// pick instead, in one run:
//   - records/s through a pub_sink with one SUB (on another thread, over tcp on 127.0.0.1,
//     libzmq's default options) receiving everything, timed from the first log call to the last
//     record received, against libzmq alone carrying the same two frames per record,
//     preformatted once, with blocking sends to the same kind of SUB (the ceiling of any sink);
//     with spdlog's default pattern and with JSON payloads. The sink waits for room
//     (overflow_policy::block_for) as the blocking sends do, so that both deliver every record;
//     the default policy (drop) flat out is shown beside, with what it lost: on 2 cores a log
//     call that never waits keeps a core busy formatting records that are then dropped, which
//     the receiving threads would otherwise have;
//   - the same against spdlog 1.10's tcp_sink and udp_sink into loopback readers that count, and,
//     as context, spdlog's null_sink and basic_file_sink and pyzmq's PUBHandler (python3 child);
//   - the receiving side: zmqsec::logging::subscriber into a null sink, and zmq-logtail printing
//     into a file, against the waiting sink into a bare SUB measured right before: each fed by
//     libzmq alone (blocking sends of preformatted frames: the cheapest sender, so the receiver's
//     own capacity; the goal, "keeps up with the sink", is read on these rows), and fed by that
//     waiting sink (the pair shares 2 cores: a receiver that does more than a bare SUB slows the
//     sender too);
//   - records lost at the flat-out rate with the default policy (drop) and send HWM, and, when
//     some were, the highest rate at which none is: the logger paced at falling rates;
//   - the p99 time of one log call at 100k calls/s with a stalled subscriber and with one that
//     keeps up, against no subscriber at all;
//   - the same rates and p99 times with the sink's sender thread (pub_sink_config::send_thread).
//
//   zmqsec_bench_logging [--quick | --smoke] [--records N] [--pyzmq-records N] [--calls N]
//                        [--repeat R] [--pairs P] [--hwm N] [--python /usr/bin/python3]
//                        [--no-pyzmq]
//                        [--logtail PATH] [--cache DIR] [--no-header]
//
// Each measurement runs --repeat times, interleaved with the others (pub_sink and libzmq alone
// take turns going first); the table shows medians of the figures, and, on the rows with a goal,
// the median of each pass's ratio; each pass's figures and ratios go to stderr. Exits 1 if a
// measurement failed.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_table.hpp"
#include "logging_bench.hpp"

namespace zb = zmqsec::bench;
using namespace zmqsec::bench::logs;

namespace {

using namespace std::chrono_literals;

struct options {
  std::uint64_t records = 1000000;
  std::uint64_t pyzmq_records = 100000;
  std::uint64_t calls = 100000;
  int repeat = 3;
  int pairs = 3;  // of the ceiling rows, in each pass
  std::string python = "/usr/bin/python3";
  fs::path pyzmq_script = ZMQSEC_BENCH_LOGGING_PYZMQ_SCRIPT;
  fs::path logtail = ZMQSEC_BENCH_LOGTAIL;
  fs::path dir = ZMQSEC_BENCH_CACHE_DIR;
  int hwm = zl::pub_sink_config{}.send_hwm;
  bool pyzmq = true;
  bool header = true;
};

double median(std::vector<double> v) {
  std::erase_if(v, [](double x) { return !std::isfinite(x); });
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::string count_text(std::uint64_t n) {
  return n < 1000 ? std::to_string(n) : zb::si(static_cast<double>(n), "");
}

// A receiver's rates and their ratios to the waiting sink into a bare SUB, per pass.
struct receiver_figures {
  std::vector<double> fed_by_sink, capacity, fed_by_sink_per_waiting, capacity_per_waiting;
};

struct results {
  std::vector<double> pub_waiting, json_waiting, receivers_waiting, pub, wire, json, json_wire, tcp,
      udp, null, file, py;
  receiver_figures subscriber, logtail;
  std::vector<double> lossless, p99_none, p99_stalled, p99_keeping;
  std::vector<double> pub_thread, json_thread, p99_thread_none, p99_thread_keeping;
  std::vector<double> pub_lost, json_dropped, udp_lost;
  // Each pass's ratio of two figures measured one right after the other: on a 2-core machine
  // whose speed drifts by tens of percent between passes, the median of these is steadier than
  // the ratio of two medians.
  std::vector<double> waiting_per_wire, json_waiting_per_wire;
  // libzmq alone under spdlog's log calls, and the sink against it.
  std::vector<double> spdlog_wire, json_spdlog_wire, waiting_per_spdlog_wire,
      json_waiting_per_spdlog_wire;
  std::uint64_t py_lost = 0;  // reported on stderr
};

template <class F>
void attempt(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    std::cerr << "zmqsec_bench_logging: " << what << " failed: " << e.what() << '\n';
  }
}

double last(const std::vector<double>& v) {
  return v.empty() ? NAN : v.back();
}

// Runs first() and second() in that order, or the other way round: the pairs of a run take
// turns going first, so that neither side always has the warmer (or colder) machine.
template <class F, class G>
void in_turn(bool first_goes_first, F&& first, G&& second) {
  if (first_goes_first) {
    first();
    second();
  } else {
    second();
    first();
  }
}

double ratio_of(const std::vector<double>& ours, const std::vector<double>& theirs,
                std::size_t ours_size, std::size_t theirs_size) {
  if (ours.size() == ours_size || theirs.size() == theirs_size) return NAN;  // one failed
  return ours.back() / theirs.back();
}

// The sink against libzmq alone: both wait for room (block_for, blocking sends on NODROP), so
// that both deliver every record and the figures compare what the transport carries.
// One pair: the waiting sink and libzmq alone, one right after the other, then libzmq alone
// under spdlog's log calls.
void measure_ceiling_pair(const options& opt, results& r, zl::payload_format payload,
                          bool sink_first) {
  const bool json = payload == zl::payload_format::json;
  auto& ours = json ? r.json_waiting : r.pub_waiting;
  auto& wire = json ? r.json_wire : r.wire;
  const std::size_t ours_before = ours.size(), wire_before = wire.size();
  in_turn(
      sink_first,
      [&] {
        attempt(json ? "pub_sink json block_for" : "pub_sink block_for", [&] {
          ours.push_back(
              pub_sink_rate(opt.records, payload, opt.hwm, 0, zl::overflow_policy::block_for(10s))
                  .rate);
        });
      },
      [&] {
        attempt(json ? "libzmq alone json" : "libzmq alone",
                [&] { wire.push_back(wire_rate(opt.records, payload)); });
      });
  (json ? r.json_waiting_per_wire : r.waiting_per_wire)
      .push_back(ratio_of(ours, wire, ours_before, wire_before));
  auto& under_spdlog = json ? r.json_spdlog_wire : r.spdlog_wire;
  const std::size_t under_before = under_spdlog.size();
  attempt("libzmq alone under spdlog",
          [&] { under_spdlog.push_back(wire_rate(opt.records, payload, true)); });
  (json ? r.json_waiting_per_spdlog_wire : r.waiting_per_spdlog_wire)
      .push_back(ratio_of(ours, under_spdlog, ours_before, under_before));
}

void measure_ceiling(const options& opt, results& r, bool sink_first) {
  for (int pair = 0; pair < opt.pairs; ++pair) {
    for (const auto payload : {zl::payload_format::formatted, zl::payload_format::json}) {
      measure_ceiling_pair(opt, r, payload, (pair % 2 == 0) == sink_first);
    }
  }
}
// The default policy (drop) flat out, and the sender thread: records/s received and records
// lost.
void measure_dropping(const options& opt, results& r) {
  attempt("pub_sink", [&] {
    const auto f = pub_sink_rate(opt.records, zl::payload_format::formatted, opt.hwm, 0);
    r.pub.push_back(f.rate);
    r.pub_lost.push_back(static_cast<double>(f.lost));
    // Flooded, the subscriber may fall behind; the rate it sustains without loss is found by
    // pacing the logger (needless when nothing was lost).
    r.lossless.push_back(f.lost == 0 ? f.rate : lossless_rate(opt.records, opt.hwm, f.rate * 0.95));
  });
  attempt("pub_sink json", [&] {
    const auto f = pub_sink_rate(opt.records, zl::payload_format::json, opt.hwm, 0);
    r.json.push_back(f.rate);
    r.json_dropped.push_back(static_cast<double>(f.lost));
  });
  attempt("pub_sink send_thread", [&] {
    r.pub_thread.push_back(pub_sink_rate(opt.records, zl::payload_format::formatted, opt.hwm, 0,
                                         zl::overflow_policy::drop, true)
                               .rate);
  });
  attempt("pub_sink json send_thread", [&] {
    r.json_thread.push_back(pub_sink_rate(opt.records, zl::payload_format::json, opt.hwm, 0,
                                          zl::overflow_policy::drop, true)
                                .rate);
  });
}

// One receiver measured twice beside the waiting sink into a bare SUB (measured right before):
// fed by that sink (the pair shares the 2 cores, so the heavier receiver slows both), and fed by
// libzmq alone, the cheapest sender (what the receiver can take in: the goal is that it keeps up
// with the sink).
template <class Measure>
void measure_receiver(const char* what, results& r, receiver_figures& figures, Measure&& measure) {
  const std::size_t waiting_before = r.receivers_waiting.size() - 1;
  const std::size_t fed_before = figures.fed_by_sink.size();
  attempt(what, [&] { figures.fed_by_sink.push_back(measure(feeder::sink)); });
  figures.fed_by_sink_per_waiting.push_back(
      ratio_of(figures.fed_by_sink, r.receivers_waiting, fed_before, waiting_before));
  const std::size_t capacity_before = figures.capacity.size();
  attempt(what, [&] { figures.capacity.push_back(measure(feeder::wire)); });
  figures.capacity_per_waiting.push_back(
      ratio_of(figures.capacity, r.receivers_waiting, capacity_before, waiting_before));
}

void measure_receivers(const options& opt, results& r, const fs::path& file) {
  attempt("pub_sink block_for", [&] {
    r.receivers_waiting.push_back(pub_sink_rate(opt.records, zl::payload_format::formatted, opt.hwm,
                                                0, zl::overflow_policy::block_for(10s))
                                      .rate);
  });
  if (r.receivers_waiting.empty() || !std::isfinite(r.receivers_waiting.back())) return;
  measure_receiver("subscriber", r, r.subscriber,
                   [&](feeder from) { return subscriber_rate(opt.records, from); });
  if (!opt.logtail.empty()) {
    measure_receiver("zmq-logtail", r, r.logtail, [&](feeder from) {
      return logtail_rate(opt.records, opt.logtail, file, from);
    });
  }
}

void measure(const options& opt, results& r) {
  const fs::path file = opt.dir / "logging-bench.log";
  fs::create_directories(opt.dir);
  for (int pass = 0; pass < opt.repeat; ++pass) {
    measure_ceiling(opt, r, pass % 2 == 0);
    measure_dropping(opt, r);
    attempt("tcp_sink", [&] { r.tcp.push_back(tcp_sink_rate(opt.records)); });
    attempt("udp_sink", [&] {
      const auto f = udp_sink_rate(opt.records);
      r.udp.push_back(f.rate);
      r.udp_lost.push_back(static_cast<double>(f.lost));
    });
    measure_receivers(opt, r, file);
    attempt("null_sink", [&] { r.null.push_back(null_sink_rate(opt.records)); });
    attempt("basic_file_sink", [&] { r.file.push_back(file_sink_rate(opt.records, file)); });
    if (opt.pyzmq) {
      attempt("pyzmq PUBHandler", [&] {
        const auto f = pubhandler_rate(opt.python, opt.pyzmq_script, opt.pyzmq_records);
        r.py.push_back(f.rate);
        r.py_lost = std::max(r.py_lost, f.lost);
      });
    }
    attempt("p99, no subscriber",
            [&] { r.p99_none.push_back(p99_log_call(opt.calls, audience::none)); });
    attempt("p99, stalled subscriber",
            [&] { r.p99_stalled.push_back(p99_log_call(opt.calls, audience::stalled)); });
    attempt("p99, subscriber keeping up",
            [&] { r.p99_keeping.push_back(p99_log_call(opt.calls, audience::keeping_up)); });
    attempt("p99, send_thread, no subscriber",
            [&] { r.p99_thread_none.push_back(p99_log_call(opt.calls, audience::none, true)); });
    attempt("p99, send_thread, subscriber keeping up", [&] {
      r.p99_thread_keeping.push_back(p99_log_call(opt.calls, audience::keeping_up, true));
    });
    std::cerr << "zmqsec_bench_logging: pass " << pass + 1 << " records/s: waiting "
              << last(r.pub_waiting) << " wire " << last(r.wire) << " (" << last(r.waiting_per_wire)
              << "x) json waiting " << last(r.json_waiting) << " wire json " << last(r.json_wire)
              << " (" << last(r.json_waiting_per_wire) << "x) drop " << last(r.pub) << " (lost "
              << last(r.pub_lost) << ") json drop " << last(r.json) << " (lost "
              << last(r.json_dropped) << ") tcp_sink " << last(r.tcp) << " udp_sink " << last(r.udp)
              << " (lost " << last(r.udp_lost) << ") waiting sink into bare SUB "
              << last(r.receivers_waiting) << " subscriber fed by sink "
              << last(r.subscriber.fed_by_sink) << " by wire " << last(r.subscriber.capacity)
              << " zmq-logtail fed by sink " << last(r.logtail.fed_by_sink) << " by wire "
              << last(r.logtail.capacity) << " null " << last(r.null) << " file " << last(r.file)
              << " pyzmq " << last(r.py) << "; p99 s none " << last(r.p99_none) << " stalled "
              << last(r.p99_stalled) << " keeping up " << last(r.p99_keeping)
              << "; send_thread: pub " << last(r.pub_thread) << " json " << last(r.json_thread)
              << " p99 none " << last(r.p99_thread_none) << " keeping up "
              << last(r.p99_thread_keeping) << '\n';
  }
}

std::string rate_or_dash(double v) {
  return std::isfinite(v) ? zb::rate(v) : "-";
}
std::string seconds_or_dash(double v) {
  return std::isfinite(v) ? zb::seconds(v) : "-";
}

std::string lost_text(double lost) {
  return count_text(static_cast<std::uint64_t>(std::isfinite(lost) ? lost : 0));
}

// Prints the rows; returns false if a measurement failed.
bool print(const options& opt, const results& r) {
  const double waiting = median(r.pub_waiting), json_waiting = median(r.json_waiting);
  const double pub = median(r.pub), wire = median(r.wire), json = median(r.json);
  const double json_wire = median(r.json_wire), tcp = median(r.tcp), udp = median(r.udp);
  const double null = median(r.null);
  const double file = median(r.file), py = median(r.py), lossless = median(r.lossless);
  const double none = median(r.p99_none), stalled = median(r.p99_stalled);
  const double keeping = median(r.p99_keeping);
  const double pub_thread = median(r.pub_thread), json_thread = median(r.json_thread);
  const double thread_none = median(r.p99_thread_none);
  const double thread_keeping = median(r.p99_thread_keeping);
  const double ceiling = median(r.waiting_per_wire), json_ceiling = median(r.json_waiting_per_wire);
  const std::string hwm = count_text(static_cast<std::uint64_t>(opt.hwm));
  const auto row = [](const std::string& what, const std::string& ours, const std::string& ref,
                      const std::string& theirs, double ratio, const std::string& goal = {}) {
    zb::print_row(std::cout, {what, ours, ref, theirs, ratio, goal});
  };
  const auto at_least = [](double ratio, double goal, const char* text) {
    return zb::goal(std::isfinite(ratio) && ratio >= goal, text);
  };

  if (opt.header) zb::print_header(std::cout);
  // Ratios of the rows with a goal: the median of each pass's pair (see results).
  row("log records/s, pub_sink block_for + 1 SUB", rate_or_dash(waiting),
      "libzmq alone, XPUB->SUB same frames", rate_or_dash(wire), ceiling,
      at_least(ceiling, 0.9, ">= 0.9x"));
  row("JSON records/s, pub_sink block_for + 1 SUB", rate_or_dash(json_waiting),
      "libzmq alone, same JSON frames", rate_or_dash(json_wire), json_ceiling,
      at_least(json_ceiling, 0.9, ">= 0.9x"));
  // What spdlog itself costs a record on this machine, without any sink's formatting: the
  // frames above sent from a minimal sink under the same log calls.
  row("  the same", rate_or_dash(waiting), "that, under spdlog's log calls",
      rate_or_dash(median(r.spdlog_wire)), median(r.waiting_per_spdlog_wire));
  row("  JSON, the same", rate_or_dash(json_waiting), "that, under spdlog's log calls",
      rate_or_dash(median(r.json_spdlog_wire)), median(r.json_waiting_per_spdlog_wire));
  row("  default (drop) flat out, received", rate_or_dash(pub),
      "libzmq alone, XPUB->SUB same frames", rate_or_dash(wire), pub / wire);
  row("    records lost flat out (drop), HWM " + hwm, lost_text(median(r.pub_lost)),
      "records logged", count_text(opt.records), NAN);
  row("    highest rate without loss (drop)", rate_or_dash(lossless),
      "default (drop) flat out, received", rate_or_dash(pub), lossless / pub);
  row("  JSON default (drop) flat out, received", rate_or_dash(json),
      "lost " + lost_text(median(r.json_dropped)) + ", libzmq alone", rate_or_dash(json_wire),
      json / json_wire);
  row("  send_thread (drop) flat out, received", rate_or_dash(pub_thread),
      "libzmq alone, XPUB->SUB same frames", rate_or_dash(wire), pub_thread / wire);
  row("  JSON send_thread (drop) flat out", rate_or_dash(json_thread),
      "libzmq alone, same JSON frames", rate_or_dash(json_wire), json_thread / json_wire);
  row("pub_sink block_for (as above)", rate_or_dash(waiting), "spdlog tcp_sink -> loopback reader",
      rate_or_dash(tcp), waiting / tcp, at_least(waiting / tcp, 1.5, ">= 1.5x"));
  row("  the same", rate_or_dash(waiting), "spdlog udp_sink, lost " + lost_text(median(r.udp_lost)),
      rate_or_dash(udp), waiting / udp);
  const double receivers_waiting = median(r.receivers_waiting);
  const auto receiver_rows = [&](const std::string& what, const receiver_figures& f) {
    const double capacity = median(f.capacity_per_waiting);
    row(what + ", fed by libzmq alone", rate_or_dash(median(f.capacity)),
        "pub_sink block_for + bare SUB", rate_or_dash(receivers_waiting), capacity,
        at_least(capacity, 1.0, ">= 1x"));
    row("  the same, fed by pub_sink block_for", rate_or_dash(median(f.fed_by_sink)),
        "pub_sink block_for + bare SUB", rate_or_dash(receivers_waiting),
        median(f.fed_by_sink_per_waiting));
  };
  receiver_rows("subscriber -> null_sink", r.subscriber);
  if (!opt.logtail.empty()) receiver_rows("zmq-logtail -> file", r.logtail);
  row("  pub_sink block_for (as above)", rate_or_dash(waiting),
      "spdlog basic_file_sink, same pattern", rate_or_dash(file), waiting / file);
  row("  the same", rate_or_dash(waiting), "spdlog null_sink (formats nothing)", rate_or_dash(null),
      waiting / null);
  if (opt.pyzmq) {
    row("  the same", rate_or_dash(waiting), "pyzmq PUBHandler + 1 SUB, python3", rate_or_dash(py),
        waiting / py, at_least(waiting / py, 20, ">= 20x"));
  }
  // p99 rows: the ratio is the reference's time over ours (below 1x: ours takes longer).
  row("p99 log call, 1 stalled subscriber", seconds_or_dash(stalled), "p99 log call, no subscriber",
      seconds_or_dash(none), none / stalled, at_least(none / stalled, 0.5, "<= 2x"));
  row("p99 log call, send_thread, 1 SUB keeping up", seconds_or_dash(thread_keeping),
      "p99 log call, send_thread, no subscriber", seconds_or_dash(thread_none),
      thread_none / thread_keeping, at_least(thread_none / thread_keeping, 0.5, "<= 2x"));
  row("  the same", seconds_or_dash(thread_keeping), "p99 log call, default, no subscriber",
      seconds_or_dash(none), none / thread_keeping, at_least(none / thread_keeping, 0.5, "<= 2x"));
  // The default sends from the log call: a record into a queue that libzmq's I/O thread has
  // emptied wakes that thread (a system call), which the sender thread does once per burst.
  row("  default, 1 SUB keeping up", seconds_or_dash(keeping), "p99 log call, no subscriber",
      seconds_or_dash(none), none / keeping);

  return std::isfinite(waiting) && std::isfinite(json_waiting) && std::isfinite(pub) &&
         std::isfinite(wire) && std::isfinite(json) && std::isfinite(json_wire) &&
         std::isfinite(tcp) && std::isfinite(udp) && std::isfinite(median(r.subscriber.capacity)) &&
         std::isfinite(median(r.subscriber.fed_by_sink)) &&
         (opt.logtail.empty() || (std::isfinite(median(r.logtail.capacity)) &&
                                  std::isfinite(median(r.logtail.fed_by_sink)))) &&
         std::isfinite(file) && std::isfinite(none) && std::isfinite(stalled) &&
         std::isfinite(keeping) && (!opt.pyzmq || std::isfinite(py)) && std::isfinite(pub_thread) &&
         std::isfinite(json_thread) && std::isfinite(thread_none) && std::isfinite(thread_keeping);
}

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "zmqsec_bench_logging: " << message << '\n';
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--quick") {
      opt.records = 300000;
      opt.pyzmq_records = 30000;
      opt.calls = 50000;
      opt.repeat = 2;
    } else if (a == "--smoke") {
      opt.records = 20000;
      opt.pyzmq_records = 2000;
      opt.calls = 20000;
      opt.repeat = 1;
      opt.pairs = 1;
    } else if (a == "--records") {
      opt.records = std::stoull(value());
    } else if (a == "--pyzmq-records") {
      opt.pyzmq_records = std::stoull(value());
    } else if (a == "--calls") {
      opt.calls = std::stoull(value());
    } else if (a == "--pairs") {
      opt.pairs = std::stoi(value());
    } else if (a == "--repeat") {
      opt.repeat = std::stoi(value());
    } else if (a == "--hwm") {
      opt.hwm = std::stoi(value());
    } else if (a == "--python") {
      opt.python = value();
    } else if (a == "--logtail") {
      opt.logtail = value();
    } else if (a == "--cache") {
      opt.dir = value();
    } else if (a == "--no-pyzmq") {
      opt.pyzmq = false;
    } else if (a == "--no-header") {
      opt.header = false;
    } else {
      usage_error("unknown argument " + a);
    }
  }
  if (opt.records == 0 || opt.pyzmq_records == 0 || opt.calls < 100 || opt.repeat < 1 ||
      opt.pairs < 1) {
    usage_error("counts must be positive (--calls at least 100)");
  }
  results r;
  measure(opt, r);
  return print(opt, r) ? 0 : 1;
}
