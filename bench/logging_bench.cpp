// zmqsec_bench_logging: pub_sink against the ceiling of its transport and the sinks a user would
// pick instead, in one run:
//   - records/s through a pub_sink with one SUB (on another thread, over tcp on 127.0.0.1,
//     libzmq's default options) receiving everything, timed from the first log call to the last
//     record received, against libzmq alone carrying the same two frames per record,
//     preformatted once, with blocking sends to the same kind of SUB (the ceiling of any sink);
//     with spdlog's default pattern and with JSON payloads;
//   - the same against spdlog 1.10's tcp_sink and udp_sink into loopback readers that count, and,
//     as context, spdlog's null_sink and basic_file_sink and pyzmq's PUBHandler (python3 child);
//   - the receiving side: zmqsec::logging::subscriber into a null sink, and zmq-logtail printing
//     into a file, each fed by a pub_sink that waits for room (nothing lost), against the sink
//     and against the same waiting sink into the bare SUB;
//   - records lost at the flat-out rate with the default policy (drop) and send HWM, and, when
//     some were, the highest rate at which none is: the logger paced at falling rates;
//   - the p99 time of one log call with a stalled subscriber and with one that keeps up, against
//     no subscriber at all;
//   - the same rates and p99 times with the sink's sender thread (pub_sink_config::send_thread).
//
//   zmqsec_bench_logging [--quick | --smoke] [--records N] [--pyzmq-records N] [--calls N]
//                        [--repeat R] [--hwm N] [--python /usr/bin/python3] [--no-pyzmq]
//                        [--logtail PATH] [--cache DIR] [--no-header]
//
// Each measurement runs --repeat times, interleaved with the others (pub_sink and libzmq alone
// take turns going first); the table shows medians, and each pass's figures and ratios go to
// stderr. Exits 1 if a measurement failed.
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
  std::uint64_t calls = 200000;
  int repeat = 3;
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

struct results {
  std::vector<double> pub_waiting, pub, wire, json, json_wire, tcp, udp, subscriber, logtail, null,
      file, py;
  std::vector<double> lossless, p99_none, p99_stalled, p99_keeping;
  std::vector<double> pub_thread, json_thread, p99_thread_none, p99_thread_keeping;
  std::vector<double> pub_lost, udp_lost;
  std::uint64_t json_lost = 0, py_lost = 0;  // reported on stderr
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

void measure_streams(const options& opt, results& r, bool sink_first) {
  const auto pub = [&] {
    attempt("pub_sink", [&] {
      const auto f = pub_sink_rate(opt.records, zl::payload_format::formatted, opt.hwm, 0);
      r.pub.push_back(f.rate);
      r.pub_lost.push_back(static_cast<double>(f.lost));
      // Flooded, the subscriber may fall behind; the rate it sustains without loss is found by
      // pacing the logger (needless when nothing was lost).
      r.lossless.push_back(f.lost == 0 ? f.rate
                                       : lossless_rate(opt.records, opt.hwm, f.rate * 0.95));
    });
    attempt("pub_sink json", [&] {
      const auto f = pub_sink_rate(opt.records, zl::payload_format::json, opt.hwm, 0);
      r.json.push_back(f.rate);
      r.json_lost = std::max(r.json_lost, f.lost);
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
  };
  const auto wire = [&] {
    attempt("libzmq alone",
            [&] { r.wire.push_back(wire_rate(opt.records, zl::payload_format::formatted)); });
    attempt("libzmq alone json",
            [&] { r.json_wire.push_back(wire_rate(opt.records, zl::payload_format::json)); });
  };
  if (sink_first) {
    pub();
    wire();
  } else {
    wire();
    pub();
  }
}

void measure(const options& opt, results& r) {
  const fs::path file = opt.dir / "logging-bench.log";
  fs::create_directories(opt.dir);
  for (int pass = 0; pass < opt.repeat; ++pass) {
    measure_streams(opt, r, pass % 2 == 0);
    attempt("tcp_sink", [&] { r.tcp.push_back(tcp_sink_rate(opt.records)); });
    attempt("udp_sink", [&] {
      const auto f = udp_sink_rate(opt.records);
      r.udp.push_back(f.rate);
      r.udp_lost.push_back(static_cast<double>(f.lost));
    });
    attempt("pub_sink block_for", [&] {
      r.pub_waiting.push_back(pub_sink_rate(opt.records, zl::payload_format::formatted, opt.hwm, 0,
                                            zl::overflow_policy::block_for(10s))
                                  .rate);
    });
    attempt("subscriber", [&] { r.subscriber.push_back(subscriber_rate(opt.records)); });
    if (!opt.logtail.empty()) {
      attempt("zmq-logtail",
              [&] { r.logtail.push_back(logtail_rate(opt.records, opt.logtail, file)); });
    }
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
    std::cerr << "zmqsec_bench_logging: pass " << pass + 1 << " records/s: pub " << last(r.pub)
              << " wire " << last(r.wire) << " (" << last(r.pub) / last(r.wire) << "x) json "
              << last(r.json) << " wire json " << last(r.json_wire) << " ("
              << last(r.json) / last(r.json_wire) << "x) tcp_sink " << last(r.tcp) << " ("
              << last(r.pub) / last(r.tcp) << "x) udp_sink " << last(r.udp) << " (lost "
              << last(r.udp_lost) << ") pub block_for " << last(r.pub_waiting) << " subscriber "
              << last(r.subscriber) << " zmq-logtail " << last(r.logtail) << " null "
              << last(r.null) << " file " << last(r.file) << " pyzmq " << last(r.py)
              << "; p99 s none " << last(r.p99_none) << " stalled " << last(r.p99_stalled)
              << " keeping up " << last(r.p99_keeping) << "; send_thread: pub "
              << last(r.pub_thread) << " json " << last(r.json_thread) << " p99 none "
              << last(r.p99_thread_none) << " keeping up " << last(r.p99_thread_keeping) << '\n';
  }
}

std::string rate_or_dash(double v) {
  return std::isfinite(v) ? zb::rate(v) : "-";
}
std::string seconds_or_dash(double v) {
  return std::isfinite(v) ? zb::seconds(v) : "-";
}

// Prints the rows; returns false if a measurement failed.
bool print(const options& opt, const results& r) {
  const double waiting = median(r.pub_waiting);
  const double pub = median(r.pub), wire = median(r.wire), json = median(r.json);
  const double json_wire = median(r.json_wire), tcp = median(r.tcp), udp = median(r.udp);
  const double sub = median(r.subscriber), tail = median(r.logtail), null = median(r.null);
  const double file = median(r.file), py = median(r.py), lossless = median(r.lossless);
  const double none = median(r.p99_none), stalled = median(r.p99_stalled);
  const double keeping = median(r.p99_keeping);
  const double pub_lost = median(r.pub_lost), udp_lost = median(r.udp_lost);
  const double pub_thread = median(r.pub_thread), json_thread = median(r.json_thread);
  const double thread_none = median(r.p99_thread_none);
  const double thread_keeping = median(r.p99_thread_keeping);
  const std::string hwm = count_text(static_cast<std::uint64_t>(opt.hwm));
  const auto row = [](const std::string& what, const std::string& ours, const std::string& ref,
                      const std::string& theirs, double ratio, const std::string& goal = {}) {
    zb::print_row(std::cout, {what, ours, ref, theirs, ratio, goal});
  };

  if (opt.header) zb::print_header(std::cout);
  row("log records/s, pub_sink + 1 SUB (tcp)", rate_or_dash(pub),
      "libzmq alone, XPUB->SUB same frames", rate_or_dash(wire), pub / wire,
      zb::goal(std::isfinite(pub / wire) && pub / wire >= 0.9, ">= 0.9x"));
  row("JSON records/s, pub_sink + 1 SUB (tcp)", rate_or_dash(json),
      "libzmq alone, same JSON frames", rate_or_dash(json_wire), json / json_wire,
      zb::goal(std::isfinite(json / json_wire) && json / json_wire >= 0.9, ">= 0.9x"));
  row("log records/s, send_thread + 1 SUB", rate_or_dash(pub_thread),
      "libzmq alone, XPUB->SUB same frames", rate_or_dash(wire), pub_thread / wire,
      zb::goal(std::isfinite(pub_thread / wire) && pub_thread / wire >= 0.9, ">= 0.9x"));
  row("JSON records/s, send_thread + 1 SUB", rate_or_dash(json_thread),
      "libzmq alone, same JSON frames", rate_or_dash(json_wire), json_thread / json_wire,
      zb::goal(std::isfinite(json_thread / json_wire) && json_thread / json_wire >= 0.9,
               ">= 0.9x"));
  row("  pub_sink (as above)", rate_or_dash(pub), "spdlog tcp_sink -> loopback reader",
      rate_or_dash(tcp), pub / tcp,
      zb::goal(std::isfinite(pub / tcp) && pub / tcp >= 1.5, ">= 1.5x"));
  row("  the same", rate_or_dash(pub),
      "spdlog udp_sink, lost " + count_text(static_cast<std::uint64_t>(udp_lost)),
      rate_or_dash(udp), pub / udp);
  row("pub_sink block_for(10s) + 1 SUB", rate_or_dash(waiting), "pub_sink + 1 SUB (as above)",
      rate_or_dash(pub), waiting / pub);
  row("subscriber -> null_sink, records/s", rate_or_dash(sub), "pub_sink + 1 SUB (as above)",
      rate_or_dash(pub), sub / pub, zb::goal(std::isfinite(sub / pub) && sub >= pub, ">= 1x"));
  row("  the same", rate_or_dash(sub), "pub_sink block_for(10s) + 1 SUB", rate_or_dash(waiting),
      sub / waiting);
  if (!opt.logtail.empty()) {
    row("zmq-logtail -> file, records/s", rate_or_dash(tail), "pub_sink + 1 SUB (as above)",
        rate_or_dash(pub), tail / pub, zb::goal(std::isfinite(tail / pub) && tail >= pub, ">= 1x"));
  }
  row("  pub_sink (as above)", rate_or_dash(pub), "spdlog basic_file_sink, same pattern",
      rate_or_dash(file), pub / file);
  row("  the same", rate_or_dash(pub), "spdlog null_sink (formats nothing)", rate_or_dash(null),
      pub / null);
  if (opt.pyzmq) {
    row("  the same", rate_or_dash(pub), "pyzmq PUBHandler + 1 SUB, python3", rate_or_dash(py),
        pub / py, zb::goal(std::isfinite(pub / py) && pub / py >= 20, ">= 20x"));
  }
  row("  records lost at that rate (drop), HWM " + hwm,
      count_text(static_cast<std::uint64_t>(std::isfinite(pub_lost) ? pub_lost : 0)),
      "records logged", count_text(opt.records), NAN);
  row("  highest rate without loss, HWM " + hwm, rate_or_dash(lossless),
      "pub_sink flat out (as above)", rate_or_dash(pub), lossless / pub);
  row("p99 log call, 1 stalled subscriber", seconds_or_dash(stalled), "p99 log call, no subscriber",
      seconds_or_dash(none), none / stalled,
      zb::goal(std::isfinite(none / stalled) && stalled <= 2 * none, "<= 2x"));
  row("p99 log call, 1 SUB keeping up", seconds_or_dash(keeping), "p99 log call, no subscriber",
      seconds_or_dash(none), none / keeping,
      zb::goal(std::isfinite(none / keeping) && keeping <= 2 * none, "<= 2x"));
  row("p99 log call, send_thread, 1 SUB keeping up", seconds_or_dash(thread_keeping),
      "p99 log call, send_thread, no subscriber", seconds_or_dash(thread_none),
      thread_none / thread_keeping,
      zb::goal(std::isfinite(thread_none / thread_keeping) && thread_keeping <= 2 * thread_none,
               "<= 2x"));
  row("  the same", seconds_or_dash(thread_keeping), "p99 log call, no subscriber (as above)",
      seconds_or_dash(none), none / thread_keeping,
      zb::goal(std::isfinite(none / thread_keeping) && thread_keeping <= 2 * none, "<= 2x"));

  return std::isfinite(pub) && std::isfinite(wire) && std::isfinite(json) &&
         std::isfinite(json_wire) && std::isfinite(tcp) && std::isfinite(udp) &&
         std::isfinite(sub) && (opt.logtail.empty() || std::isfinite(tail)) &&
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
      opt.calls = 100000;
      opt.repeat = 2;
    } else if (a == "--smoke") {
      opt.records = 20000;
      opt.pyzmq_records = 2000;
      opt.calls = 20000;
      opt.repeat = 1;
    } else if (a == "--records") {
      opt.records = std::stoull(value());
    } else if (a == "--pyzmq-records") {
      opt.pyzmq_records = std::stoull(value());
    } else if (a == "--calls") {
      opt.calls = std::stoull(value());
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
  if (opt.records == 0 || opt.pyzmq_records == 0 || opt.calls < 100 || opt.repeat < 1) {
    usage_error("counts must be positive (--calls at least 100)");
  }
  results r;
  measure(opt, r);
  return print(opt, r) ? 0 : 1;
}
