// Z85 throughput: ours (non-allocating *_to and allocating) against libzmq's zmq_z85_encode and
// zmq_z85_decode, for one CURVE key (32 bytes) and for a larger buffer (4 KiB).
#include <benchmark/benchmark.h>
#include <zmq.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <zmqsec/certs/z85.hpp>

#include "micro_bench.hpp"

namespace zc = zmqsec::certs;

namespace {

std::vector<unsigned char> random_bytes(std::size_t n) {
  std::mt19937 gen(static_cast<std::uint32_t>(n));
  std::uniform_int_distribution<int> byte(0, 255);
  std::vector<unsigned char> data(n);
  for (auto& b : data) b = static_cast<unsigned char>(byte(gen));
  return data;
}

std::string encoded(const std::vector<unsigned char>& data) {
  std::string text(zc::z85_encoded_size(data.size()) + 1, '\0');
  if (zmq_z85_encode(text.data(), data.data(), data.size()) == nullptr)
    throw std::runtime_error("zmq_z85_encode failed");
  text.pop_back();
  return text;
}

void count(benchmark::State& state, std::size_t binary_bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * binary_bytes));
}

void z85_encode_to_ours(benchmark::State& state) {
  const auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
  std::string out(zc::z85_encoded_size(data.size()), '\0');
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    auto result = zc::z85_encode_to(data, out);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  count(state, data.size());
}

void z85_encode_ours(benchmark::State& state) {
  const auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    auto text = zc::z85_encode(std::span<const unsigned char>(data));
    benchmark::DoNotOptimize(text.data());
    benchmark::ClobberMemory();
  }
  count(state, data.size());
}

void z85_encode_libzmq(benchmark::State& state) {
  const auto data = random_bytes(static_cast<std::size_t>(state.range(0)));
  std::string out(zc::z85_encoded_size(data.size()) + 1, '\0');  // + the terminating NUL
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    char* result = zmq_z85_encode(out.data(), data.data(), data.size());
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  count(state, data.size());
}

void z85_decode_to_ours(benchmark::State& state) {
  const auto text = encoded(random_bytes(static_cast<std::size_t>(state.range(0))));
  std::vector<unsigned char> out(zc::z85_decoded_size(text.size()));
  for (auto _ : state) {
    benchmark::DoNotOptimize(text.data());
    auto result = zc::z85_decode_to(text, out);
    benchmark::DoNotOptimize(result);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  count(state, out.size());
}

void z85_decode_ours(benchmark::State& state) {
  const auto text = encoded(random_bytes(static_cast<std::size_t>(state.range(0))));
  for (auto _ : state) {
    benchmark::DoNotOptimize(text.data());
    auto bytes = zc::z85_decode(text);
    benchmark::DoNotOptimize(bytes.data());
    benchmark::ClobberMemory();
  }
  count(state, zc::z85_decoded_size(text.size()));
}

void z85_decode_libzmq(benchmark::State& state) {
  const auto text = encoded(random_bytes(static_cast<std::size_t>(state.range(0))));
  std::vector<unsigned char> out(zc::z85_decoded_size(text.size()));
  for (auto _ : state) {
    benchmark::DoNotOptimize(text.data());
    std::uint8_t* result = zmq_z85_decode(out.data(), text.c_str());
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  count(state, out.size());
}

}  // namespace

BENCHMARK(z85_encode_to_ours)->Arg(32)->Arg(4096);
BENCHMARK(z85_encode_ours)->Arg(32)->Arg(4096);
BENCHMARK(z85_encode_libzmq)->Arg(32)->Arg(4096);
BENCHMARK(z85_decode_to_ours)->Arg(32)->Arg(4096);
BENCHMARK(z85_decode_ours)->Arg(32)->Arg(4096);
BENCHMARK(z85_decode_libzmq)->Arg(32)->Arg(4096);

namespace zmqsec::bench {

const std::vector<comparison>& z85_comparisons() {
  using enum comparison::figure;
  static const std::vector<comparison> list = {
      {"z85 encode 32B key (encode_to)", "z85_encode_to_ours/32", "libzmq zmq_z85_encode",
       "z85_encode_libzmq/32", items},
      {"z85 encode 32B key (encode, allocates)", "z85_encode_ours/32", "libzmq zmq_z85_encode",
       "z85_encode_libzmq/32", items},
      {"z85 decode 32B key (decode_to)", "z85_decode_to_ours/32", "libzmq zmq_z85_decode",
       "z85_decode_libzmq/32", items},
      {"z85 decode 32B key (decode, allocates)", "z85_decode_ours/32", "libzmq zmq_z85_decode",
       "z85_decode_libzmq/32", items},
      {"z85 encode 4KiB (encode_to)", "z85_encode_to_ours/4096", "libzmq zmq_z85_encode",
       "z85_encode_libzmq/4096", bytes},
      {"z85 encode 4KiB (encode, allocates)", "z85_encode_ours/4096", "libzmq zmq_z85_encode",
       "z85_encode_libzmq/4096", bytes},
      {"z85 decode 4KiB (decode_to)", "z85_decode_to_ours/4096", "libzmq zmq_z85_decode",
       "z85_decode_libzmq/4096", bytes},
      {"z85 decode 4KiB (decode, allocates)", "z85_decode_ours/4096", "libzmq zmq_z85_decode",
       "z85_decode_libzmq/4096", bytes},
  };
  return list;
}

}  // namespace zmqsec::bench
