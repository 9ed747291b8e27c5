// zmqsec_bench_micro: Z85 and key micro-benchmarks, printed as one table of ours against the
// references (libzmq) measured in the same run.
//
//   zmqsec_bench_micro [--no-header] [Google Benchmark flags...]
//
// Google Benchmark's own report goes to stderr (and to --benchmark_out if given); the table goes
// to stdout. With --benchmark_repetitions the table uses the medians, and
// --benchmark_enable_random_interleaving=true spreads every pair's repetitions over the run so
// that a burst of load on the shared machine hits ours and the reference alike.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "bench_table.hpp"
#include "micro_bench.hpp"

namespace zb = zmqsec::bench;

namespace {

/// Shows Google Benchmark's usual report on stderr and keeps every run's rates for the table.
class table_reporter : public benchmark::ConsoleReporter {
 public:
  table_reporter() : benchmark::ConsoleReporter(OO_Tabular) {
    SetOutputStream(&std::cerr);
    SetErrorStream(&std::cerr);
  }

  void ReportRuns(const std::vector<Run>& runs) override {
    benchmark::ConsoleReporter::ReportRuns(runs);
    for (const auto& run : runs) {
      // A single run, or the median of repetitions; the other aggregates are not used.
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      if (run.error_occurred) {
        failed_[run.run_name.str()] = true;
        continue;
      }
      auto& figures = figures_[run.run_name.str()];
      if (auto it = run.counters.find("items_per_second"); it != run.counters.end())
        figures.items = it->second.value;
      if (auto it = run.counters.find("bytes_per_second"); it != run.counters.end())
        figures.bytes = it->second.value;
    }
  }

  /// The figure of a run, or NAN if it did not run (filtered out or failed).
  double figure(const std::string& name, zb::comparison::figure which) const {
    if (failed_.contains(name)) return NAN;
    auto it = figures_.find(name);
    if (it == figures_.end()) return NAN;
    return which == zb::comparison::figure::items ? it->second.items : it->second.bytes;
  }

 private:
  struct rates {
    double items = NAN;
    double bytes = NAN;
  };
  std::map<std::string, rates> figures_;
  std::map<std::string, bool> failed_;
};

std::string format(double value, zb::comparison::figure which) {
  if (std::isnan(value)) return "-";
  return which == zb::comparison::figure::items ? zb::rate(value) : zb::byte_rate(value);
}

void print_table(const table_reporter& reporter, bool header) {
  if (header) zb::print_header(std::cout);
  for (const auto* list : {&zb::z85_comparisons(), &zb::keys_comparisons()}) {
    for (const auto& c : *list) {
      const double ours = reporter.figure(c.ours, c.shown);
      const double ref = reporter.figure(c.ref, c.shown);
      if (std::isnan(ours) && std::isnan(ref)) continue;  // filtered out
      zb::print_row(std::cout, {c.measure, format(ours, c.shown), c.reference, format(ref, c.shown),
                                ours / ref});
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool header = true;
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--no-header") == 0) {
      header = false;
      continue;
    }
    argv[kept++] = argv[i];
  }
  argc = kept;

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  table_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  print_table(reporter, header);
  return 0;
}
