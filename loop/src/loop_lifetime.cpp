#include <zmqsec/loop/loop_lifetime.hpp>

namespace zmqsec::loop::detail {

void loop_lifetime::enter(loop_resident& resident, resident_kind what) {
  std::lock_guard lock(mutex_);
  if (resident.linked_) return;
  list& to = list_of(what);
  resident.kind_ = what;
  resident.prev_ = nullptr;
  resident.next_ = to.head;
  if (to.head != nullptr) to.head->prev_ = &resident;
  to.head = &resident;
  resident.linked_ = true;
}

void loop_lifetime::leave(loop_resident& resident) noexcept {
  std::lock_guard lock(mutex_);
  if (resident.linked_) unlink(list_of(resident.kind_), resident);
}

void loop_lifetime::unlink(list& from, loop_resident& resident) noexcept {
  if (resident.prev_ != nullptr) {
    resident.prev_->next_ = resident.next_;
  } else {
    from.head = resident.next_;
  }
  if (resident.next_ != nullptr) resident.next_->prev_ = resident.prev_;
  resident.prev_ = resident.next_ = nullptr;
  resident.linked_ = false;
}

loop_resident* loop_lifetime::take_first(list& from) noexcept {
  std::lock_guard lock(mutex_);
  loop_resident* first = from.head;
  if (first != nullptr) unlink(from, *first);
  return first;
}

void loop_lifetime::end() noexcept {
  ended_.store(true, std::memory_order_release);
  // Ending a frame runs destructors that may make a socket or spawn again: round until empty.
  for (;;) {
    bool any_left = false;
    for (list* each : {&sockets_, &frames_}) {
      // Taken out before it is told, and told without the lock: it may leave() or enter().
      while (loop_resident* resident = take_first(*each)) {
        any_left = true;
        resident->loop_ending();
      }
    }
    if (!any_left) return;
  }
}

}  // namespace zmqsec::loop::detail
