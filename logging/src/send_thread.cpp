#include "send_thread.hpp"

#include <poll.h>

#include <algorithm>

namespace zmqsec::logging::detail {
namespace {

using steady = std::chrono::steady_clock;

constexpr int nap_ms = 1;
constexpr int naps_before_sleep = 100;
// A sleeping thread also wakes this often by itself: a lost wake-up would cost this much delay,
// never a record.
constexpr int sleep_ms = 2000;
// A log call waiting on the thread looks again at least this often.
constexpr std::chrono::milliseconds recheck{100};

}  // namespace

void unreported_drops::add(std::uint64_t n, std::int64_t from, std::int64_t to, std::uint32_t lvl,
                           std::uint32_t why) noexcept {
  if (n == 0) return;
  from_ns = count == 0 ? from : std::min(from_ns, from);
  to_ns = count == 0 ? to : std::max(to_ns, to);
  level = std::max(level, lvl);
  reasons |= why;
  count += n;
}

send_thread::send_thread(outlet& out, int zmq_fd, std::size_t queue_bytes,
                         std::atomic<std::uint64_t>& dropped, std::chrono::milliseconds linger)
    : outlet_(out), zmq_fd_(zmq_fd), ring_(queue_bytes), dropped_(dropped), linger_(linger) {
  worker_.start("zmqsec-logsend", [this](const core::stop_view& stop) { run(stop); });
}

send_thread::~send_thread() {
  worker_.stop();
}

void send_thread::run(const core::stop_view& stop) {
  int idle_rounds = 0;
  for (;;) {
    const bool stopping = stop.requested();
    const auto give_up = stopping ? steady::now() + linger_ : steady::time_point::max();
    const bool sent = send_queued(give_up);
    if (outlet_.read_due(spdlog::log_clock::now())) outlet_.read_subscriptions();
    if (stopping) return;
    idle_rounds = sent ? 0 : idle_rounds + 1;
    rest(stop, idle_rounds < naps_before_sleep);
  }
}

// Sends everything queued; after give_up, what is left is dropped (the sink is ending and its
// linger has passed). Returns whether there was anything.
bool send_thread::send_queued(steady::time_point give_up) {
  bool any = false;
  while (auto entry = ring_.front()) {
    any = true;
    const bool late = give_up != steady::time_point::max() && steady::now() >= give_up;
    const outlet::sent result = late ? outlet::sent::failed
                                : entry->reports == 0
                                    ? outlet_.send_record(entry->topic, entry->payload)
                                    : outlet_.send_frames(entry->topic, entry->payload);
    if (result != outlet::sent::queued) drop(*entry, result);
    ring_.pop();
    tell_waiting_log_call();
  }
  return any;
}

void send_thread::drop(const ring_entry& entry, outlet::sent why) noexcept {
  std::lock_guard<std::mutex> lock(drops_mutex_);
  if (entry.reports != 0) {  // a report the socket refused: its drops are to be reported again
    drops_.add(entry.reports, entry.reported_from_ns, entry.reported_to_ns, entry.level,
               entry.reasons);
  } else {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    drops_.add(1, entry.time_ns, entry.time_ns, entry.level,
               why == outlet::sent::full ? queue_full : send_failed);
  }
  drops_pending_.store(true, std::memory_order_release);
}

unreported_drops send_thread::take_drops() noexcept {
  std::lock_guard<std::mutex> lock(drops_mutex_);
  const unreported_drops taken = drops_;
  drops_ = {};
  drops_pending_.store(false, std::memory_order_relaxed);
  return taken;
}

// Naps (a log call does not wake it unless the ring fills) or sleeps (a log call wakes it). The
// socket's descriptor wakes it too: a subscriber arrived or left, or a full queue has room.
void send_thread::rest(const core::stop_view& stop, bool nap) {
  if (nap) {
    state_.store(napping, std::memory_order_relaxed);
  } else {
    state_.store(sleeping, std::memory_order_seq_cst);
    if (!ring_.empty()) {  // queued between the last round and the store above
      state_.store(running, std::memory_order_relaxed);
      return;
    }
  }
  pollfd fds[] = {{stop.fd(), POLLIN, 0}, {wake_.fd(), POLLIN, 0}, {zmq_fd_, POLLIN, 0}};
  ::poll(fds, zmq_fd_ >= 0 ? 3 : 2, nap ? nap_ms : sleep_ms);
  state_.store(running, std::memory_order_relaxed);
  if (fds[1].revents & POLLIN) wake_.drain();
  if (zmq_fd_ >= 0 && (fds[2].revents & POLLIN)) outlet_.read_subscriptions();
}

void send_thread::wake_if_resting(bool ring_filling) noexcept {
  // Pairs with the sleeping thread's store and look at the ring: either it sees the new entry or
  // the log call sees it sleeping.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  int seen = state_.load(std::memory_order_relaxed);
  if (seen == running || (seen == napping && !ring_filling)) return;
  if (state_.compare_exchange_strong(seen, running)) wake_.notify();
}

record_ring::pushed send_thread::queue(const ring_entry& entry,
                                       std::chrono::milliseconds wait) noexcept {
  record_ring::pushed result = ring_.push(entry);
  if (result == record_ring::pushed::full && wait.count() > 0) {
    wait_for([&] { return ring_.fits(entry.topic.size(), entry.payload.size()); },
             steady::now() + wait);
    result = ring_.push(entry);
  }
  wake_if_resting(result != record_ring::pushed::queued || ring_.over_half());
  return result;
}

void send_thread::flush() noexcept {
  while (!ring_.empty() && worker_.running()) {
    wait_for([&] { return ring_.empty(); }, steady::now() + recheck);
  }
}

bool send_thread::wait_for(const std::function<bool()>& done,
                           steady::time_point deadline) noexcept {
  log_call_waits_.store(true, std::memory_order_seq_cst);
  wake_if_resting(true);
  bool ok = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    ok = changed_.wait_until(lock, deadline, done);
  }
  log_call_waits_.store(false, std::memory_order_relaxed);
  return ok;
}

void send_thread::tell_waiting_log_call() noexcept {
  // Pairs with the log call's store of log_call_waits_ and look at the ring (see wake_if_resting).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (!log_call_waits_.load(std::memory_order_seq_cst)) return;
  std::lock_guard<std::mutex> lock(mutex_);
  changed_.notify_all();
}

}  // namespace zmqsec::logging::detail
