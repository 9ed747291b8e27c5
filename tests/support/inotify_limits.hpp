// The system's inotify limits, for tests that fill an event queue to make it overflow (they
// read the limit and never change it).
#pragma once

#include <cstddef>
#include <fstream>

namespace zmqsec::testing {

/// fs.inotify.max_queued_events: events an inotify instance queues before IN_Q_OVERFLOW.
inline std::size_t max_queued_inotify_events() {
  std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
  std::size_t limit = 16384;  // the kernel's default, if the file cannot be read
  limit_file >> limit;
  return limit;
}

}  // namespace zmqsec::testing
