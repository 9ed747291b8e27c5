// Uses the installed zmqsec the way the README shows: a keypair, its Z85 text, a certificate pair
// written to a folder and read back. Prints "zmqsec consumer ok" and exits 0 only if every step
// gives what it should.
//
//   consumer DIR
#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>
#include <zmqsec/certs/z85.hpp>
#include <zmqsec/error.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>

namespace {

int fail(const std::string& what) {
  std::cerr << "consumer: " << what << '\n';
  return EXIT_FAILURE;
}

int run(const std::filesystem::path& dir) {
  namespace zc = zmqsec::certs;

  zc::keypair pair = zc::generate_keypair();
  const std::string public_text = zc::z85_encode(pair.public_key.bytes());
  if (public_text != pair.public_key.z85()) return fail("z85_encode differs from public_key::z85");
  if (public_text.size() != zc::z85_key_size) return fail("Z85 public key has the wrong length");
  if (zc::public_key::from_z85(public_text) != pair.public_key) return fail("Z85 round trip");
  if (zc::derive_public_key(pair.secret_key) != pair.public_key) return fail("derived public key");

  const zc::metadata meta = {{"name", "package consumer"}, {"email", "ops@example.org"}};
  zc::certificate_files files = zc::save_certificates(dir, "consumer", pair, meta);

  zc::certificate secret = zc::load_certificate(files.secret_file);
  if (secret.public_key != pair.public_key) return fail("secret file: public key differs");
  if (!secret.secret_key || !(*secret.secret_key == pair.secret_key)) {
    return fail("secret file: secret key differs");
  }
  if (secret.metadata != meta) return fail("secret file: metadata differs");

  zc::certificate pub = zc::load_certificate(files.public_file);
  if (pub.public_key != pair.public_key) return fail("public file: public key differs");
  if (pub.secret_key) return fail("public file: holds a secret key");
  const std::string* name = pub.meta("name");
  if (name == nullptr || *name != "package consumer") return fail("public file: metadata differs");

  std::cout << "zmqsec consumer ok " << public_text << '\n';
  return EXIT_SUCCESS;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) return fail("usage: consumer DIR");
  try {
    return run(argv[1]);
  } catch (const zmqsec::error& e) {
    return fail(std::string("zmqsec::error: ") + e.what());
  }
}
