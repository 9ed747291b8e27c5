// The table behind an authorized-keys file's snapshots (certs/src/keys_file_table.hpp): every
// key found with its own metadata, listed once, absent keys refused, the all-zero key a key like
// any other, a shard exact when it is as full as it may be.
#include <gtest/gtest.h>
#include <sodium.h>

#include <set>
#include <string>
#include <vector>

#include <zmqsec/certs/cert_store.hpp>
#include <zmqsec/error.hpp>

#include "keys_file_table.hpp"
#include "random_keys.hpp"
#include "temp_dir.hpp"

namespace zc = zmqsec::certs;
namespace zd = zmqsec::certs::detail;

namespace {

using zmqsec::testing::lines_of;
using zmqsec::testing::random_key;
using zmqsec::testing::random_keys;

const zc::public_key zero_key{};  // 32 zero bytes: the bytes of an empty slot

}  // namespace

TEST(keys_file_table, finds_every_key_of_a_large_file_with_its_own_metadata_and_lists_it_once) {
  zmqsec::testing::temp_dir dir;
  const auto keys = random_keys(60000);  // about 234 keys a shard
  const auto file = dir.write("clients.keys", lines_of(keys));
  auto store = zc::cert_store::from_authorized_keys(file, {.follow = false, .on_change = {}});
  const auto snapshot = store.current();
  ASSERT_EQ(snapshot->size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto cert = snapshot->find(keys[i]);
    ASSERT_TRUE(cert) << "line " << i + 1;
    EXPECT_EQ(cert->meta("name"), "device-" + std::to_string(i));
  }
  std::set<std::string> listed;
  for (std::size_t i = 0; i < snapshot->size(); ++i) listed.insert(snapshot->at(i).key().z85());
  EXPECT_EQ(listed.size(), keys.size());
  EXPECT_EQ(listed.count(keys.front().z85()) + listed.count(keys.back().z85()), 2u);
  for (const auto& absent : random_keys(10000)) EXPECT_FALSE(snapshot->contains(absent));
}

TEST(keys_file_table, the_all_zero_key_is_found_only_when_its_line_is_there) {
  zmqsec::testing::temp_dir dir;
  const auto other = random_key();
  auto with = zc::cert_store::from_authorized_keys(
      dir.write("with.keys", zero_key.z85() + " name=zero\n" + other.z85() + "\n"),
      {.follow = false, .on_change = {}});
  const auto cert = with.current()->find(zero_key);
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->meta("name"), "zero");
  EXPECT_TRUE(with.contains(other));

  auto without = zc::cert_store::from_authorized_keys(dir.write("without.keys", other.z85() + "\n"),
                                                      {.follow = false, .on_change = {}});
  EXPECT_FALSE(without.contains(zero_key));
  EXPECT_TRUE(without.contains(other));
}

TEST(key_shard, finds_every_key_when_as_full_as_it_may_be_and_refuses_one_more) {
  for (const std::size_t capacity : {0u, 1u, 7u, 8u, 700u}) {
    zd::key_shard shard(capacity);
    const auto keys = random_keys(capacity);
    for (std::size_t i = 0; i < capacity; ++i) {
      ASSERT_EQ(shard.add(keys[i], i % 2 == 0 ? std::string_view("\x01\x01n\x01v", 5) : ""),
                zd::key_table::no_entry);
    }
    EXPECT_EQ(shard.size(), capacity);
    for (std::size_t i = 0; i < capacity; ++i) {
      const std::uint32_t slot = shard.find(keys[i].data());
      ASSERT_NE(slot, zd::key_table::no_entry) << capacity << " keys, key " << i;
      EXPECT_EQ(shard.key_at(slot), keys[i]);
      EXPECT_EQ(shard.slot_at(i), slot);
      EXPECT_EQ(shard.meta_of(slot).empty(), i % 2 != 0);
      EXPECT_EQ(shard.add(keys[i], ""), slot);  // already there: its slot, nothing added
    }
    // An absent key ends its search on a group with a free slot, however full the shard.
    for (const auto& absent : random_keys(1000)) {
      EXPECT_EQ(shard.find(absent.data()), zd::key_table::no_entry);
    }
    EXPECT_EQ(shard.find(zero_key.data()), zd::key_table::no_entry);
    EXPECT_THROW(shard.add(random_key(), ""), zmqsec::error);
  }
}
