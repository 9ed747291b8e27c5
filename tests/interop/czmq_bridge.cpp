#include "czmq_bridge.hpp"

#include <czmq.h>

#include <stdexcept>

namespace zmqsec::testing::czmq {

namespace {

cert_view view_of(zcert_t* cert) {
  cert_view view;
  view.public_txt = zcert_public_txt(cert);
  view.secret_txt = zcert_secret_txt(cert);
  zlist_t* names = zcert_meta_keys(cert);
  for (auto* name = static_cast<const char*>(zlist_first(names)); name != nullptr;
       name = static_cast<const char*>(zlist_next(names))) {
    const char* value = zcert_meta(cert, name);
    view.metadata.emplace(name, value != nullptr ? value : "");
  }
  zlist_destroy(&names);
  return view;
}

}  // namespace

std::optional<cert_view> load(const std::filesystem::path& file) {
  zcert_t* cert = zcert_load(file.c_str());
  if (cert == nullptr) return std::nullopt;
  cert_view view = view_of(cert);
  zcert_destroy(&cert);
  return view;
}

cert_view create_and_save(const std::filesystem::path& file,
                          const std::vector<std::pair<std::string, std::string>>& meta) {
  zcert_t* cert = zcert_new();
  if (cert == nullptr) throw std::runtime_error("zcert_new failed");
  for (const auto& [name, value] : meta) zcert_set_meta(cert, name.c_str(), "%s", value.c_str());
  int rc = zcert_save(cert, file.c_str());
  cert_view view = view_of(cert);
  zcert_destroy(&cert);
  if (rc != 0) throw std::runtime_error("zcert_save failed for " + file.string());
  return view;
}

struct cert_store::impl {
  zcertstore_t* store = nullptr;
};

cert_store::cert_store(const std::filesystem::path& dir) : impl_(std::make_unique<impl>()) {
  impl_->store = zcertstore_new(dir.c_str());
  if (impl_->store == nullptr)
    throw std::runtime_error("zcertstore_new failed for " + dir.string());
}

cert_store::~cert_store() {
  zcertstore_destroy(&impl_->store);
}

std::optional<cert_view> cert_store::lookup(const std::string& public_txt) {
  zcert_t* cert = zcertstore_lookup(impl_->store, public_txt.c_str());  // owned by the store
  if (cert == nullptr) return std::nullopt;
  return view_of(cert);
}

}  // namespace zmqsec::testing::czmq
