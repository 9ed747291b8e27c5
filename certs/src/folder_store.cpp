// The folder mode of a cert_store: a folder_source, and, when following, a core::folder_watch
// and the folder_follower that acts on it. One mutex serialises the follower, reload() and the
// first read.
#include <memory>
#include <mutex>
#include <optional>

#include <zmqsec/core/folder_watch.hpp>

#include "folder_follower.hpp"
#include "folder_source.hpp"
#include "store_state.hpp"

namespace zmqsec::certs::detail {
namespace {

std::filesystem::path folder_path(const std::filesystem::path& dir) {
  if (dir.empty()) throw zmqsec::error(errc::invalid_argument, "empty certificate folder path");
  std::error_code ec;
  auto path = std::filesystem::absolute(dir, ec).lexically_normal();
  if (ec) throw zmqsec::error(ec, "cannot resolve " + dir.string() + ": " + ec.message());
  if (!path.has_filename() && path != path.root_path()) path = path.parent_path();  // "certs/"
  return path;
}

class folder_store final : public store_state {
 public:
  folder_store(std::filesystem::path dir, cert_store_options options)
      : store_state(std::move(options.on_change)),
        watch_(options.follow ? std::make_unique<core::folder_watch>(dir) : nullptr),
        source_(std::move(dir), watch_.get(), publisher) {
    std::lock_guard lock(update_mutex_);
    source_.load();
    if (!watch_) return;
    follower_.emplace(source_, *watch_, update_mutex_);
    follower_->start();
  }

  std::shared_ptr<const cert_snapshot> reload() override {
    publisher.refuse_inside_callback("reload()");
    std::lock_guard lock(update_mutex_);
    if (follower_) follower_->forget_pending();
    source_.reload();
    return publisher.current();
  }

  void insert(std::span<const certificate>) override {
    throw zmqsec::error(errc::invalid_argument,
                        "cert_store::insert(): the store follows a folder; add a file instead");
  }

  bool erase(const public_key&) override {
    throw zmqsec::error(errc::invalid_argument,
                        "cert_store::erase(): the store follows a folder; remove the file instead");
  }

  const std::filesystem::path& folder() const noexcept override { return source_.folder(); }

 private:
  std::mutex update_mutex_;                    // held while reading files, building and publishing
  std::unique_ptr<core::folder_watch> watch_;  // null when not following
  folder_source source_;
  std::optional<folder_follower> follower_;  // last: stopped before the rest goes
};

}  // namespace

std::unique_ptr<store_state> open_folder_store(const std::filesystem::path& dir,
                                               cert_store_options options) {
  return std::make_unique<folder_store>(folder_path(dir), std::move(options));
}

}  // namespace zmqsec::certs::detail
