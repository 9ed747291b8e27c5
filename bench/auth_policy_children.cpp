// The policy children of zmqsec_bench_auth (issue 14's rows): our thread_authenticator with its
// policy loaded from a TOML file, and replace() of the whole policy while handshakes run.
#include <iostream>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "auth_bench.hpp"
#include "auth_child_parts.hpp"

#if ZMQSEC_BENCH_HAVE_OURS
#include <unistd.h>

#include <fstream>
#include <zmq.hpp>

#include <zmqsec/auth/policy.hpp>
#include <zmqsec/auth/thread_authenticator.hpp>

namespace zmqsec::bench::auth {
namespace {

namespace za = zmqsec::auth;

/// The policy ours is configured with in code (measure_ours), as a policy file: the allow
/// rules and the certificate folder for CURVE in every domain. In a folder of its own, as an
/// operator keeps one (/etc/app/policy.toml): the authenticator watches the file's folder, and
/// /tmp itself sees every temporary file of the machine.
std::filesystem::path write_policy_file(const child_task& task) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("zmqsec-bench-policy-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "policy.toml";
  std::ofstream out(file);
  out << "[addresses]\nallow = [";
  bool first = true;
  for (const auto& rule : read_words(task.rules)) {
    out << (first ? "" : ", ") << '"' << rule << '"';
    first = false;
  }
  out << "]\n\n[domains.\"*\"]\ncurve = { certificates = \"" << task.folder.string() << "\" }\n";
  if (!out.flush()) throw std::runtime_error("cannot write " + file.string());
  return file;
}

za::policy_config policy_of(const child_task& task) {
  za::policy_config config;
  config.allow(read_words(task.rules));
  config.configure_curve("*", task.folder);
  return config;
}

}  // namespace

figures measure_ours_file(const child_task& task) {
  zmq::context_t ctx;
  std::unique_ptr<za::thread_authenticator> auth;
  const auto file = write_policy_file(task);
  const pausable pairing{[&] { auth->stop(); }, [&] { auth->start(); }};
  auto out = measure(
      task, ctx.handle(),
      [&]() -> std::function<void()> {
        auth = std::make_unique<za::thread_authenticator>(ctx);
        auth->load_policy_file(file);
        auth->start();
        return {};
      },
      false, &pairing);
  std::filesystem::remove_all(file.parent_path());
  return out;
}

namespace {

/// Raw ZAP requests (as zap_once) for seconds: the rate, failures and the longest gap between
/// two replies, which a stall of the handler shows at once (replies come microseconds apart).
one_run zap_gaps(const child_task& task, void* ctx, double seconds) {
  zmqsec_bench_result r{};
  zmqsec_bench_zap_drive(ctx, task.hits.c_str(), task.addresses.c_str(), 0, task.zap_one_cpu,
                         task.warmup, seconds, task.in_flight, &r);
  if (r.failures != 0) std::cerr << task.kind << ": ZAP requests: " << r.first_failure << '\n';
  return {r.seconds > 0 ? r.completed / r.seconds : 0, r.failures, r.longest_gap};
}

/// Runs measure() while another thread replace()s auth's policy with configs, in turn, every
/// 10 ms; returns what measure returned, and adds the count and mean time of the replaces.
template <class Measure>
one_run while_replacing(za::thread_authenticator& auth,
                        const std::vector<za::policy_config>& configs, Measure measure,
                        long& replaces, double& replace_time) {
  std::jthread replacer([&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      const auto start = clock_type::now();
      auth.replace(configs[static_cast<std::size_t>(replaces % 2)]);
      replace_time += std::chrono::duration<double>(clock_type::now() - start).count();
      ++replaces;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // an operator's pace, fast
    }
  });
  return measure();
}

}  // namespace

figures measure_ours_replace(const child_task& task) {
  zmq::context_t ctx;
  // Two configurations of the same policy, each with a store of its own, made before the run:
  // what is measured is putting one in force, not reading 100k certificates.
  const std::vector<za::policy_config> configs = {policy_of(task), policy_of(task)};
  za::thread_authenticator auth(ctx);
  auth.replace(configs[0]);
  auth.start();
  handshakes_once(task, ctx.handle(), task.handshake_seconds / 2);  // warm-up

  figures out;
  const auto steady = handshakes_once(task, ctx.handle(), task.handshake_seconds);
  out[std::string(figure::steady_hs_rate)] = steady.rate;
  out[std::string(figure::steady_longest_gap)] = steady.longest_gap;

  long replaces = 0;
  double replace_time = 0;
  const one_run replaced = while_replacing(
      auth, configs, [&] { return handshakes_once(task, ctx.handle(), task.handshake_seconds); },
      replaces, replace_time);
  zap_gaps(task, ctx.handle(), task.zap_seconds / 2);  // warm-up
  const one_run zap_steady = zap_gaps(task, ctx.handle(), task.zap_seconds);
  const one_run zap_replaced = while_replacing(
      auth, configs, [&] { return zap_gaps(task, ctx.handle(), task.zap_seconds); }, replaces,
      replace_time);
  out[std::string(figure::steady_zap_gap)] = zap_steady.longest_gap;
  out[std::string(figure::replace_zap_gap)] = zap_replaced.longest_gap;
  out[std::string(figure::replace_zap_failures)] = zap_steady.failures + zap_replaced.failures;
  out[std::string(figure::replace_hs_rate)] = replaced.rate;
  out[std::string(figure::replace_hs_failures)] = steady.failures + replaced.failures;
  out[std::string(figure::replace_longest_gap)] = replaced.longest_gap;
  out[std::string(figure::replace_count)] = static_cast<double>(replaces);
  out[std::string(figure::replace_seconds)] = replaces > 0 ? replace_time / replaces : 0;
  if (replaces == 0) throw std::runtime_error("no replace() completed during the handshakes");
  return out;
}

}  // namespace zmqsec::bench::auth
#endif
