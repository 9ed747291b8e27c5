#include <zmqsec/core/no_core_dumps.hpp>

#include <sys/prctl.h>

#include <cerrno>
#include <mutex>

#include <zmqsec/error.hpp>

namespace zmqsec::core {
namespace {

std::mutex guards_mutex;
int guards = 0;
int dumpable_before = 0;

}  // namespace

no_core_dumps::no_core_dumps() {
  const std::lock_guard lock(guards_mutex);
  if (guards == 0) {
    const int before = ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
    if (before < 0 || ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
      throw zmqsec::error::from_errno(errno, "cannot mark the process non-dumpable");
    }
    dumpable_before = before;
  }
  ++guards;
}

no_core_dumps::~no_core_dumps() {
  const std::lock_guard lock(guards_mutex);
  if (--guards == 0 && dumpable_before != 0) {
    ::prctl(PR_SET_DUMPABLE, dumpable_before, 0, 0, 0);
  }
}

bool no_core_dumps::process_dumpable() noexcept {
  return ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) > 0;
}

}  // namespace zmqsec::core
