// The micro-benchmarks' pairs: which benchmark of ours is compared with which reference, so the
// program can print one table row per pair from the runs Google Benchmark reports.
#pragma once

#include <string>
#include <vector>

namespace zmqsec::bench {

struct comparison {
  /// The figure a row shows: operations per second, or binary bytes per second.
  enum class figure { items, bytes };

  std::string measure;    ///< the table's first column
  std::string ours;       ///< the Google Benchmark run name of ours, e.g. "z85_decode_to_ours/32"
  std::string reference;  ///< what the reference is, for the table
  std::string ref;        ///< the run name of the reference
  figure shown = figure::items;
};

const std::vector<comparison>& z85_comparisons();
const std::vector<comparison>& keys_comparisons();

}  // namespace zmqsec::bench
