#include "memory_floor.hpp"

#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace zmqsec::bench {
namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t line = 64;
constexpr std::size_t huge_page = std::size_t{2} << 20;

// An anonymous mapping of bytes on a 2 MiB boundary, advised to use huge pages, as the table's
// arena (certs/src/shard_arena.cpp).
class huge_mapping {
 public:
  explicit huge_mapping(std::size_t bytes)
      : size_((bytes + huge_page - 1) / huge_page * huge_page) {
    raw_ = ::mmap(nullptr, size_ + huge_page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                  -1, 0);
    if (raw_ == MAP_FAILED) throw std::runtime_error("memory floor: mmap failed");
    const auto address = reinterpret_cast<std::uintptr_t>(raw_);
    data_ = reinterpret_cast<std::byte*>((address + huge_page - 1) / huge_page * huge_page);
    (void)::madvise(data_, size_, MADV_HUGEPAGE);
  }
  ~huge_mapping() { ::munmap(raw_, size_ + huge_page); }
  huge_mapping(const huge_mapping&) = delete;
  huge_mapping& operator=(const huge_mapping&) = delete;

  std::byte* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }

 private:
  std::size_t size_;
  void* raw_;
  std::byte* data_;
};

// AnonHugePages of this process, in bytes.
std::size_t huge_bytes() {
  std::ifstream in("/proc/self/smaps_rollup");
  for (std::string text; std::getline(in, text);) {
    if (text.rfind("AnonHugePages:", 0) == 0) return std::stoull(text.substr(14)) * 1024;
  }
  return 0;
}

std::uint64_t& slot(const huge_mapping& m, std::size_t index) noexcept {
  return *reinterpret_cast<std::uint64_t*>(m.data() + index * line);
}

}  // namespace

memory_floor measure_memory_floor(std::size_t bytes, std::size_t reads) {
  const std::size_t huge_before = huge_bytes();
  const huge_mapping array(bytes);
  const std::size_t lines = array.size() / line;
  std::mt19937_64 random(7);

  // One cycle through every line in random order (Sattolo), so that the chase never settles in
  // a short loop the caches could hold.
  std::vector<std::uint32_t> order(lines);
  for (std::size_t i = 0; i < lines; ++i) order[i] = static_cast<std::uint32_t>(i);
  for (std::size_t i = lines - 1; i > 0; --i) std::swap(order[i], order[random() % i]);
  for (std::size_t i = 0; i < lines; ++i) slot(array, order[i]) = order[(i + 1) % lines];

  memory_floor out;
  out.huge_page_share =
      static_cast<double>(huge_bytes() - huge_before) / static_cast<double>(array.size());
  std::uint64_t at = order[0];
  auto start = clock_type::now();
  for (std::size_t i = 0; i < reads; ++i) at = slot(array, at);
  out.dependent_ns = std::chrono::duration<double>(clock_type::now() - start).count() * 1e9 / reads;

  std::vector<std::uint32_t> targets(reads);
  for (auto& t : targets) t = static_cast<std::uint32_t>(random() % lines);
  std::uint64_t sum = 0;
  start = clock_type::now();
  for (const std::uint32_t t : targets) sum += slot(array, t);
  out.independent_ns =
      std::chrono::duration<double>(clock_type::now() - start).count() * 1e9 / reads;
  if (at >= lines || sum == 0) throw std::runtime_error("memory floor: the array was not read");
  return out;
}

}  // namespace zmqsec::bench
