// What a lookup in a table of a given size cannot go below on this machine: random reads from
// an array of that size, laid out as the table is (one mapping, on 2 MiB pages when the kernel
// grants them).
//
//   const auto floor = zmqsec::bench::measure_memory_floor(66 << 20, 2000000);
//   floor.dependent_ns;    // one read whose address comes from the previous one (pointer chase)
//   floor.independent_ns;  // reads whose addresses are known ahead: as many in flight as the
//                          // processor allows
#pragma once

#include <cstddef>

namespace zmqsec::bench {

struct memory_floor {
  double dependent_ns = 0;
  double independent_ns = 0;
  double huge_page_share = 0;  // of the array, 0 to 1
};

/// Reads reads random 64-byte lines of an array of bytes, each way.
memory_floor measure_memory_floor(std::size_t bytes, std::size_t reads);

}  // namespace zmqsec::bench
