// A followed folder's changes between full builds: laid over the last full table (layered_table)
// while that is exact, and built in full again past cert_model::max_pending changes or when
// duplicate keys are involved. Whatever the layering, a snapshot reads as the full table would.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cert_model.hpp"
#include "layered_table.hpp"

namespace zc = zmqsec::certs;
namespace zd = zmqsec::certs::detail;

namespace {

zc::public_key random_key() {
  unsigned char raw[zc::key_size];
  randombytes_buf(raw, sizeof raw);
  return zc::public_key::from_bytes(raw);
}

std::string file_name(std::size_t i) {
  char name[32];
  std::snprintf(name, sizeof name, "client-%06zu.key", i);
  return name;
}

// A model of files client-000000.key ... each with a key of its own.
struct folder {
  explicit folder(std::size_t files) {
    zd::change_set all;
    for (std::size_t i = 0; i < files; ++i) {
      keys.push_back(random_key());
      all.add_loaded(file_name(i), keys.back(), {{"name", std::to_string(i)}});
    }
    all.finish();
    model.apply(all, true);
  }

  bool change(zd::change_set changes) { return model.apply_incremental(changes); }
  bool layered() const {
    return std::dynamic_pointer_cast<const zd::layered_table>(model.published()) != nullptr;
  }
  bool contains(const zc::public_key& key) const {
    return model.published()->find_id(key.data()) != zd::key_table::no_entry;
  }
  // The file names of the listing, in order.
  std::vector<std::string> listing() const {
    const auto table = model.published();
    std::vector<std::string> names;
    for (std::size_t i = 0; i < table->size(); ++i) {
      names.emplace_back(table->source_name(table->id_at(i)));
    }
    return names;
  }

  std::vector<zc::public_key> keys;
  zd::cert_model model{false};
};

}  // namespace

TEST(layered_table, applies_a_file_added_changed_or_removed_over_the_full_table) {
  folder f(2000);
  const auto added = random_key();
  zd::change_set add;
  add.add_loaded("client-000500a.key", added, {{"name", "new"}});
  ASSERT_TRUE(f.change(std::move(add)));
  EXPECT_TRUE(f.layered());
  EXPECT_TRUE(f.contains(added));
  EXPECT_EQ(f.model.size(), 2001u);

  zd::change_set remove;
  remove.add_absent(file_name(7));
  ASSERT_TRUE(f.change(std::move(remove)));
  EXPECT_FALSE(f.contains(f.keys[7]));
  EXPECT_FALSE(f.model.has_file(file_name(7)));

  const auto replacement = random_key();
  zd::change_set rekey;
  rekey.add_loaded(file_name(9), replacement, {});
  ASSERT_TRUE(f.change(std::move(rekey)));
  EXPECT_FALSE(f.contains(f.keys[9]));
  EXPECT_TRUE(f.contains(replacement));
  EXPECT_TRUE(f.contains(f.keys[1999]));
  EXPECT_TRUE(f.layered());
  EXPECT_EQ(f.model.size(), 2000u);

  // Listed in file name order, as a full table lists them.
  auto names = f.listing();
  ASSERT_EQ(names.size(), 2000u);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_EQ(names[7], file_name(8));
  EXPECT_EQ(names[500], "client-000500a.key");
  const auto table = f.model.published();
  const auto id = table->find_id(added.data());
  std::string meta;
  table->visit_meta(
      id,
      [](void* out, std::string_view, std::string_view v) { *static_cast<std::string*>(out) = v; },
      &meta);
  EXPECT_EQ(meta, "new");
}

TEST(layered_table, changes_nothing_for_a_file_read_again_unchanged) {
  folder f(300);
  zd::change_set same;
  same.add_loaded(file_name(3), f.keys[3], {{"name", "3"}});
  EXPECT_FALSE(f.change(std::move(same)));
  EXPECT_FALSE(f.layered());
}

TEST(layered_table, builds_in_full_for_a_duplicate_key_and_reports_it) {
  folder f(300);
  zd::change_set copy;
  copy.add_loaded("client-000001b.key", f.keys[1], {});
  ASSERT_TRUE(f.change(std::move(copy)));
  EXPECT_FALSE(f.layered());
  EXPECT_EQ(f.model.size(), 300u);
  const auto problems = f.model.problems("/certs", "");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].path, "/certs/client-000001b.key");
}

TEST(layered_table, merges_past_the_pending_limit_and_stays_exact) {
  folder f(1000);
  const std::size_t limit = zd::cert_model::max_pending(1000);
  std::vector<zc::public_key> added;
  for (std::size_t i = 0; i <= limit; ++i) {
    added.push_back(random_key());
    zd::change_set one;
    one.add_loaded("new-" + std::to_string(i) + ".key", added.back(), {});
    ASSERT_TRUE(f.change(std::move(one)));
    EXPECT_TRUE(f.layered()) << i;  // the change itself is laid over, whatever is pending
    EXPECT_EQ(f.model.merge_due(), i + 1 > limit) << i;
  }
  const auto before = f.model.published();
  f.model.merge();
  EXPECT_FALSE(f.layered());
  EXPECT_FALSE(f.model.merge_due());
  for (const auto* table : {before.get(), f.model.published().get()}) {
    for (const auto& key : added) EXPECT_NE(table->find_id(key.data()), zd::key_table::no_entry);
    for (const auto& key : f.keys) EXPECT_NE(table->find_id(key.data()), zd::key_table::no_entry);
    EXPECT_EQ(table->size(), 1000u + limit + 1);
  }
  const auto names = f.listing();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(layered_table, builds_a_large_batch_in_full_at_once) {
  folder f(1000);
  zd::change_set many;
  const std::size_t count = 4 * zd::cert_model::max_pending(1000) + 1;
  for (std::size_t i = 0; i < count; ++i) {
    many.add_loaded("new-" + std::to_string(i) + ".key", random_key(), {});
  }
  ASSERT_TRUE(f.change(std::move(many)));
  EXPECT_FALSE(f.layered());
  EXPECT_EQ(f.model.size(), 1000u + count);
}
