// CURVE keys: keypairs per second (generate_keypair against zmq_curve_keypair) and the public key
// from a secret one (derive_public_key against zmq_curve_public).
//
// libzmq's functions take and return Z85 text while ours work on binary keys (the secret in
// guarded sodium_malloc memory), so each is also measured the way libzmq does it, text in and
// text out, for a like-for-like row.
#include <benchmark/benchmark.h>
#include <zmq.h>

#include <stdexcept>
#include <string>

#include <zmqsec/certs/keys.hpp>

#include "micro_bench.hpp"

namespace zc = zmqsec::certs;

namespace {

void keypair_ours(benchmark::State& state) {
  for (auto _ : state) {
    auto pair = zc::generate_keypair();
    benchmark::DoNotOptimize(pair.public_key.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void keypair_z85_ours(benchmark::State& state) {
  for (auto _ : state) {
    auto pair = zc::generate_keypair();
    auto public_text = pair.public_key.z85();
    auto secret_text = pair.secret_key.z85();
    benchmark::DoNotOptimize(public_text.data());
    benchmark::DoNotOptimize(secret_text.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void keypair_libzmq(benchmark::State& state) {
  char public_text[41];
  char secret_text[41];
  for (auto _ : state) {
    if (zmq_curve_keypair(public_text, secret_text) != 0) {
      state.SkipWithError("zmq_curve_keypair failed (libzmq built without CURVE?)");
      break;
    }
    benchmark::DoNotOptimize(public_text);
    benchmark::DoNotOptimize(secret_text);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void public_ours(benchmark::State& state) {
  const auto pair = zc::generate_keypair();
  for (auto _ : state) {
    auto key = zc::derive_public_key(pair.secret_key);
    benchmark::DoNotOptimize(key);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void public_z85_ours(benchmark::State& state) {
  const auto secret_text = zc::generate_keypair().secret_key.z85();
  for (auto _ : state) {
    auto secret = zc::secret_key::from_z85(secret_text);
    auto text = zc::derive_public_key(secret).z85();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void public_libzmq(benchmark::State& state) {
  char public_text[41];
  char secret_text[41];
  if (zmq_curve_keypair(public_text, secret_text) != 0) {
    state.SkipWithError("zmq_curve_keypair failed (libzmq built without CURVE?)");
    return;
  }
  for (auto _ : state) {
    if (zmq_curve_public(public_text, secret_text) != 0) {
      state.SkipWithError("zmq_curve_public failed");
      break;
    }
    benchmark::DoNotOptimize(public_text);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK(keypair_ours);
BENCHMARK(keypair_z85_ours);
BENCHMARK(keypair_libzmq);
BENCHMARK(public_ours);
BENCHMARK(public_z85_ours);
BENCHMARK(public_libzmq);

namespace zmqsec::bench {

const std::vector<comparison>& keys_comparisons() {
  static const std::vector<comparison> list = {
      {"keypairs (generate_keypair)", "keypair_ours", "libzmq zmq_curve_keypair", "keypair_libzmq"},
      {"keypairs as Z85 text", "keypair_z85_ours", "libzmq zmq_curve_keypair", "keypair_libzmq"},
      {"public from secret (derive_public_key)", "public_ours", "libzmq zmq_curve_public",
       "public_libzmq"},
      {"public from secret, Z85 in and out", "public_z85_ours", "libzmq zmq_curve_public",
       "public_libzmq"},
  };
  return list;
}

}  // namespace zmqsec::bench
