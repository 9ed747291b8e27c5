// loop_authenticator: the ZAP server step driven by a socket_watch, with deferred decisions.
#include <zmqsec/auth/loop_authenticator.hpp>

#include <zmqsec/loop/task.hpp>

#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include <zmqsec/loop/socket_watch.hpp>

#include "authenticator_core.hpp"
#include "zap_server.hpp"

namespace zmqsec::auth {

namespace detail {

namespace {

// Batches served per turn before the loop serves others (64 requests).
constexpr std::size_t steps_per_turn = 8;

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

// The running handler: the server, its watch and the deferred requests. Loop thread only
// (answers arrive through posted tasks).
class loop_handler final : public deferred_requests,
                           public std::enable_shared_from_this<loop_handler> {
 public:
  loop_handler(loop::event_loop& loop, std::shared_ptr<authenticator_core> core,
               std::atomic<bool>& alive, const std::atomic<std::chrono::milliseconds>& timeout)
      : loop_(loop),
        core_(std::move(core)),
        alive_(alive),
        timeout_(timeout),
        server_(core_->publisher.source(), core_->counters, this, &core_->sessions) {}

  /// Binds the socket and watches it; throws like loop_authenticator::start().
  void start(void* context) {
    server_.open(context, "loop_authenticator");
    std::weak_ptr<loop_handler> weak = weak_from_this();
    answers_ = std::make_shared<answer_box>(loop_, [weak](std::uint64_t id, deferred_verdict v) {
      if (auto self = weak.lock()) self->finish(id, v, false);
    });
    watch_.emplace(loop_, server_.socket(), ZMQ_POLLIN, [weak](short, int error) {
      if (auto self = weak.lock()) self->turn(error);
    });
  }

  ~loop_handler() { shutdown(); }

  std::size_t pending() const noexcept { return pending_.size(); }

  /// Answers what waits with 500 and closes the socket. Idempotent.
  void shutdown() noexcept {
    if (!server_.is_open() || closing_) return;
    closing_ = true;
    if (answers_) answers_->close();
    auto left = std::move(pending_);
    pending_.clear();
    const deferred_verdict stopped = deferred_verdict::fail("authenticator stopped");
    for (auto& [id, w] : left) complete(w, stopped);
    watch_.reset();
    server_.close();
    alive_.store(false);
  }

  zap_completion defer() override { return zap_completion(answers_, ++last_id_); }

  // The request whose completion defer() gave last waits for its answer or its timeout.
  bool keep(std::unique_ptr<zap_slot> slot,
            std::shared_ptr<const policy> decided_by) noexcept override {
    if (!server_.is_open()) return false;  // the callback stopped the authenticator
    try {
      const std::uint64_t id = last_id_;
      waiting w{std::move(slot), std::move(decided_by), {}};
      w.timer = loop_.call_later(timeout_.load(), [weak = weak_from_this(), id] {
        if (auto self = weak.lock()) {
          self->finish(id, deferred_verdict::fail("deferred decision timed out"), true);
        }
      });
      pending_.emplace(id, std::move(w));
      return true;
    } catch (...) {  // out of memory: counted as dropped
      return false;
    }
  }

 private:
  struct waiting {
    std::unique_ptr<zap_slot> slot;
    std::shared_ptr<const policy> decided_by;
    loop::handle timer;
  };

  void turn(int error) {
    auto self = shared_from_this();  // a callback may stop the authenticator
    if (error != 0) return fail(error == ETERM ? zap_step::terminated : zap_step::failed, error);
    for (std::size_t i = 0; i < steps_per_turn && server_.is_open(); ++i) {
      const zap_step step = server_.step();
      if (step == zap_step::served) continue;
      if (step == zap_step::terminated || step == zap_step::failed) fail(step, errno);
      return;
    }
  }

  void finish(std::uint64_t id, const deferred_verdict& verdict, bool timed_out) noexcept {
    auto found = pending_.find(id);
    if (found == pending_.end() || !server_.is_open()) return;  // answered already, or stopped
    waiting w = std::move(found->second);
    pending_.erase(found);
    if (timed_out) core_->counters.add(&authenticator_stats::deferred_timeouts, 1);
    complete(w, verdict);
    // A send outside the watch's callback may take the fd's signal: look again from the loop.
    if (watch_) watch_->check();
  }

  void complete(waiting& w, const deferred_verdict& verdict) noexcept {
    w.timer.cancel();
    std::array<std::string_view, max_frames + 1> views{};
    auto split = split_slot(*w.slot, views);
    const zap_outcome outcome = detail::complete_deferred(*w.decided_by, split->body, verdict,
                                                          w.slot->reply, &server_.throttle());
    if (server_.reply(*w.slot, outcome) == zap_step::terminated) fail(zap_step::terminated, ETERM);
  }

  void fail(zap_step end, int error) noexcept {
    log_server_end(core_->publisher.log(), end, error);
    shutdown();
  }

  loop::event_loop& loop_;
  std::shared_ptr<authenticator_core> core_;
  std::atomic<bool>& alive_;
  const std::atomic<std::chrono::milliseconds>& timeout_;
  zap_server server_;
  std::optional<loop::socket_watch> watch_;
  std::shared_ptr<answer_box> answers_;
  std::uint64_t last_id_ = 0;
  bool closing_ = false;
  std::unordered_map<std::uint64_t, waiting> pending_;
};

class loop_authenticator_impl {
 public:
  loop_authenticator_impl(zmq::context_t& context, loop::event_loop& loop,
                          std::shared_ptr<authenticator_core> core)
      : context_(context.handle()), loop_(loop), core_(std::move(core)) {
    if (context_ == nullptr) {
      throw zmqsec::error(errc::invalid_argument, "loop_authenticator: the context is closed");
    }
    core_->context = context_;
  }
  ~loop_authenticator_impl() { stop(); }

  void start() {
    if (handler_ && alive_.load()) return;
    handler_.reset();
    auto handler = std::make_shared<loop_handler>(loop_, core_, alive_, timeout_);
    handler->start(context_);  // if it throws, the handler closes what it opened
    alive_.store(true);
    handler_ = std::move(handler);
    core_->publisher.log().info("ZAP handler bound at " + std::string(zap_endpoint) +
                                " (on a loop)");
  }

  void stop() noexcept {
    if (!handler_) return;
    const bool was_alive = alive_.load();
    // From inside a callback of the handler, the turn under way holds it until it returns.
    std::exchange(handler_, nullptr)->shutdown();
    if (was_alive) core_->publisher.log().info("ZAP handler stopped");
  }

  bool is_alive() const noexcept { return alive_.load(); }
  void set_timeout(std::chrono::milliseconds timeout) noexcept { timeout_.store(timeout); }
  std::size_t pending() const noexcept { return handler_ ? handler_->pending() : 0; }
  loop::event_loop& event_loop() const noexcept { return loop_; }

 private:
  void* context_;
  loop::event_loop& loop_;
  std::shared_ptr<authenticator_core> core_;
  std::atomic<bool> alive_{false};
  std::atomic<std::chrono::milliseconds> timeout_{loop_authenticator::default_deferred_timeout};
  std::shared_ptr<loop_handler> handler_;
};

}  // namespace detail

loop_authenticator::loop_authenticator(zmq::context_t& context, loop::event_loop& loop,
                                       std::shared_ptr<spdlog::logger> logger)
    : loop_authenticator(context, loop, policy_config{}, std::move(logger)) {}

loop_authenticator::loop_authenticator(zmq::context_t& context, loop::event_loop& loop,
                                       policy_config config, std::shared_ptr<spdlog::logger> logger)
    : authenticator(std::move(config), std::move(logger), answers_later::yes),
      impl_(std::make_unique<detail::loop_authenticator_impl>(context, loop, core())) {}

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
  core()->publisher.change(
      [&](policy_config& c) { c.configure_plain_deferred(domain, std::move(callback)); });
  return *this;
}
loop_authenticator& loop_authenticator::configure_curve_deferred(std::string_view domain,
                                                                 deferred_curve_callback callback) {
  core()->publisher.change_curve(
      domain, [&](policy_config& c) { c.configure_curve_deferred(domain, std::move(callback)); });
  return *this;
}
namespace {

// Runs a coroutine callback's decision and answers its completion with it; an exception from
// the callback is a 500, as for the other callbacks (its text is not sent to the client).
loop::task<> answer_with(zap_completion done, loop::task<verdict> decision) {
  bool failed = false;
  try {
    done.complete(co_await std::move(decision));
  } catch (...) {
    failed = true;
  }
  if (failed) done.fail("async callback failed");
}

template <class Callback>
std::shared_ptr<Callback> shared_async(Callback callback, const char* what) {
  if (!callback)
    throw zmqsec::error(errc::invalid_argument, std::string(what) + ": empty callback");
  return std::make_shared<Callback>(std::move(callback));
}

}  // namespace

loop_authenticator& loop_authenticator::configure_plain_async(std::string_view domain,
                                                              async_plain_callback callback) {
  auto decide = shared_async(std::move(callback), "configure_plain_async");
  loop::event_loop& loop = checked_impl("configure_plain_async").event_loop();
  return configure_plain_deferred(
      domain, [decide, &loop](std::string_view d, std::string_view user, std::string_view password,
                              zap_completion done) {
        plain_request request{std::string(d), std::string(user),
                              certs::secret_string(password.begin(), password.end())};
        loop::spawn(loop, [decide, request = std::move(request), done]() mutable -> loop::task<> {
          co_await answer_with(done, (*decide)(std::move(request)));
        });
      });
}

loop_authenticator& loop_authenticator::configure_curve_async(std::string_view domain,
                                                              async_curve_callback callback) {
  auto decide = shared_async(std::move(callback), "configure_curve_async");
  loop::event_loop& loop = checked_impl("configure_curve_async").event_loop();
  return configure_curve_deferred(
      domain, [decide, &loop](std::string_view d, std::string_view key, zap_completion done) {
        curve_request request{std::string(d), std::string(key)};
        loop::spawn(loop, [decide, request = std::move(request), done]() mutable -> loop::task<> {
          co_await answer_with(done, (*decide)(std::move(request)));
        });
      });
}

loop_authenticator& loop_authenticator::configure_decider_deferred(std::string_view domain,
                                                                   deferred_decider fn) {
  core()->publisher.change(
      [&](policy_config& c) { c.configure_decider_deferred(domain, std::move(fn)); });
  return *this;
}

loop_authenticator& loop_authenticator::configure_decider_async(std::string_view domain,
                                                                async_decider fn) {
  auto decide = shared_async(std::move(fn), "configure_decider_async");
  loop::event_loop& loop = checked_impl("configure_decider_async").event_loop();
  return configure_decider_deferred(
      domain, [decide, &loop](const decider_request& view, zap_completion done) {
        decider_call call{std::string(view.domain),
                          std::string(view.address),
                          std::string(view.routing_id),
                          view.mech,
                          std::string(view.mechanism_name),
                          std::string(view.username),
                          certs::secret_string(view.password.begin(), view.password.end()),
                          std::string(view.z85_key),
                          std::string(view.principal)};
        loop::spawn(loop, [decide, call = std::move(call), done]() mutable -> loop::task<> {
          co_await answer_with(done, (*decide)(std::move(call)));
        });
      });
}

detail::loop_authenticator_impl& loop_authenticator::checked_impl(const char* what) const {
  if (!impl_) {
    throw zmqsec::error(errc::invalid_argument, std::string("loop_authenticator::") + what +
                                                    ": used after being moved from");
  }
  return *impl_;
}

loop_authenticator& loop_authenticator::set_deferred_timeout(std::chrono::milliseconds timeout) {
  if (impl_) impl_->set_timeout(timeout);
  return *this;
}
std::size_t loop_authenticator::pending() const noexcept {
  return impl_ ? impl_->pending() : 0;
}

}  // namespace zmqsec::auth
