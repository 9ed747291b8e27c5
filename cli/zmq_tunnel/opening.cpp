#include "opening.hpp"

#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <string>

#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/core/worker.hpp>
#include <zmqsec/tunnel/open.hpp>

namespace zmqsec::tunnel_tool {
namespace {

// How long an opening may take to fail once its children are gone, before it is abandoned: the
// openssh backend notices its ssh gone at once (a pidfd) and removes its askpass folder within
// milliseconds; the libssh2 backend, blocked in a read from a silent server, never finishes and
// has nothing on disk to clean up. Short enough that a stop takes well under a second.
constexpr int grace_ms = 300;

// SIGTERM to every child of this process (each thread's children, from /proc) and to its process
// group: ssh runs in a session of its own, with its ProxyCommand and askpass children.
void end_children() noexcept {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return;
  while (const dirent* task = ::readdir(tasks)) {
    if (task->d_name[0] == '.') continue;
    std::ifstream children(std::string("/proc/self/task/") + task->d_name + "/children");
    for (pid_t pid = 0; children >> pid;) {
      ::kill(-pid, SIGTERM);
      ::kill(pid, SIGTERM);
    }
  }
  ::closedir(tasks);
}

// Waits up to timeout_ms (-1: for ever) for fd to be readable.
bool readable(int fd, int timeout_ms) {
  pollfd item{fd, POLLIN, 0};
  return ::poll(&item, 1, timeout_ms) > 0 && (item.revents & POLLIN) != 0;
}

struct outcome {
  std::mutex mutex;
  std::optional<opened_tunnel> opened;
  std::exception_ptr error;
  core::wakeup_fd done;
};

}  // namespace

std::optional<opened_tunnel> open_unless_stopped(options& opts, int stop_fd) {
  outcome result;
  core::worker opener;
  opener.start("zmq-tunnel-open", [&](const core::stop_view&) {
    auto& topt = opts.tunnel;
    try {
      auto opened = zmqsec::tunnel::open_tunnel(opts.address, opts.server, topt);
      const std::lock_guard lock(result.mutex);
      result.opened.emplace(std::move(opened));
    } catch (...) {
      const std::lock_guard lock(result.mutex);
      result.error = std::current_exception();
    }
    topt.password.wipe_and_clear();
    topt.passphrase.wipe_and_clear();
    result.done.notify();
  });
  pollfd items[] = {{stop_fd, POLLIN, 0}, {result.done.fd(), POLLIN, 0}};
  while (::poll(items, 2, -1) < 0) {
  }
  if ((items[1].revents & POLLIN) == 0) {
    end_children();
    if (!readable(result.done.fd(), grace_ms)) std::_Exit(exit_success);
    opener.stop();
    return std::nullopt;  // the opening failed or succeeded after the stop: either way, stop
  }
  opener.stop();
  const std::lock_guard lock(result.mutex);
  if (result.error) std::rethrow_exception(result.error);
  return std::move(result.opened);
}

}  // namespace zmqsec::tunnel_tool
