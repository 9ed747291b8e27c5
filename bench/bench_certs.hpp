// The certificate folders the benchmarks share, made once in the cache folder: n public
// certificates "client-<i>.key" (metadata name = "client-<i>") written with our
// save_public_certificate, and a file of their Z85 keys, one per line, in the same order. The
// store and auth benchmarks both use them, so either reuses what the other made.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include <zmqsec/certs/keys.hpp>

namespace zmqsec::bench {

inline std::size_t count_lines(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::size_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  return lines;
}

inline std::size_t count_entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

/// Writes lines to file through a temporary file and a rename (its presence means complete).
inline void write_lines(const std::filesystem::path& file, const std::vector<std::string>& lines) {
  const std::filesystem::path temp = file.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    for (const auto& line : lines) out << line << '\n';
    if (!out.flush()) throw std::runtime_error("cannot write " + temp.string());
  }
  std::filesystem::rename(temp, file);
}

/// The folder cache/certs-<n> and its keys file cache/certs-<n>.keys, generated if missing or
/// incomplete (program names who writes them, in the progress line). Writing is bound by the
/// fsync of every file, so several threads write at once; the keys file is written last.
inline std::pair<std::filesystem::path, std::filesystem::path> certificate_folder(
    const std::filesystem::path& cache, std::size_t n, std::string_view program) {
  namespace fs = std::filesystem;
  const fs::path dir = cache / ("certs-" + std::to_string(n));
  const fs::path keys_file = cache / ("certs-" + std::to_string(n) + ".keys");
  fs::create_directories(cache);
  if (fs::exists(keys_file) && fs::is_directory(dir) && count_lines(keys_file) == n &&
      count_entries(dir) == n) {
    return {dir, keys_file};
  }
  std::cerr << program << ": writing " << n << " certificates into " << dir << " (once)\n";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<std::string> keys(n);
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::string failure;
  {
    std::vector<std::jthread> writers;
    for (int t = 0; t < 8; ++t) {
      writers.emplace_back([&] {
        try {
          for (std::size_t i = next++; i < n && !failed; i = next++) {
            const std::string name = "client-" + std::to_string(i);
            const auto pair = certs::generate_keypair();
            certs::save_public_certificate(dir / (name + ".key"), pair.public_key,
                                           {{"name", name}});
            keys[i] = pair.public_key.z85();
          }
        } catch (const std::exception& e) {
          if (!failed.exchange(true)) failure = e.what();
        }
      });
    }
  }
  if (failed) throw std::runtime_error("generating certificates: " + failure);
  write_lines(keys_file, keys);
  return {dir, keys_file};
}

}  // namespace zmqsec::bench
