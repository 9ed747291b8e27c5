#include <zmqsec/core/wakeup_fd.hpp>

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include <zmqsec/error.hpp>

namespace zmqsec::core {

wakeup_fd::wakeup_fd() : fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!fd_) throw zmqsec::error::from_errno(errno, "cannot create a wake-up fd (eventfd)");
}

void wakeup_fd::notify() noexcept {
  const std::uint64_t one = 1;
  // Fails only with EAGAIN when the counter is at its maximum, which leaves it readable anyway.
  [[maybe_unused]] auto written = ::write(fd_.get(), &one, sizeof one);
}

bool wakeup_fd::drain() noexcept {
  std::uint64_t count = 0;
  // One read returns and resets the whole counter; EINTR is retried, EAGAIN means not notified.
  for (;;) {
    if (::read(fd_.get(), &count, sizeof count) == static_cast<ssize_t>(sizeof count)) return true;
    if (errno != EINTR) return false;
  }
}

}  // namespace zmqsec::core
