// The in-memory source of a cert_store: certificates given by the program, changed by insert()
// and erase(); no folder, no thread.
#include <mutex>
#include <string_view>

#include "cert_model.hpp"
#include "store_state.hpp"

namespace zmqsec::certs::detail {
namespace {

std::string_view key_name(const public_key& key) noexcept {
  // An in-memory store files each certificate under its key bytes: unique per key, never shown.
  return {reinterpret_cast<const char*>(key.data()), key_size};
}

change_set changes_of(std::span<const certificate> certs) {
  change_set changes;
  for (const auto& cert : certs) {
    changes.add_loaded(key_name(cert.public_key), cert.public_key, cert.metadata);
  }
  return changes;
}

class memory_store final : public store_state {
 public:
  memory_store(std::span<const certificate> certs, snapshot_publisher::change_callback on_change)
      : store_state(std::move(on_change)) {
    auto changes = changes_of(certs);
    changes.finish();
    std::lock_guard lock(update_mutex_);
    model_.apply(changes, true);
    publish(false);
  }

  std::shared_ptr<const cert_snapshot> reload() override { return publisher.current(); }

  void insert(std::span<const certificate> certs) override {
    publisher.refuse_inside_callback("insert()");
    auto changes = changes_of(certs);
    std::lock_guard lock(update_mutex_);
    if (model_.apply_incremental(changes)) publish(true);
  }

  bool erase(const public_key& key) override {
    publisher.refuse_inside_callback("erase()");
    std::lock_guard lock(update_mutex_);
    if (model_.table()->find(key.data()) == nullptr) return false;
    change_set changes;
    changes.add_absent(key_name(key));
    if (model_.apply_incremental(changes)) publish(true);
    return true;
  }

  const std::filesystem::path& folder() const noexcept override { return no_folder_; }

 private:
  void publish(bool notify) {
    publisher.publish(model_.table(), model_.problems(no_folder_, {}), false, notify);
  }

  const std::filesystem::path no_folder_;
  std::mutex update_mutex_;  // serialises changes and their publication
  cert_model model_{true};   // guarded by update_mutex_
};

}  // namespace

std::unique_ptr<store_state> make_memory_store(std::span<const certificate> certs,
                                               snapshot_publisher::change_callback on_change) {
  return std::make_unique<memory_store>(certs, std::move(on_change));
}

}  // namespace zmqsec::certs::detail
