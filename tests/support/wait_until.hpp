// Bounded waiting on a real condition: tests never sleep for synchronisation, they poll a
// predicate until it holds or a deadline passes.
#pragma once

#include <chrono>
#include <thread>

namespace zmqsec::testing {

/// Returns true as soon as predicate() is true, false if it is still false after timeout.
template <class Predicate>
bool wait_until(Predicate predicate, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace zmqsec::testing
