// An authenticator taken down, or started again, while its own threads are in the middle of
// something; each test makes its moment happen every time by holding a thread on a real event.
//
// Destroyed while its watch thread is in the middle of a round of followed-file changes: the
// round goes on through the rest of its files and the destructor waits for it. (The publisher
// once reset its follower before stopping it, so a change handled at that moment called a member
// function through a null pointer: seen under CI's sanitizer run.) The password file is a
// symbolic link, so a file renamed into the folder makes one round of two changes, the policy
// file and then the password file (a link counts as changed when names in its folder change). A
// sink holds the watch thread at the policy file's reload until the destructor says it stops
// following.
#include <gtest/gtest.h>

#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include <zmqsec/auth/thread_authenticator.hpp>
#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

#include "harness.hpp"
#include "temp_dir.hpp"

namespace za = zmqsec::auth;
namespace zc = zmqsec::certs;
using namespace zmqsec::testing::auth;

namespace {

// Records every line; the first reload of the policy file waits (at most patience) until a later
// line says the files are no longer followed. Its own lock, never held while waiting, so that
// another thread can log meanwhile.
class gate_sink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  bool wait_until_held() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, patience, [&] { return held_; });
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string text(msg.payload.data(), msg.payload.size());
    std::unique_lock lock(mutex_);
    lines_.push_back(text);
    if (text.find("no longer followed") != std::string::npos) {
      going_ = true;
      changed_.notify_all();
    }
    if (!held_ && text.starts_with("policy file") && text.find("reloaded") != std::string::npos) {
      held_ = true;
      changed_.notify_all();
      changed_.wait_for(lock, patience, [&] { return going_; });
    }
  }
  void flush_() override {}

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  bool going_ = false;
  std::vector<std::string> lines_;
};

bool logged(const std::vector<std::string>& lines, std::string_view a, std::string_view b) {
  for (const auto& line : lines) {
    if (line.find(a) != std::string::npos && line.find(b) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST(authenticator_teardown, destroyed_while_a_round_of_file_changes_is_handled) {
  zmqsec::testing::temp_dir dir;
  std::filesystem::create_directories(dir / "folder" / "real");
  std::filesystem::create_directories(dir / "staging");
  dir.write("folder/real/users", "admin=secret\n");
  std::filesystem::create_symlink("real/users", dir / "folder" / "users");
  const std::string policy = "[domains.\"*\"]\nplain = { password_file = \"users\" }\n";
  dir.write("folder/policy.toml", policy);

  auto sink = std::make_shared<gate_sink>();
  auto logger = std::make_shared<spdlog::logger>("zmqsec-test", sink);
  logger->set_level(spdlog::level::trace);
  zmq::context_t ctx;
  std::optional<za::thread_authenticator> auth;
  auth.emplace(ctx, logger);
  auth->load_policy_file(dir / "folder" / "policy.toml");
  auth->start();

  // One event in the folder: the policy file renamed in, and with it the link counts as changed.
  dir.write("staging/policy.toml", policy + "# rewritten\n");
  std::filesystem::rename(dir / "staging" / "policy.toml", dir / "folder" / "policy.toml");
  ASSERT_TRUE(sink->wait_until_held()) << "the policy file was not reloaded";
  auth.reset();  // the watch thread is held inside the round, the password file still to come

  const auto lines = sink->lines();
  EXPECT_TRUE(logged(lines, "no longer followed", ""));
  // The round went on after the destructor began: the password file was read again.
  EXPECT_TRUE(logged(lines, "password file", "reloaded: 1 users"));
}

namespace {

// The log lines and the test's own marks, one lock and one condition for both: a callback on the
// handler's thread waits here for what the test thread does (its marks) or logs (a line).
class mark_sink : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  void mark(std::string what) {
    std::lock_guard lock(mutex_);
    seen_.push_back(std::move(what));
    changed_.notify_all();
  }
  // Waits (at most patience) until a mark or a line contains one of texts.
  bool wait_for_any(std::initializer_list<std::string_view> texts) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, patience, [&] {
      for (const auto& line : seen_) {
        for (auto text : texts) {
          if (line.find(text) != std::string::npos) return true;
        }
      }
      return false;
    });
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    mark(std::string(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> seen_;
};

}  // namespace

// A callback stops the handler and is still deciding when start() is called: start() waits for
// that handler to end and starts a new one (it once took the ending handler for a running one and
// did nothing, and the authenticator stopped for good right after). The callback is held until
// start() returns or says it waits, so the moment happens every time.
TEST(authenticator_teardown, start_after_a_callback_stopped_the_handler_starts_a_new_one) {
  auto sink = std::make_shared<mark_sink>();
  auto logger = std::make_shared<spdlog::logger>("zmqsec-test", sink);
  logger->set_level(spdlog::level::trace);
  zmq::context_t ctx;
  za::thread_authenticator auth(ctx, logger);
  std::atomic<int> decisions{0};
  auth.on_decision([&](const za::decision&) {
    if (++decisions != 1) return;
    auth.stop();  // on the handler's thread: only asks
    sink->mark("stop asked");
    sink->wait_for_any({"start() returned", "start() waits"});
  });
  auth.start();
  zap_dealer first(ctx);
  first.send(zap_request("first", "NULL"));
  ASSERT_TRUE(sink->wait_for_any({"stop asked"}));

  auth.start();
  sink->mark("start() returned");

  const auto reply = first.receive();
  ASSERT_TRUE(reply) << "the request being decided is answered";
  EXPECT_EQ((*reply)[2], "200");
  zap_dealer second(ctx);
  second.send(zap_request("second", "NULL"));
  const auto answer = second.receive();
  EXPECT_TRUE(answer && (*answer)[2] == "200") << "no handler serves after start()";
  EXPECT_EQ(decisions.load(), 2);
  EXPECT_TRUE(auth.is_alive());
}

// A certificate store the authenticator holds the last references to is let go by a
// configuring call while the store's follower thread is inside the store's on_change, which
// calls the authenticator: the call waits for the configuring call, so the store goes only once
// the authenticator's lock is released (the configuring call once let it go under its lock, and
// waited for the follower, which waited for that lock: a deadlock). The configure() edit runs
// under the lock, and only then lets on_change go on, so the moment happens every time.
TEST(authenticator_teardown, a_store_let_go_while_its_callback_calls_the_authenticator) {
  zmqsec::testing::temp_dir dir;
  std::filesystem::create_directories(dir / "clients");
  auto sink = std::make_shared<mark_sink>();
  zmq::context_t ctx;
  auto auth = std::make_unique<za::thread_authenticator>(ctx);
  std::atomic<int> changes{0};
  {
    zc::cert_store_options options;
    options.on_change = [&, raw = auth.get()](const std::shared_ptr<const zc::cert_snapshot>&) {
      if (++changes != 1) return;
      sink->mark("in on_change");
      sink->wait_for_any({"lock held"});
      (void)raw->curve_store("*");  // takes the authenticator's configuration lock
      sink->mark("on_change returned");
    };
    auth->configure_curve("*", std::make_shared<const zc::cert_store>(dir / "clients", options));
  }  // the authenticator holds the store's last references now
  zc::save_public_certificate(dir / "clients" / "alice.key", zc::generate_keypair().public_key);
  ASSERT_TRUE(sink->wait_for_any({"in on_change"}));

  std::thread configuring([&] {
    auth->configure([&](za::policy_config& c) {
      sink->mark("lock held");
      c.configure_curve("*", za::curve_allow_any);
    });
    sink->mark("configured");
  });

  if (!sink->wait_for_any({"configured"})) {
    ADD_FAILURE() << "configure() and the store's follower wait for each other";
    // Neither can end: left as they are, or the test would hang instead of failing.
    configuring.detach();
    (void)auth.release();
    return;
  }
  configuring.join();
  EXPECT_TRUE(sink->wait_for_any({"on_change returned"}));
  EXPECT_EQ(auth->curve_store("*"), nullptr);
}
