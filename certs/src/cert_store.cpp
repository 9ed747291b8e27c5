// cert_store: the public face of a store. Snapshots are published by a snapshot_publisher; a
// store_state holds it and the source of the certificates: a folder (folder_store.cpp, with a
// folder_source and a folder_follower) or the program (memory_store.cpp).
#include <zmqsec/certs/cert_store.hpp>

#include <stdexcept>
#include <string>
#include <utility>

#include "key_table.hpp"
#include "store_state.hpp"

namespace zmqsec::certs {

// ---- cert_view ----

const public_key& cert_view::key() const noexcept {
  return table_->key_of(entry_);
}

std::optional<std::string_view> cert_view::meta(std::string_view name) const noexcept {
  std::optional<std::string_view> found;
  for_each_meta([&](std::string_view n, std::string_view value) {
    if (!found && n == name) found = value;
  });
  return found;
}

void cert_view::visit_meta(meta_visitor visitor, void* context) const {
  table_->visit_meta(entry_, visitor, context);
}

certs::metadata cert_view::metadata() const {
  certs::metadata all;
  for_each_meta([&](std::string_view name, std::string_view value) {
    all.emplace_back(std::string(name), std::string(value));
  });
  return all;
}

std::string_view cert_view::file_name() const noexcept {
  return table_->source_name(entry_);
}

// ---- cert_snapshot ----

cert_snapshot::cert_snapshot(std::shared_ptr<const detail::key_table> table,
                             std::vector<file_problem> problems, std::uint64_t generation,
                             bool stale) noexcept
    : table_(std::move(table)),
      problems_(std::move(problems)),
      generation_(generation),
      stale_(stale) {}

std::size_t cert_snapshot::size() const noexcept {
  return table_->size();
}

std::size_t cert_snapshot::file_count() const noexcept {
  return table_->file_count();
}

bool cert_snapshot::contains(std::span<const unsigned char> key) const noexcept {
  return key.size() == key_size && table_->find_id(key.data()) != detail::key_table::no_entry;
}

std::optional<cert_view> cert_snapshot::find(std::span<const unsigned char> key) const noexcept {
  if (key.size() != key_size) return std::nullopt;
  const std::uint32_t id = table_->find_id(key.data());
  if (id == detail::key_table::no_entry) return std::nullopt;
  return cert_view(table_, id);
}

cert_view cert_snapshot::at(std::size_t index) const {
  if (index >= size()) {
    throw std::out_of_range("cert_snapshot::at: index " + std::to_string(index) + " >= size " +
                            std::to_string(size()));
  }
  return cert_view(table_, table_->id_at(index));
}

// ---- cert_store ----

cert_store::cert_store(std::filesystem::path dir, cert_store_options options)
    : state_(detail::open_folder_store(dir, std::move(options))) {}

cert_store::cert_store(std::unique_ptr<detail::store_state> state) noexcept
    : state_(std::move(state)) {}

cert_store cert_store::from_authorized_keys(const std::filesystem::path& file,
                                            cert_store_options options) {
  return cert_store(detail::open_keys_file_store(file, std::move(options)));
}

cert_store cert_store::from_certificates(std::span<const certificate> certs,
                                         cert_store_options options) {
  return cert_store(detail::make_memory_store(certs, std::move(options.on_change)));
}

cert_store::cert_store(cert_store&& other) noexcept = default;
cert_store& cert_store::operator=(cert_store&& other) noexcept = default;
cert_store::~cert_store() = default;

std::shared_ptr<const cert_snapshot> cert_store::current() const noexcept {
  return state_ ? state_->publisher.current() : nullptr;
}

bool cert_store::contains(std::span<const unsigned char> key) const noexcept {
  return current()->contains(key);
}

std::optional<cert_view> cert_store::find(std::span<const unsigned char> key) const noexcept {
  return current()->find(key);
}

std::shared_ptr<const cert_snapshot> cert_store::reload() {
  return state_->reload();
}

std::uint64_t cert_store::generation() const noexcept {
  return state_->publisher.generation();
}

bool cert_store::wait_for_generation(std::uint64_t at_least,
                                     std::chrono::milliseconds timeout) const {
  return state_->publisher.wait_for_generation(at_least, timeout);
}

void cert_store::insert(const public_key& key, const certs::metadata& meta) {
  const certificate cert{key, std::nullopt, meta};
  insert(std::span<const certificate>(&cert, 1));
}

void cert_store::insert(std::span<const certificate> certs) {
  state_->insert(certs);
}

bool cert_store::erase(const public_key& key) {
  return state_->erase(key);
}

const std::filesystem::path& cert_store::folder() const noexcept {
  return state_->folder();
}

const std::filesystem::path& cert_store::keys_file() const noexcept {
  return state_->keys_file();
}

}  // namespace zmqsec::certs
