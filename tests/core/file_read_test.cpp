#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <zmqsec/core/file_read.hpp>

#include "temp_dir.hpp"

namespace {

using zmqsec::core::file_read_error;
using zmqsec::core::read_regular_file;

// The reason a read of path with the bound max_size is refused; empty if it is not refused.
std::string refusal(const std::filesystem::path& path, std::size_t max_size = 1 << 20) {
  try {
    read_regular_file<std::string>(path, max_size);
  } catch (const file_read_error& e) {
    EXPECT_EQ(std::string(e.what()), path.string() + ": " + e.reason());
    return e.reason();
  }
  return {};
}

TEST(file_read_test, reads_a_regular_file_whole) {
  zmqsec::testing::temp_dir dir;
  const std::string text(100'000, 'k');
  EXPECT_EQ(read_regular_file<std::string>(dir.write("big", text), 1 << 20), text);
  EXPECT_EQ(read_regular_file<std::string>(dir.write("empty", ""), 10), "");
  EXPECT_EQ(read_regular_file<std::string>(dir.write("exact", "12345"), 5), "12345");
}

TEST(file_read_test, refuses_a_file_over_the_bound) {
  zmqsec::testing::temp_dir dir;
  EXPECT_EQ(refusal(dir.write("six", "123456"), 5), "file too large (at most 5 bytes)");
}

TEST(file_read_test, reads_files_that_report_no_size_up_to_the_bound) {
  // /proc files say 0 bytes and have content; the bound still holds.
  EXPECT_FALSE(read_regular_file<std::string>("/proc/self/status", 1 << 20).empty());
  EXPECT_EQ(refusal("/proc/self/status", 16), "file too large (at most 16 bytes)");
}

TEST(file_read_test, says_what_a_file_that_is_not_regular_is_without_hanging) {
  zmqsec::testing::temp_dir dir;
  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(refusal(fifo), "not a regular file (a FIFO)");  // no writer: must not block
  EXPECT_EQ(refusal("/dev/zero"), "not a regular file (a character device)");
  EXPECT_EQ(refusal(dir.path()), "not a regular file (a directory)");
}

TEST(file_read_test, failed_system_calls_carry_their_errno) {
  zmqsec::testing::temp_dir dir;
  std::filesystem::create_symlink("loop-b", dir / "loop-a");
  std::filesystem::create_symlink("loop-a", dir / "loop-b");
  try {
    read_regular_file<std::string>(dir / "loop-a", 100);
    FAIL() << "a symlink loop was read";
  } catch (const file_read_error& e) {
    EXPECT_EQ(e.code(), std::errc::too_many_symbolic_link_levels);
    EXPECT_TRUE(zmqsec::is_io_error(e));
  }
  EXPECT_EQ(refusal(dir / "missing"), "cannot open: No such file or directory");
}

}  // namespace
