#include <zmqsec/auth/loop_authenticator.hpp>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <zmqsec/loop/socket_watch.hpp>

#include "thread_handler.hpp"
#include "zap_io.hpp"

namespace zmqsec::auth {

namespace detail {

namespace {

// Requests read per turn before the loop serves others.
constexpr std::size_t batch_size = 64;

// Where completions send their answers: a task posted to the loop, for as long as the handler
// lives. Completions may outlive the handler (a callback keeps one): then answers go nowhere.
class answer_box final : public zap_answer_sink {
 public:
  using deliver = std::function<void(std::uint64_t, deferred_verdict)>;
  answer_box(loop::event_loop& loop, deliver on_loop)
      : loop_(&loop), deliver_(std::move(on_loop)) {}

  void answer(std::uint64_t request, deferred_verdict verdict) noexcept override {
    std::lock_guard lock(mutex_);
    if (loop_ == nullptr) return;
    try {
      loop_->post([deliver = deliver_, request, verdict = std::move(verdict)]() mutable {
        deliver(request, std::move(verdict));
      });
    } catch (...) {  // out of memory: the deferred timeout answers
    }
  }

  /// No answer is posted after this returns.
  void close() noexcept {
    std::lock_guard lock(mutex_);
    loop_ = nullptr;
  }

 private:
  std::mutex mutex_;
  loop::event_loop* loop_;
  deliver deliver_;
};

}  // namespace

// The running handler: the socket, its watch and the deferred requests. Loop thread only
// (answers arrive through posted tasks).
class loop_handler final : public zap_deferral, public std::enable_shared_from_this<loop_handler> {
 public:
  loop_handler(loop::event_loop& loop, void* socket, policy_publisher& publisher,
               handler_counters& counters, std::atomic<bool>& alive,
               const std::atomic<std::chrono::milliseconds>& timeout)
      : loop_(loop),
        socket_(socket),
        publisher_(publisher),
        counters_(counters),
        alive_(alive),
        timeout_(timeout),
        slot_(std::make_unique<zap_slot>()) {}

  void start() {
    std::weak_ptr<loop_handler> weak = weak_from_this();
    answers_ = std::make_shared<answer_box>(loop_, [weak](std::uint64_t id, deferred_verdict v) {
      if (auto self = weak.lock()) self->finish(id, v, false);
    });
    watch_.emplace(loop_, socket_, ZMQ_POLLIN, [weak](short, int error) {
      if (auto self = weak.lock()) self->turn(error);
    });
  }

  ~loop_handler() { shutdown(); }

  std::size_t pending() const noexcept { return pending_.size(); }

  /// Answers what waits with 500 and closes the socket. Idempotent.
  void shutdown() noexcept {
    if (socket_ == nullptr || closing_) return;
    closing_ = true;
    if (answers_) answers_->close();
    auto left = std::move(pending_);
    pending_.clear();
    const deferred_verdict stopped{zap_status::internal_error, "authenticator stopped", {}};
    for (auto& [id, w] : left) complete(w, stopped);
    watch_.reset();
    close_zap_socket(socket_);
    socket_ = nullptr;
    alive_.store(false);
  }

  zap_completion defer() override {
    const std::uint64_t id = ++last_id_;
    return zap_completion(answers_, id);
  }

 private:
  struct waiting {
    std::unique_ptr<zap_slot> slot;
    std::shared_ptr<const policy> decided_by;
    loop::handle timer;
  };

  void turn(int error) {
    auto self = shared_from_this();  // a callback may stop the authenticator
    if (error != 0) return fail(error);
    for (std::size_t i = 0; i < batch_size && socket_ != nullptr; ++i) {
      const receive_result got = receive(socket_, *slot_, scratch_);
      if (got == receive_result::empty) return;
      if (got == receive_result::error) return fail(errno);
      add(counters_.requests, 1);
      handle_request();
    }
  }

  void handle_request() {
    std::array<std::string_view, max_frames + 1> views{};
    auto split = split_slot(*slot_, views);
    if (!split) {
      add(counters_.dropped, 1);
      return;
    }
    slot_->envelope_size = split->envelope.size();
    refresh_policy();
    const std::uint64_t before = last_id_;
    const zap_outcome outcome = decide(*policy_, split->body, slot_->reply, this, snapshots_);
    if (socket_ == nullptr) return;  // a callback stopped the authenticator
    if (outcome == zap_outcome::pending && last_id_ != before) return wait_for(last_id_);
    reply_or_drop(outcome, *slot_);
  }

  // The request in slot_ waits for completion id; slot_ gets a fresh slot.
  void wait_for(std::uint64_t id) {
    add(counters_.deferred, 1);
    waiting w{std::move(slot_), policy_, {}};
    slot_ = std::make_unique<zap_slot>();
    w.timer = loop_.call_later(timeout_.load(), [weak = weak_from_this(), id] {
      if (auto self = weak.lock()) {
        self->finish(
            id, deferred_verdict{zap_status::internal_error, "deferred decision timed out", {}},
            true);
      }
    });
    pending_.emplace(id, std::move(w));
  }

  void finish(std::uint64_t id, const deferred_verdict& verdict, bool timed_out) noexcept {
    auto found = pending_.find(id);
    if (found == pending_.end() || socket_ == nullptr) return;  // answered already, or stopped
    waiting w = std::move(found->second);
    pending_.erase(found);
    if (timed_out) add(counters_.deferred_timeouts, 1);
    complete(w, verdict);
    // A send outside the watch's callback may take the fd's signal: look again from the loop.
    if (watch_) watch_->check();
  }

  void complete(waiting& w, const deferred_verdict& verdict) noexcept {
    w.timer.cancel();
    std::array<std::string_view, max_frames + 1> views{};
    auto split = split_slot(*w.slot, views);
    const zap_outcome outcome =
        complete_deferred(*w.decided_by, split->body, verdict, w.slot->reply);
    reply_or_drop(outcome, *w.slot);
  }

  void reply_or_drop(zap_outcome outcome, zap_slot& slot) noexcept {
    if (socket_ == nullptr) return;
    if (outcome != zap_outcome::reply) {
      add(counters_.dropped, 1);
      return;
    }
    counters_.count_reply(slot.reply.status);
    const int error = send_reply(socket_, slot);
    if (error == ETERM) return fail(error);
    if (error != 0) add(counters_.send_failures, 1);
  }

  void refresh_policy() {
    const std::uint64_t generation = publisher_.source().generation.load(std::memory_order_acquire);
    if (generation == generation_ && policy_) return;
    policy_ = publisher_.source().current.load(std::memory_order_acquire);
    generation_ = generation;
  }

  void fail(int error) noexcept {
    if (error == ETERM) {
      publisher_.log_warn("ZAP handler stopped: the context is terminated");
    } else {
      publisher_.log_error(std::string("ZAP handler failed: ") + zmq_strerror(error));
    }
    shutdown();
  }

  loop::event_loop& loop_;
  void* socket_;
  policy_publisher& publisher_;
  handler_counters& counters_;
  std::atomic<bool>& alive_;
  const std::atomic<std::chrono::milliseconds>& timeout_;
  std::optional<loop::socket_watch> watch_;
  std::shared_ptr<answer_box> answers_;
  std::unique_ptr<zap_slot> slot_;
  message_frame scratch_;
  std::shared_ptr<const policy> policy_;
  std::uint64_t generation_ = 0;
  store_snapshots snapshots_;
  std::uint64_t last_id_ = 0;
  bool closing_ = false;
  std::unordered_map<std::uint64_t, waiting> pending_;
};

class loop_authenticator_impl {
 public:
  loop_authenticator_impl(zmq::context_t& context, loop::event_loop& loop, policy_config config,
                          std::shared_ptr<spdlog::logger> logger)
      : context_(context.handle()), loop_(loop), publisher_(std::move(config), std::move(logger)) {
    if (context_ == nullptr) {
      throw zmqsec::error(errc::invalid_argument, "loop_authenticator: the context is closed");
    }
  }
  ~loop_authenticator_impl() { stop(); }

  void start() {
    if (handler_ && alive_.load()) return;
    handler_.reset();
    void* socket = open_zap_socket(context_);
    if (socket == nullptr) throw zap_socket_error("loop_authenticator", errno);
    alive_.store(true);
    try {
      handler_ =
          std::make_shared<loop_handler>(loop_, socket, publisher_, counters_, alive_, timeout_);
      handler_->start();
    } catch (...) {
      if (handler_) {
        handler_.reset();
      } else {
        close_zap_socket(socket);
      }
      alive_.store(false);
      throw;
    }
    publisher_.log_info("ZAP handler bound at " + std::string(zap_endpoint) + " (on a loop)");
  }

  void stop() noexcept {
    if (!handler_) return;
    const bool was_alive = alive_.load();
    // From inside a callback of the handler, the turn under way holds it until it returns.
    std::exchange(handler_, nullptr)->shutdown();
    if (was_alive) publisher_.log_info("ZAP handler stopped");
  }

  bool is_alive() const noexcept { return alive_.load(); }
  void set_timeout(std::chrono::milliseconds timeout) noexcept { timeout_.store(timeout); }
  std::size_t pending() const noexcept { return handler_ ? handler_->pending() : 0; }
  policy_publisher& publisher() noexcept { return publisher_; }

  authenticator_stats stats() const noexcept { return counters_.snapshot(publisher_); }

 private:
  void* context_;
  loop::event_loop& loop_;
  std::atomic<bool> alive_{false};
  std::atomic<std::chrono::milliseconds> timeout_{loop_authenticator::default_deferred_timeout};
  handler_counters counters_;
  policy_publisher publisher_;
  std::shared_ptr<loop_handler> handler_;
};

}  // namespace detail

loop_authenticator::loop_authenticator(zmq::context_t& context, loop::event_loop& loop,
                                       std::shared_ptr<spdlog::logger> logger)
    : loop_authenticator(context, loop, policy_config{}, std::move(logger)) {}

loop_authenticator::loop_authenticator(zmq::context_t& context, loop::event_loop& loop,
                                       policy_config config, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_unique<detail::loop_authenticator_impl>(context, loop, std::move(config),
                                                              std::move(logger))) {}

loop_authenticator::loop_authenticator(loop_authenticator&&) noexcept = default;
loop_authenticator& loop_authenticator::operator=(loop_authenticator&&) noexcept = default;
loop_authenticator::~loop_authenticator() = default;

void loop_authenticator::start() {
  if (!impl_) {
    throw zmqsec::error(errc::invalid_argument, "loop_authenticator: used after being moved from");
  }
  impl_->start();
}
void loop_authenticator::stop() noexcept {
  if (impl_) impl_->stop();
}
bool loop_authenticator::is_alive() const noexcept {
  return impl_ && impl_->is_alive();
}

loop_authenticator& loop_authenticator::configure_plain_deferred(std::string_view domain,
                                                                 deferred_plain_callback callback) {
  return edit([&](policy_config& c) { c.configure_plain_deferred(domain, std::move(callback)); });
}
loop_authenticator& loop_authenticator::configure_curve_deferred(std::string_view domain,
                                                                 deferred_curve_callback callback) {
  return edit_curve(
      domain, [&](policy_config& c) { c.configure_curve_deferred(domain, std::move(callback)); });
}
loop_authenticator& loop_authenticator::set_deferred_timeout(std::chrono::milliseconds timeout) {
  if (impl_) impl_->set_timeout(timeout);
  return *this;
}
std::size_t loop_authenticator::pending() const noexcept {
  return impl_ ? impl_->pending() : 0;
}
authenticator_stats loop_authenticator::stats() const noexcept {
  return impl_ ? impl_->stats() : authenticator_stats{};
}
detail::policy_publisher* loop_authenticator::publisher() const noexcept {
  return impl_ ? &impl_->publisher() : nullptr;
}

}  // namespace zmqsec::auth
