// What a cert_store holds: its publisher and one source of certificates, a folder
// (folder_store.cpp) or the program (memory_store.cpp), in the way CZMQ's zcertstore separates
// the store from its loader. cert_store forwards to it; each source says what it can do.
#pragma once

#include <filesystem>
#include <memory>
#include <span>

#include <zmqsec/certs/cert_store.hpp>

#include "snapshot_publisher.hpp"

namespace zmqsec::certs::detail {

struct store_state {
  explicit store_state(snapshot_publisher::change_callback on_change)
      : publisher(std::move(on_change)) {}
  store_state(const store_state&) = delete;
  store_state& operator=(const store_state&) = delete;
  virtual ~store_state() = default;

  virtual std::shared_ptr<const cert_snapshot> reload() = 0;
  virtual void insert(std::span<const certificate> certs) = 0;
  virtual bool erase(const public_key& key) = 0;
  virtual const std::filesystem::path& folder() const noexcept = 0;
  virtual const std::filesystem::path& keys_file() const noexcept {
    static const std::filesystem::path none;
    return none;
  }

  snapshot_publisher publisher;
};

/// Reads dir and, with options.follow, follows it (see cert_store's constructor).
std::unique_ptr<store_state> open_folder_store(const std::filesystem::path& dir,
                                               cert_store_options options);

/// Reads an authorized-keys file and, with options.follow, follows it.
std::unique_ptr<store_state> open_keys_file_store(const std::filesystem::path& file,
                                                  cert_store_options options);

/// Holds certs, changed by insert() and erase() only.
std::unique_ptr<store_state> make_memory_store(std::span<const certificate> certs,
                                               snapshot_publisher::change_callback on_change);

}  // namespace zmqsec::certs::detail
