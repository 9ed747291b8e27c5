// The authorized-keys file mode of a cert_store: a keys_file_model, and, when following, a
// core::file_watch whose thread applies each change of the file (keys_file_model::update). One
// mutex serialises the watch's calls, reload() and the first read.
#include <exception>
#include <memory>
#include <mutex>
#include <string>

#include <zmqsec/core/file_watch.hpp>
#include <zmqsec/core/low_priority.hpp>

#include "keys_file_model.hpp"
#include "store_state.hpp"

namespace zmqsec::certs::detail {
namespace {

std::filesystem::path file_path(const std::filesystem::path& file) {
  if (file.empty()) throw zmqsec::error(errc::invalid_argument, "empty authorized-keys file path");
  std::error_code ec;
  auto path = std::filesystem::absolute(file, ec).lexically_normal();
  if (ec) throw zmqsec::error(ec, "cannot resolve " + file.string() + ": " + ec.message());
  return path;
}

class keys_file_store final : public store_state {
 public:
  keys_file_store(std::filesystem::path file, cert_store_options options)
      : store_state(std::move(options.on_change)), model_(std::move(file), options.follow) {
    std::lock_guard lock(update_mutex_);
    if (options.follow) {  // watched before the first read: no change between them is missed
      watch_ = std::make_unique<core::file_watch>(
          [this](std::span<const std::filesystem::path>) { file_changed(); },
          [this](const std::string& warning) { warn(warning); });
      watch_->add(model_.file());
    }
    model_.load_all();
    publish(false);
  }

  ~keys_file_store() override { watch_.reset(); }  // its thread calls into the rest

  std::shared_ptr<const cert_snapshot> reload() override {
    publisher.refuse_inside_callback("reload()");
    std::lock_guard lock(update_mutex_);
    try {
      load_all_politely();
      problem_.clear();
    } catch (const std::exception& e) {
      problem_ = e.what();
    }
    publish(true);
    model_.close_replaced_file();
    return publisher.current();
  }

  void insert(std::span<const certificate>) override {
    throw zmqsec::error(errc::invalid_argument,
                        "cert_store::insert(): the store follows an authorized-keys file; add a "
                        "line instead");
  }

  bool erase(const public_key&) override {
    throw zmqsec::error(errc::invalid_argument,
                        "cert_store::erase(): the store follows an authorized-keys file; remove "
                        "its line instead");
  }

  const std::filesystem::path& folder() const noexcept override { return no_folder_; }
  const std::filesystem::path& keys_file() const noexcept override { return model_.file(); }

 private:
  // A full read of a large file takes a core for a second or so: it is done on a nice-19 thread
  // and spread out to a tenth of the time (core::work_pacer), so that a reload (SIGHUP, say)
  // costs the threads serving clients (handshakes, the ZAP handler) neither CPU nor much memory
  // bandwidth. Snapshots are read without locks, so nothing they need waits for it; a change of
  // the file seen meanwhile is applied when the reload ends. Small files are read at once. The
  // same for a change of the followed file too large to apply in place (a provisioning system
  // rewriting most of it, say).
  void load_all_politely() {
    if (model_.line_count() < large_file_lines) {
      model_.load_all();
      return;
    }
    core::run_at_low_priority([this] {
      core::work_pacer pacer(reload_share);
      model_.load_all([&pacer] { pacer.step(); });
    });
  }
  static constexpr std::size_t large_file_lines = 65536;
  // The share of the time a full reload of a large file runs (see core::work_pacer): memory
  // bandwidth is shared with the threads doing handshakes whatever the thread's nice. A reload
  // of a million keys then takes some 3 s; the keys loaded before serve until it is published.
  // Measured (zmqsec_bench_authorized_keys, handshakes during reloads against no ZAP handler,
  // four runs each): 0.2 gave 0.88-0.95x, 0.1 gave 0.92-0.96x.
  static constexpr double reload_share = 0.1;

  // On the watch's thread: applies the change, or keeps the keys loaded and says why not.
  void file_changed() noexcept {
    try {
      std::lock_guard lock(update_mutex_);
      std::string problem;
      bool changed = false;
      try {
        // A change too large to apply in place is a full read, paced as reload()'s.
        changed = model_.update([this] { load_all_politely(); });
      } catch (const std::exception& e) {
        problem = e.what();
      }
      if (changed || problem != problem_) {
        problem_ = std::move(problem);
        publish(true);
      }
      model_.close_replaced_file();  // after publishing: see there
    } catch (...) {
      // Out of memory even for the report: the last snapshot stays.
    }
  }

  void warn(const std::string& warning) noexcept {
    try {
      std::lock_guard lock(update_mutex_);
      if (warning == problem_) return;
      problem_ = warning;
      publish(true);
    } catch (...) {
    }
  }

  void publish(bool notify) {
    auto problems = model_.problems();
    if (!problem_.empty()) problems.insert(problems.begin(), {model_.file(), problem_, 0});
    publisher.publish(model_.table(), std::move(problems), !problem_.empty(), notify);
  }

  const std::filesystem::path no_folder_;
  std::mutex update_mutex_;  // held while reading the file, building and publishing
  keys_file_model model_;    // guarded by update_mutex_
  std::string problem_;      // why the file cannot be read now; guarded by update_mutex_
  std::unique_ptr<core::file_watch> watch_;  // last: stopped before the rest goes
};

}  // namespace

std::unique_ptr<store_state> open_keys_file_store(const std::filesystem::path& file,
                                                  cert_store_options options) {
  return std::make_unique<keys_file_store>(file_path(file), std::move(options));
}

}  // namespace zmqsec::certs::detail
