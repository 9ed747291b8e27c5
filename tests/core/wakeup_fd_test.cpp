#include <poll.h>

#include <thread>

#include <gtest/gtest.h>
#include <zmqsec/core/wakeup_fd.hpp>

namespace {

bool readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

TEST(wakeup_fd_test, is_quiet_until_notified_and_quiet_again_after_drain) {
  zmqsec::core::wakeup_fd wake;
  EXPECT_FALSE(readable(wake.fd(), 0));
  EXPECT_FALSE(wake.drain());
  wake.notify();
  wake.notify();
  EXPECT_TRUE(readable(wake.fd(), 0));
  EXPECT_TRUE(wake.drain());
  EXPECT_FALSE(readable(wake.fd(), 0));
  EXPECT_FALSE(wake.drain());
}

TEST(wakeup_fd_test, wakes_a_poll_on_another_thread) {
  zmqsec::core::wakeup_fd wake;
  bool woke = false;
  std::thread waiter([&] { woke = readable(wake.fd(), 10'000); });
  wake.notify();
  waiter.join();
  EXPECT_TRUE(woke);
}

}  // namespace
