#include <zmqsec/loop/reactor.hpp>

#include <sys/epoll.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <zmqsec/core/wakeup_fd.hpp>
#include <zmqsec/detail/unique_fd.hpp>
#include <zmqsec/error.hpp>

namespace zmqsec::loop {

namespace detail {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::uint64_t wake_id = 0;  // epoll data of the wake-up fd; watches count from 1

struct watch_entry {
  int fd;
  std::function<void(io_events)> on_ready;
};

using timer_key = std::pair<clock::time_point, std::uint64_t>;  // due, then creation order

struct timer_entry {
  event_loop::task fn;
  clock::duration interval{};  // zero: one-shot
  timer_key key{};             // where it is in the schedule (a repeating timer moves)
  bool scheduled = true;       // in timers_
  bool cancelled = false;
};

std::uint32_t to_epoll(io_events events) {
  std::uint32_t out = 0;
  if (any(events & io_events::readable)) out |= EPOLLIN;
  if (any(events & io_events::writable)) out |= EPOLLOUT;
  return out;
}

}  // namespace

class reactor_impl {
 public:
  reactor_impl() : epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) throw zmqsec::error::from_errno(errno, "reactor: epoll_create1");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = wake_id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.fd(), &ev) != 0) {
      throw zmqsec::error::from_errno(errno, "reactor: epoll_ctl");
    }
  }

  void run(std::optional<clock::time_point> deadline) {
    struct running_guard {
      std::atomic<std::thread::id>& id;
      std::atomic<bool>& stop;
      ~running_guard() {
        id.store(std::thread::id());
        stop.store(false);
      }
    } guard{running_, stop_};
    running_.store(std::this_thread::get_id());
    while (!stop_.load(std::memory_order_acquire)) {
      if (deadline && clock::now() >= *deadline) return;
      iterate(deadline);
    }
  }

  void stop() noexcept {
    stop_.store(true, std::memory_order_release);
    wake();
  }

  // From the loop's own thread (a socket_watch's next turn after a batch) there is no one to
  // wake: the next epoll_wait just must not sleep. One queue either way keeps the order.
  void post(event_loop::task fn) {
    const bool own_thread = in_loop_thread();
    bool was_empty = false;
    {
      std::lock_guard lock(posted_mutex_);
      was_empty = posted_.empty();
      posted_.push_back(std::move(fn));
    }
    if (own_thread) {
      posted_from_loop_ = true;
    } else if (was_empty) {
      wake();
    }
  }

  std::uint64_t add_watch(int fd, io_events events, std::function<void(io_events)> on_ready) {
    const std::uint64_t id = next_id_++;
    epoll_event ev{};
    ev.events = to_epoll(events);
    ev.data.u64 = id;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
      throw zmqsec::error::from_errno(errno, "reactor: cannot watch fd " + std::to_string(fd));
    }
    watches_.emplace(id, std::make_shared<watch_entry>(watch_entry{fd, std::move(on_ready)}));
    return id;
  }

  void remove_watch(std::uint64_t id) noexcept {
    auto found = watches_.find(id);
    if (found == watches_.end()) return;
    ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, found->second->fd, nullptr);
    watches_.erase(found);
  }

  std::shared_ptr<timer_entry> add_timer(clock::duration delay, clock::duration interval,
                                         event_loop::task fn) {
    auto entry = std::make_shared<timer_entry>();
    entry->fn = std::move(fn);
    entry->interval = interval;
    entry->key = timer_key{clock::now() + delay, next_id_++};
    timers_.emplace(entry->key, entry);
    return entry;
  }

  void remove_timer(timer_entry& entry) noexcept {
    entry.cancelled = true;
    if (entry.scheduled) timers_.erase(entry.key);
    entry.scheduled = false;
  }

  bool in_loop_thread() const noexcept { return running_.load() == std::this_thread::get_id(); }

 private:
  void wake() noexcept { wake_.notify(); }

  void iterate(std::optional<clock::time_point> deadline) {
    std::array<epoll_event, 64> events;
    const int ready = ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                                   wait_ms(deadline));
    if (ready < 0 && errno != EINTR) throw zmqsec::error::from_errno(errno, "reactor: epoll_wait");
    for (int i = 0; i < ready && !stopping(); ++i) dispatch(events[i]);
    if (!stopping()) run_timers();
    if (!stopping()) run_posted();
  }

  bool stopping() const noexcept { return stop_.load(std::memory_order_relaxed); }

  // Milliseconds epoll may sleep: none when tasks wait, else until the next timer or deadline,
  // rounded up so that a timer is never polled for early.
  int wait_ms(std::optional<clock::time_point> deadline) {
    if (!ready_.empty() || posted_from_loop_) return 0;
    std::optional<clock::time_point> until = deadline;
    if (!timers_.empty()) {
      auto due = timers_.begin()->first.first;
      if (!until || due < *until) until = due;
    }
    if (!until) return -1;
    auto left = *until - clock::now();
    if (left <= clock::duration::zero()) return 0;
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    return static_cast<int>(std::min<long long>(ms, 1 << 30));
  }

  void dispatch(const epoll_event& ev) {
    if (ev.data.u64 == wake_id) {
      wake_.drain();
      return;
    }
    auto found = watches_.find(ev.data.u64);
    if (found == watches_.end()) return;  // cancelled by an earlier callback of this round
    std::shared_ptr<watch_entry> entry = found->second;  // survives a cancel from inside
    io_events what = io_events::none;
    if ((ev.events & (EPOLLIN | EPOLLERR | EPOLLHUP)) != 0) what = what | io_events::readable;
    if ((ev.events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) != 0) what = what | io_events::writable;
    entry->on_ready(what);
  }

  // Runs the timers due now; those the callbacks make or move wait for the next round.
  void run_timers() {
    const auto now = clock::now();
    due_.clear();
    while (!timers_.empty() && timers_.begin()->first.first <= now) {
      auto first = timers_.begin();
      std::shared_ptr<timer_entry> entry = std::move(first->second);
      timers_.erase(first);
      if (entry->interval > clock::duration::zero()) {
        auto due = entry->key.first + entry->interval;
        if (due <= now) due = now + entry->interval;
        entry->key = timer_key{due, next_id_++};
        timers_.emplace(entry->key, entry);
      } else {
        entry->scheduled = false;
      }
      due_.push_back(std::move(entry));
    }
    for (std::size_t i = 0; i < due_.size() && !stopping(); ++i) {
      // Held here, so a cancel from inside its own callback leaves the function alive.
      std::shared_ptr<timer_entry> entry = due_[i];
      if (!entry->cancelled) entry->fn();
    }
    due_.clear();
  }

  void run_posted() {
    posted_from_loop_ = false;
    {
      std::lock_guard lock(posted_mutex_);
      for (auto& fn : posted_) ready_.push_back(std::move(fn));
      posted_.clear();
    }
    // Only the tasks there now: those they post wait for the next round.
    for (std::size_t n = ready_.size(); n > 0 && !stopping(); --n) {
      event_loop::task fn = std::move(ready_.front());
      ready_.pop_front();
      fn();
    }
  }

  zmqsec::detail::unique_fd epoll_;
  core::wakeup_fd wake_;
  std::atomic<bool> stop_{false};
  std::atomic<std::thread::id> running_{};

  std::mutex posted_mutex_;
  std::vector<event_loop::task> posted_;
  std::deque<event_loop::task> ready_;  // loop thread only
  bool posted_from_loop_ = false;       // loop thread only: posted_ has a task no wake() announced

  std::uint64_t next_id_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<watch_entry>> watches_;
  std::map<timer_key, std::shared_ptr<timer_entry>> timers_;
  std::vector<std::shared_ptr<timer_entry>> due_;
};

namespace {

class reactor_watch final : public handle::impl {
 public:
  reactor_watch(reactor_impl& r, std::uint64_t id) : reactor_(r), id_(id) {}
  void cancel() noexcept override { reactor_.remove_watch(id_); }

 private:
  reactor_impl& reactor_;
  std::uint64_t id_;
};

class reactor_timer final : public handle::impl {
 public:
  reactor_timer(reactor_impl& r, std::shared_ptr<timer_entry> entry)
      : reactor_(r), entry_(std::move(entry)) {}
  void cancel() noexcept override { reactor_.remove_timer(*entry_); }

 private:
  reactor_impl& reactor_;
  std::shared_ptr<timer_entry> entry_;
};

}  // namespace

}  // namespace detail

reactor::reactor() : impl_(std::make_unique<detail::reactor_impl>()) {}
reactor::~reactor() {
  end_lifetime();
}

void reactor::run() {
  impl_->run(std::nullopt);
}
void reactor::run_for(duration how_long) {
  impl_->run(std::chrono::steady_clock::now() + how_long);
}
void reactor::stop() noexcept {
  impl_->stop();
}
void reactor::post(task fn) {
  impl_->post(std::move(fn));
}
handle reactor::watch_fd(int fd, io_events events, std::function<void(io_events)> on_ready) {
  const std::uint64_t id = impl_->add_watch(fd, events, std::move(on_ready));
  return handle(std::make_unique<detail::reactor_watch>(*impl_, id));
}
handle reactor::call_later(duration delay, task fn) {
  auto entry = impl_->add_timer(delay, duration::zero(), std::move(fn));
  return handle(std::make_unique<detail::reactor_timer>(*impl_, std::move(entry)));
}
handle reactor::call_every(duration interval, task fn) {
  if (interval <= duration::zero()) {
    throw zmqsec::error(errc::invalid_argument, "reactor: call_every needs a positive interval");
  }
  auto entry = impl_->add_timer(interval, interval, std::move(fn));
  return handle(std::make_unique<detail::reactor_timer>(*impl_, std::move(entry)));
}
bool reactor::in_loop_thread() const noexcept {
  return impl_->in_loop_thread();
}

}  // namespace zmqsec::loop
