#include <gtest/gtest.h>
#include <zmqsec/core/no_core_dumps.hpp>

namespace {

using zmqsec::core::no_core_dumps;

TEST(no_core_dumps_test, the_process_is_not_dumpable_while_a_guard_lives) {
  ASSERT_TRUE(no_core_dumps::process_dumpable());
  {
    no_core_dumps outer;
    EXPECT_FALSE(no_core_dumps::process_dumpable());
    {
      no_core_dumps inner;
      EXPECT_FALSE(no_core_dumps::process_dumpable());
    }
    EXPECT_FALSE(no_core_dumps::process_dumpable());  // the outer guard still holds
  }
  EXPECT_TRUE(no_core_dumps::process_dumpable());
}

}  // namespace
