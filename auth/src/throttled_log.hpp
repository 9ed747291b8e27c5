// throttled_log: how the decision log keeps a password guesser from flooding it. A throttled
// address is refused without any check, as fast as it can ask; logging each refusal would write
// a line per attempt (tens of thousands a second) and bury everything else. So the first
// throttled refusal of an address is logged, the ones after it within 10 seconds are counted,
// and the next line for that address says how many were not logged. stats().throttled and the
// decision observer still see every one. Private to zmqsec::auth.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace zmqsec::auth::detail {

class throttled_log {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds quiet_period{10};
  static constexpr std::size_t addresses = 4096;  // at most; the quiet ones are forgotten first

  /// For a throttled refusal from address: whether to log it, and (in skipped) how many of the
  /// address's throttled refusals went unlogged before it.
  bool should_log(std::string_view address, std::uint64_t& skipped, clock::time_point now);

 private:
  struct entry {
    clock::time_point logged;
    std::uint64_t skipped = 0;
  };
  void make_room(clock::time_point now);

  std::mutex mutex_;  // observers of both transports may call at once
  std::unordered_map<std::string, entry> entries_;
};

}  // namespace zmqsec::auth::detail
