// What has to end with its event loop: the coroutine frames that spawn() owns and the
// async_sockets on the loop. Without it, destroying a loop leaks the frame of every spawned
// coroutine that was still waiting (nothing would ever resume or destroy it), and an async_socket
// that outlives its loop would cancel its watch on a loop that is gone.
//
// A loop's destructor calls end() first, while the loop still works: every async_socket stops
// watching and lets go of its waiting operations without resuming them (a receive read nothing,
// a send gave libzmq nothing), then every spawned frame is destroyed, which destroys what it
// awaited. Nothing is resumed from end(). A start that spawn() posted and that runs after end()
// (Asio's io_context may outlive its asio_loop) finds the lifetime ended and does nothing.
#pragma once

#include <atomic>
#include <mutex>

namespace zmqsec::loop::detail {

/// Sockets end before frames: a frame destroyed later finds its sockets closed already.
enum class resident_kind { socket, frame };

/// Something registered with a loop_lifetime. Unlinks itself when it goes (leave()).
class loop_resident {
 public:
  loop_resident() = default;
  loop_resident(const loop_resident&) = delete;
  loop_resident& operator=(const loop_resident&) = delete;

  /// The loop is ending (and still works): let go of it without resuming anything.
  virtual void loop_ending() noexcept = 0;

 protected:
  ~loop_resident() = default;

 private:
  friend class loop_lifetime;
  loop_resident* prev_ = nullptr;
  loop_resident* next_ = nullptr;
  bool linked_ = false;
  resident_kind kind_ = resident_kind::frame;
};

class loop_lifetime {
 public:
  loop_lifetime() = default;
  loop_lifetime(const loop_lifetime&) = delete;
  loop_lifetime& operator=(const loop_lifetime&) = delete;

  /// Any thread (spawn() may be called from any thread).
  void enter(loop_resident& resident, resident_kind what);
  /// Any thread; nothing if it is not registered (any more).
  void leave(loop_resident& resident) noexcept;
  /// Whether end() was called.
  bool ended() const noexcept { return ended_.load(std::memory_order_acquire); }
  /// Ends every resident, sockets first, until none is left. Once, from the loop's destructor.
  void end() noexcept;

 private:
  struct list {
    loop_resident* head = nullptr;
  };
  list& list_of(resident_kind what) noexcept {
    return what == resident_kind::socket ? sockets_ : frames_;
  }
  static void unlink(list& from, loop_resident& resident) noexcept;
  loop_resident* take_first(list& from) noexcept;

  std::mutex mutex_;
  list sockets_;
  list frames_;
  std::atomic<bool> ended_{false};
};

}  // namespace zmqsec::loop::detail
