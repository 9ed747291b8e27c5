// core::secret_string and secret_allocator: where the bytes live (the kernel's own account in
// /proc/self/smaps: "dd" is VM_DONTDUMP), and that they never fall back to the string object.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <zmqsec/core/secret_memory.hpp>

namespace {

using zmqsec::core::secret_string;

// Whether the mapping that holds address p is marked "do not dump" (VmFlags dd), per the kernel.
bool kernel_excludes_from_dumps(const void* p) {
  const auto at = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    const std::string first = line.substr(0, line.find(' '));
    if (!first.ends_with(':')) {  // a mapping: "from-to perms offset dev inode path"
      const std::size_t dash = first.find('-');
      inside = std::stoull(first.substr(0, dash), nullptr, 16) <= at &&
               at < std::stoull(first.substr(dash + 1), nullptr, 16);
    } else if (inside && first == "VmFlags:") {
      return (line + " ").find(" dd ") != std::string::npos;
    }
  }
  return false;
}

TEST(secret_memory_test, short_and_long_secrets_live_in_pages_kept_out_of_core_dumps) {
  for (const std::size_t length : {0u, 1u, 15u, 16u, 40u, 300u, 4096u, 100'000u}) {
    SCOPED_TRACE(length);
    const secret_string secret(length, 's');
    EXPECT_TRUE(kernel_excludes_from_dumps(secret.data()));
    EXPECT_EQ(std::string_view(secret), std::string(length, 's'));
  }
}

TEST(secret_memory_test, a_control_plain_string_is_dumped) {
  const std::string plain(40, 'p');
  EXPECT_FALSE(kernel_excludes_from_dumps(plain.data()));
  EXPECT_FALSE(kernel_excludes_from_dumps(&plain));
}

TEST(secret_memory_test, copies_moves_and_assignments_keep_the_text_in_secret_memory) {
  const std::string typed = "hunter2";  // short: std::string would keep it inline
  secret_string a = typed;
  secret_string b = a;
  secret_string c = std::move(a);
  secret_string d;
  d = b;
  secret_string e;
  e = std::move(b);
  secret_string f("abc");
  f = "xyz";
  secret_string g(typed.begin(), typed.end());
  for (const secret_string* s : {&a, &b, &c, &d, &e, &f, &g}) {
    EXPECT_TRUE(kernel_excludes_from_dumps(s->data()));
  }
  EXPECT_EQ(c, "hunter2");
  EXPECT_EQ(d, "hunter2");
  EXPECT_EQ(e, "hunter2");
  EXPECT_EQ(f, "xyz");
  EXPECT_EQ(g, "hunter2");
  EXPECT_TRUE(a.empty());  // moved from
  a = "reused";
  EXPECT_TRUE(kernel_excludes_from_dumps(a.data()));
  std::vector<secret_string> many(100, secret_string("k"));
  many.emplace_back("grown");
  for (const auto& s : many) EXPECT_TRUE(kernel_excludes_from_dumps(s.data()));
}

TEST(secret_memory_test, released_memory_is_wiped_before_it_is_reused) {
  const char* where = nullptr;
  {
    secret_string secret("a secret of more than sixteen bytes");
    where = secret.data();
  }
  // The block is back on its free list: still mapped, and nothing of the secret left in it
  // beyond the free list's own link (the first 8 bytes).
  const std::string after(where + sizeof(void*), 20);
  EXPECT_EQ(after, std::string(20, '\0'));
}

TEST(secret_memory_test, wipe_and_clear_overwrites_the_buffer_and_keeps_it) {
  secret_string secret("another secret of some length");
  const char* where = secret.data();
  const std::size_t length = secret.size();
  secret.wipe_and_clear();
  EXPECT_TRUE(secret.empty());
  EXPECT_EQ(secret.data(), where);
  EXPECT_EQ(std::string(where, length), std::string(length, '\0'));
}

TEST(secret_memory_test, the_allocator_serves_containers_of_any_element_type) {
  std::vector<std::uint64_t, zmqsec::core::secret_allocator<std::uint64_t>> numbers;
  for (std::uint64_t i = 0; i < 10'000; ++i) numbers.push_back(i);
  EXPECT_TRUE(kernel_excludes_from_dumps(numbers.data()));
  EXPECT_EQ(numbers[9'999], 9'999u);
}

}  // namespace
