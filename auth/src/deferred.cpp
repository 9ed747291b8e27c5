#include <zmqsec/auth/deferred.hpp>

#include <atomic>
#include <utility>

namespace zmqsec::auth {

// Shared by the copies of a completion; the last one to go answers for a callback that never
// did, so that the client is not left to the timeout.
struct zap_completion::state {
  std::weak_ptr<zap_answer_sink> sink;
  std::uint64_t request;
  std::atomic<bool> answered{false};

  state(std::weak_ptr<zap_answer_sink> s, std::uint64_t r) : sink(std::move(s)), request(r) {}
  state(const state&) = delete;
  state& operator=(const state&) = delete;
  ~state() { complete(deferred_verdict::fail("deferred decision abandoned")); }

  bool complete(deferred_verdict verdict) noexcept {
    if (answered.exchange(true)) return false;
    if (auto target = sink.lock()) target->answer(request, std::move(verdict));
    return true;
  }
};

zap_completion::zap_completion(std::weak_ptr<zap_answer_sink> sink, std::uint64_t request)
    : state_(std::make_shared<state>(std::move(sink), request)) {}

bool zap_completion::accept(std::string user_id) {
  return complete(deferred_verdict::accept(std::move(user_id)));
}
bool zap_completion::refuse(std::string reason) {
  return complete(deferred_verdict::refuse(std::move(reason)));
}
bool zap_completion::retry_later(std::string reason) {
  return complete(deferred_verdict::retry_later(std::move(reason)));
}
bool zap_completion::fail(std::string reason) {
  return complete(deferred_verdict::fail(std::move(reason)));
}
bool zap_completion::complete(deferred_verdict verdict) {
  return state_ && state_->complete(std::move(verdict));
}
bool zap_completion::answered() const noexcept {
  return state_ && state_->answered.load();
}

}  // namespace zmqsec::auth
