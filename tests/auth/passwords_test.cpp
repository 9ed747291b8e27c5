// PLAIN password tables: the file format, errors with line numbers, argon2 hashes, checks.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <vector>

#include <zmqsec/auth/passwords.hpp>

#include "temp_dir.hpp"

namespace za = zmqsec::auth;
using za::password_check;

namespace {

// An argon2id hash at libsodium's minimum limits (fast enough for tests).
std::string make_hash(std::string_view password) {
  if (sodium_init() < 0) throw std::runtime_error("sodium_init");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_MIN,
                        crypto_pwhash_MEMLIMIT_MIN) != 0) {
    throw std::runtime_error("crypto_pwhash_str");
  }
  return out;
}

// The line of a password_file_error thrown by parse(text), or 0 if it did not throw.
std::size_t error_line(std::string_view text, std::string* message = nullptr) {
  try {
    za::password_table::parse(text, "users.txt");
  } catch (const za::password_file_error& e) {
    if (message) *message = e.what();
    EXPECT_EQ(e.path(), "users.txt");
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_argument);
    return e.line();
  }
  return 0;
}

}  // namespace

TEST(password_table, from_list_and_map) {
  za::password_table users{{"admin", "secret"}, {"ops", ""}};
  EXPECT_EQ(users.size(), 2u);
  EXPECT_EQ(users.check("admin", "secret"), password_check::ok);
  EXPECT_EQ(users.check("admin", "Secret"), password_check::wrong_password);
  EXPECT_EQ(users.check("admin", "secret "), password_check::wrong_password);
  EXPECT_EQ(users.check("admin", "secre"), password_check::wrong_password);
  EXPECT_EQ(users.check("admin", ""), password_check::wrong_password);
  EXPECT_EQ(users.check("ops", ""), password_check::ok);
  EXPECT_EQ(users.check("nobody", "secret"), password_check::unknown_user);
  EXPECT_EQ(users.check("Admin", "secret"), password_check::unknown_user);
  EXPECT_TRUE(users.contains("ops"));

  std::map<std::string, std::string> map{{"a", "1"}, {"b", "2"}};
  za::password_table from_map = map;
  EXPECT_EQ(from_map.check("b", "2"), password_check::ok);
  std::vector<std::pair<std::string, std::string>> pairs{{"x", "y"}};
  za::password_table from_pairs(pairs);
  EXPECT_EQ(from_pairs.check("x", "y"), password_check::ok);

  za::password_table empty;
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.check("", ""), password_check::unknown_user);
}

TEST(password_table, a_stamp_tells_whether_a_users_line_changed_between_tables) {
  const za::password_table before{{"alice", "wonderland"}, {"bob", "builder"}};
  const za::password_table after =
      za::password_table::parse("bob=builder\nalice=looking-glass\ncarol=x\n");
  ASSERT_TRUE(before.stamp("alice") && after.stamp("alice"));
  EXPECT_NE(*before.stamp("alice"), *after.stamp("alice"));  // the password changed
  EXPECT_EQ(before.stamp("bob"), after.stamp("bob"));        // the same line in another table
  EXPECT_FALSE(before.stamp("carol"));                       // unknown
  EXPECT_NE(before.stamp("bob"), before.stamp("alice"));
}

TEST(password_table, binary_and_long_passwords) {
  const std::string binary("p\0w\xff", 4);
  const std::string longest(255, 'x');
  za::password_table users{{"bin", binary}, {"long", longest}};
  EXPECT_EQ(users.check("bin", binary), password_check::ok);
  EXPECT_EQ(users.check("bin", "p"), password_check::wrong_password);
  EXPECT_EQ(users.check("long", longest), password_check::ok);
  EXPECT_EQ(users.check("long", longest + "x"), password_check::wrong_password);
  EXPECT_THROW((za::password_table{{"u", std::string(256, 'x')}}), za::password_file_error);
}

TEST(password_table, list_errors_name_the_entry) {
  try {
    za::password_table users{{"a", "1"}, {"b", "2"}, {"a", "3"}};
    FAIL();
  } catch (const za::password_file_error& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_TRUE(e.path().empty());
    EXPECT_NE(std::string(e.what()).find("listed twice"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("entry 3:"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("first at entry 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW((za::password_table{{"", "x"}}), za::password_file_error);
}

TEST(password_file, format) {
  const std::string text =
      "# users of the test\n"
      "\n"
      "   \t\n"
      "  # indented comment\n"
      "admin=secret\n"
      "eq=a=b=c\n"
      "hash=pa#ss # not a comment\n"
      "spaces=  two leading, one trailing \n"
      "crlf=windows\r\n"
      "empty=\n"
      "last=no newline";
  auto users = za::password_table::parse(text, "users.txt");
  EXPECT_EQ(users.size(), 7u);
  EXPECT_EQ(users.check("admin", "secret"), password_check::ok);
  EXPECT_EQ(users.check("eq", "a=b=c"), password_check::ok);
  EXPECT_EQ(users.check("hash", "pa#ss # not a comment"), password_check::ok);
  EXPECT_EQ(users.check("spaces", "  two leading, one trailing "), password_check::ok);
  EXPECT_EQ(users.check("crlf", "windows"), password_check::ok);
  EXPECT_EQ(users.check("empty", ""), password_check::ok);
  EXPECT_EQ(users.check("last", "no newline"), password_check::ok);
  EXPECT_FALSE(users.contains("# users of the test"));

  EXPECT_TRUE(za::password_table::parse("").empty());
  EXPECT_TRUE(za::password_table::parse("# only comments\n\n").empty());
}

TEST(password_file, malformed_lines_report_their_number) {
  std::string message;
  EXPECT_EQ(error_line("a=1\nno equals sign\nb=2\n", &message), 2u);
  EXPECT_NE(message.find("users.txt:2:"), std::string::npos) << message;
  EXPECT_EQ(error_line("a=1\n\n# c\n=nouser\n"), 4u);
  EXPECT_EQ(error_line(" a=1\n"), 1u);
  EXPECT_EQ(error_line("a =1\n"), 1u);
  EXPECT_EQ(error_line("a\tb=1\n"), 1u);  // control character in the user name
  EXPECT_EQ(error_line(std::string(256, 'u') + "=1\n"), 1u);
  EXPECT_EQ(error_line("u=" + std::string(256, 'p') + "\n"), 1u);
  EXPECT_EQ(error_line("u=$argon2id$garbage\n"), 1u);
  EXPECT_EQ(error_line("u=$argon2i$v=19$m=8,t=1,p=1$c2FsdA$aGFzaA\n"), 1u);
  EXPECT_EQ(error_line("a=1\nb=2\na=3\n", &message), 3u);
  EXPECT_NE(message.find("line 1"), std::string::npos) << message;
  EXPECT_EQ(error_line("a=1\nb=2\n"), 0u);
}

TEST(password_file, errors_never_show_passwords) {
  std::string message;
  EXPECT_EQ(error_line("a=hunter2\na=swordfish\n", &message), 2u);
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
  EXPECT_EQ(message.find("swordfish"), std::string::npos);
  EXPECT_EQ(error_line("a=$argon2id$v=19$m=65536,t=2,p=1$notreally\n", &message), 1u);
  EXPECT_EQ(message.find("notreally"), std::string::npos) << message;
}

TEST(password_file, argon2_hashes) {
  const std::string hash = make_hash("correct horse");
  ASSERT_TRUE(hash.starts_with("$argon2id$"));
  auto users = za::password_table::parse("# hashed\nops=" + hash + "\nplain=text\n", "f");
  EXPECT_EQ(users.check("ops", "correct horse"), password_check::ok);
  EXPECT_EQ(users.check("ops", "wrong horse"), password_check::wrong_password);
  EXPECT_EQ(users.check("ops", hash), password_check::wrong_password);  // the hash is no password
  EXPECT_EQ(users.check("plain", "text"), password_check::ok);
  EXPECT_EQ(users.check("ghost", "correct horse"), password_check::unknown_user);

  za::password_table from_list{{"ops", hash}};
  EXPECT_EQ(from_list.check("ops", "correct horse"), password_check::ok);
}

TEST(password_file, argon2_hashes_too_costly_to_verify_are_refused) {
  const std::string hash = make_hash("x");
  const auto m = hash.find("$m=");
  const auto comma = hash.find(',', m);
  ASSERT_NE(m, std::string::npos);
  std::string huge_memory = hash;
  huge_memory.replace(m + 3, comma - m - 3, "2097152");  // 2 GiB
  std::string message;
  EXPECT_EQ(error_line("u=" + huge_memory + "\n", &message), 1u);
  EXPECT_NE(message.find("too costly"), std::string::npos) << message;
  std::string many_passes = hash;
  const auto t = many_passes.find(",t=");
  many_passes.replace(t + 3, many_passes.find(',', t + 1) - t - 3, "17");
  EXPECT_EQ(error_line("u=" + many_passes + "\n"), 1u);
  std::string fine = hash;
  fine.replace(m + 3, comma - m - 3, "1048576");  // 1 GiB: accepted (not verified here)
  EXPECT_EQ(error_line("u=" + fine + "\n"), 0u);
}

TEST(password_file, load_from_disk) {
  zmqsec::testing::temp_dir dir;
  auto file = dir.write("passwords", "admin=secret\n# x\nops=a=b\n");
  auto users = za::load_password_file(file);
  EXPECT_EQ(users.check("admin", "secret"), password_check::ok);
  EXPECT_EQ(users.check("ops", "a=b"), password_check::ok);

  auto bad = dir.write("bad", "admin=secret\nbroken\n");
  try {
    za::load_password_file(bad);
    FAIL();
  } catch (const za::password_file_error& e) {
    EXPECT_EQ(e.path(), bad);
    EXPECT_EQ(e.line(), 2u);
    EXPECT_FALSE(zmqsec::is_io_error(e));
  }
}

TEST(password_file, unreadable_files) {
  zmqsec::testing::temp_dir dir;
  try {
    za::load_password_file(dir / "missing");
    FAIL();
  } catch (const za::password_file_error& e) {
    EXPECT_TRUE(zmqsec::is_io_error(e));
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(e.line(), 0u);
  }
  EXPECT_THROW(za::load_password_file(dir.path()), za::password_file_error);  // a folder
  auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THROW(za::load_password_file(fifo), za::password_file_error);  // and no hang
  if (::geteuid() != 0) {
    auto locked = dir.write("locked", "a=b\n");
    ::chmod(locked.c_str(), 0);
    try {
      za::load_password_file(locked);
      FAIL();
    } catch (const za::password_file_error& e) {
      EXPECT_EQ(e.code(), std::errc::permission_denied);
    }
  }
}

TEST(password_table, copies_share_and_stay_valid) {
  za::password_table copy;
  {
    za::password_table users{{"a", "b"}};
    copy = users;
  }
  EXPECT_EQ(copy.check("a", "b"), password_check::ok);
  EXPECT_EQ(za::to_string(password_check::wrong_password), "wrong password");
}
