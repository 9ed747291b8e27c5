// CZMQ's certificate functions behind a small C++ interface, so the tests see what CZMQ sees and
// czmq.h (with its prelude's macros) stays out of the test sources.
//
//   auto seen = zmqsec::testing::czmq::load("certs/server.key");  // zcert_load
//   EXPECT_EQ(seen->public_txt, expected.z85());
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace zmqsec::testing::czmq {

/// A certificate as CZMQ reports it: zcert_public_txt, zcert_secret_txt and zcert_meta for
/// every name of zcert_meta_keys.
struct cert_view {
  std::string public_txt;
  std::string secret_txt;  ///< Z85 of 32 zero bytes when CZMQ found no secret key
  std::map<std::string, std::string> metadata;
};

/// Z85 of 32 zero bytes: what zcert_secret_txt reports for a certificate without a secret key.
inline const std::string no_secret_txt(40, '0');

/// zcert_load(file): note that CZMQ reads file + "_secret" instead when that exists.
std::optional<cert_view> load(const std::filesystem::path& file);

/// zcert_new, zcert_set_meta for each pair, zcert_save(file): writes file and file + "_secret".
/// Returns what was saved; throws std::runtime_error if CZMQ cannot save.
cert_view create_and_save(const std::filesystem::path& file,
                          const std::vector<std::pair<std::string, std::string>>& meta);

/// A zcertstore on a folder (zcertstore_new(dir)).
class cert_store {
 public:
  explicit cert_store(const std::filesystem::path& dir);
  ~cert_store();
  cert_store(const cert_store&) = delete;
  cert_store& operator=(const cert_store&) = delete;

  /// zcertstore_lookup(public_txt).
  std::optional<cert_view> lookup(const std::string& public_txt);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace zmqsec::testing::czmq
