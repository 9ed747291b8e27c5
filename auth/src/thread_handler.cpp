#include "thread_handler.hpp"
#include "zap_io.hpp"

#include <poll.h>
#include <zmq.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <span>
#include <string_view>

#include <zmqsec/auth/zap.hpp>

namespace zmqsec::auth::detail {

namespace {

// Requests received and decided before their replies are sent. Small: replies go out soon, so
// the clients (often on the same core) keep their requests coming; measured against 64 with the
// raw ZAP benchmark (one CPU), 8 answered more requests per second.
constexpr std::size_t batch_size = 8;

void decide_slot(const policy& current, zap_slot& slot, store_snapshots& snapshots) noexcept {
  // One view more than frames, for the stand-in of the frames that were let go.
  std::array<std::string_view, max_frames + 1> views{};
  auto split = split_slot(slot, views);
  if (!split) {
    slot.envelope_size = 0;
    slot.outcome = zap_outcome::drop;
    return;
  }
  slot.envelope_size = split->envelope.size();
  slot.outcome = decide(current, split->body, slot.reply, nullptr, snapshots);
  if (slot.outcome == zap_outcome::pending) slot.outcome = zap_outcome::drop;  // not used here
}

}  // namespace

handler_end run_zap_handler(void* socket, int stop_fd, const std::atomic<bool>& stop_flag,
                            policy_source& source, handler_counters& counters) noexcept {
  // Allocated once; zap_slot is neither copied nor moved.
  std::unique_ptr<zap_slot[]> slots;
  try {
    slots = std::make_unique<zap_slot[]>(batch_size);
  } catch (...) {
    errno = ENOMEM;
    return handler_end::failed;
  }
  message_frame scratch;

  std::shared_ptr<const policy> current;
  store_snapshots snapshots;
  std::uint64_t current_generation = 0;

  // The socket's own signalling fd, polled directly (one poll(2) per sleep, no zmq_poll
  // first pass): it is safe to wait on it only right after a receive said EAGAIN, because that
  // receive has processed every pending command (a send may process commands too, and could
  // leave a message ready without the fd saying so). So the loop polls only when a receive
  // attempt found nothing, and after sending replies it always tries a receive first.
  int zmq_fd = -1;
  std::size_t zmq_fd_size = sizeof zmq_fd;
  while (zmq_getsockopt(socket, ZMQ_FD, &zmq_fd, &zmq_fd_size) != 0) {
    if (errno == EINTR) continue;
    return errno == ETERM ? handler_end::terminated : handler_end::failed;
  }
  pollfd fds[2] = {{zmq_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  bool wait_first = false;
  for (;;) {
    if (stop_flag.load(std::memory_order_relaxed)) return handler_end::stopped;
    if (wait_first) {
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return handler_end::failed;
      }
      if ((fds[1].revents & (POLLIN | POLLERR | POLLHUP | POLLNVAL)) != 0) {
        return handler_end::stopped;
      }
      if ((fds[0].revents & POLLNVAL) != 0) {
        errno = EBADF;
        return handler_end::failed;
      }
      wait_first = false;
    }

    // One batch: receive and decide up to batch_size requests, then send their replies.
    {
      std::size_t count = 0;
      std::uint64_t dropped = 0;
      for (; count < batch_size; ++count) {
        zap_slot& slot = slots[count];
        receive_result received = receive(socket, slot, scratch);
        if (received == receive_result::empty) break;
        if (received == receive_result::error) {
          return errno == ETERM ? handler_end::terminated : handler_end::failed;
        }
        std::uint64_t generation = source.generation.load(std::memory_order_acquire);
        if (generation != current_generation || !current) {
          current = source.current.load(std::memory_order_acquire);
          current_generation = generation;
        }
        decide_slot(*current, slot, snapshots);
      }

      // Counted before the replies go out, so that whoever sees a reply sees it counted.
      std::uint64_t accepted = 0, temporary = 0, refused = 0, internal = 0;
      for (std::size_t i = 0; i < count; ++i) {
        const zap_slot& slot = slots[i];
        if (slot.outcome != zap_outcome::reply) {
          ++dropped;
          continue;
        }
        switch (slot.reply.status) {
          case zap_status::success:
            ++accepted;
            break;
          case zap_status::temporary_failure:
            ++temporary;
            break;
          case zap_status::failure:
            ++refused;
            break;
          case zap_status::internal_error:
            ++internal;
            break;
        }
      }
      add(counters.requests, count);
      add(counters.accepted, accepted);
      add(counters.temporary_failures, temporary);
      add(counters.refused, refused);
      add(counters.internal_errors, internal);
      add(counters.dropped, dropped);

      std::uint64_t send_failures = 0;
      for (std::size_t i = 0; i < count; ++i) {
        zap_slot& slot = slots[i];
        if (slot.outcome != zap_outcome::reply) continue;
        if (int error = send_reply(socket, slot); error != 0) {
          if (error == ETERM) return handler_end::terminated;
          ++send_failures;
        }
      }
      add(counters.send_failures, send_failures);

      // Nothing received: the last operation was a receive that said EAGAIN, so the fd may be
      // waited on. Otherwise try another batch first.
      if (count == 0) wait_first = true;
    }
  }
}

}  // namespace zmqsec::auth::detail
