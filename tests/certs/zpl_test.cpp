#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <zmqsec/certs/zpl.hpp>
#include "temp_dir.hpp"

namespace zc = zmqsec::certs;

namespace {

// Returns the reason of the zpl_error text raises, and checks its line number.
std::string zpl_failure(std::string_view text, std::size_t expected_line) {
  try {
    zc::parse_zpl(text, "test.zpl");
  } catch (const zc::zpl_error& e) {
    EXPECT_EQ(e.line(), expected_line) << e.what();
    EXPECT_EQ(e.source(), "test.zpl");
    EXPECT_EQ(e.code(), zmqsec::errc::invalid_zpl);
    return e.reason();
  }
  ADD_FAILURE() << "no error for:\n" << text;
  return {};
}

}  // namespace

TEST(zpl, parses_the_rfc4_example) {
  const char* text =
      "#   ZPL configuration file example\n"
      "#   This format is designed to be trivial to write and parse\n"
      "#\n"
      "context\n"
      "    iothreads = 1\n"
      "    verbose = 1      #   Ask for a trace\n"
      "main\n"
      "    type = zqueue    #  ZMQ_DEVICE type\n"
      "    frontend\n"
      "        option\n"
      "            hwm = 1000\n"
      "            swap = 25000000     #  25MB\n"
      "        bind = 'inproc://addr1'\n"
      "        bind = 'ipc://addr2'\n"
      "    backend\n"
      "        bind = inproc://addr3\n";
  auto root = zc::parse_zpl(text);
  EXPECT_EQ(root.value_at("context/iothreads"), "1");
  EXPECT_EQ(root.value_at("context/verbose"), "1");
  EXPECT_EQ(root.value_at("main/type"), "zqueue");
  EXPECT_EQ(root.value_at("main/frontend/option/swap"), "25000000");
  EXPECT_EQ(root.value_at("main/backend/bind"), "inproc://addr3");
  const auto* frontend = root.find("main/frontend");
  ASSERT_NE(frontend, nullptr);
  ASSERT_EQ(frontend->children.size(), 3u);
  EXPECT_EQ(frontend->children[1].value, "inproc://addr1");
  EXPECT_EQ(frontend->children[2].value, "ipc://addr2");
  EXPECT_EQ(root.value_at("main/missing", "fallback"), "fallback");
}

TEST(zpl, reads_quoted_values_with_spaces_and_hashes) {
  auto root = zc::parse_zpl("a = \"x # y\"   # comment\nb = 'say \"hi\"'\nc = \"\"\n");
  EXPECT_EQ(root.value_at("a"), "x # y");
  EXPECT_EQ(root.value_at("b"), "say \"hi\"");
  EXPECT_EQ(root.value_at("c"), "");
}

TEST(zpl, reads_unquoted_values_with_spaces_as_pyzmq_writes_them) {
  auto root = zc::parse_zpl("metadata\n    name = my server  \n    role = api # comment\n");
  EXPECT_EQ(root.value_at("metadata/name"), "my server");
  EXPECT_EQ(root.value_at("metadata/role"), "api");
}

TEST(zpl, accepts_crlf_and_cr_line_endings) {
  auto root = zc::parse_zpl("a\r\n    b = 1\r    c = 2\r\n");
  EXPECT_EQ(root.value_at("a/b"), "1");
  EXPECT_EQ(root.value_at("a/c"), "2");
}

TEST(zpl, reports_bad_indentation_with_line) {
  EXPECT_EQ(zpl_failure("a\n  b = 1\n", 2), "indentation of 2 spaces is not a multiple of four");
  EXPECT_EQ(zpl_failure("a\n        b = 1\n", 2), "indented more than one level below its parent");
  EXPECT_EQ(zpl_failure("    a = 1\n", 1), "indented more than one level below its parent");
  EXPECT_EQ(zpl_failure("a\n\tb = 1\n", 2), "tab in indentation (use four spaces)");
}

TEST(zpl, reports_bad_names_and_values_with_line) {
  EXPECT_EQ(zpl_failure("ok = 1\n= 2\n", 2), "invalid character at start of name");
  EXPECT_EQ(zpl_failure("a b\n", 1), "unexpected text after name 'a' (expected '=')");
  EXPECT_EQ(zpl_failure("\n\na = \"open\n", 3), "unterminated quoted value");
  EXPECT_EQ(zpl_failure("a = \"x\" y\n", 1), "unexpected text after quoted value");
  EXPECT_EQ(zpl_failure(std::string(256, 'n') + " = 1\n", 1), "name longer than 255 characters");
}

TEST(zpl, error_message_carries_file_line_and_reason) {
  try {
    zc::parse_zpl("a\n  b\n", "conf/app.zpl");
    FAIL();
  } catch (const zc::zpl_error& e) {
    EXPECT_STREQ(e.what(), "conf/app.zpl:2: indentation of 2 spaces is not a multiple of four");
  }
}

TEST(zpl, entries_come_in_document_order_with_paths) {
  std::vector<std::string> seen;
  zc::for_each_zpl_entry("a\n    b = 1\n    c\n        d = x\ne = 2\n", "t",
                         [&](const zc::zpl_entry& e) {
                           seen.push_back(std::string(e.path) + "=" + std::string(e.value) + "@" +
                                          std::to_string(e.line));
                         });
  EXPECT_EQ(seen, (std::vector<std::string>{"a=@1", "a/b=1@2", "a/c=@3", "a/c/d=x@4", "e=2@5"}));
}

TEST(zpl, writer_output_parses_back_to_the_same_tree) {
  zc::zpl_node root;
  auto& meta = root.add("metadata");
  meta.add("name", "my server");
  meta.add("quote", "say \"hi\"");
  meta.add("empty-section");
  root.add("curve").add("public-key", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
  std::string text = zc::to_zpl(root);
  EXPECT_EQ(text,
            "metadata\n"
            "    name = \"my server\"\n"
            "    quote = 'say \"hi\"'\n"
            "    empty-section\n"
            "curve\n"
            "    public-key = \"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7\"\n");
  EXPECT_EQ(zc::parse_zpl(text), root);
}

TEST(zpl, writer_refuses_what_cannot_be_read_back) {
  zc::zpl_node bad_name;
  bad_name.add("has space", "x");
  EXPECT_THROW(zc::to_zpl(bad_name), zmqsec::error);
  zc::zpl_node both_quotes;
  both_quotes.add("a", "it's \"x\"");
  EXPECT_THROW(zc::to_zpl(both_quotes), zmqsec::error);
  zc::zpl_node line_break;
  line_break.add("a", "x\ny = 1");
  EXPECT_THROW(zc::to_zpl(line_break), zmqsec::error);
}

TEST(zpl, load_reports_missing_file_as_io_error) {
  zmqsec::testing::temp_dir dir;
  try {
    zc::load_zpl(dir / "missing.zpl");
    FAIL();
  } catch (const zmqsec::error& e) {
    EXPECT_TRUE(zmqsec::is_io_error(e));
    EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  }
  auto file = dir.write("ok.zpl", "a = 1\n");
  EXPECT_EQ(zc::load_zpl(file).value_at("a"), "1");
}

TEST(zpl, names_accept_exactly_the_rfc_characters) {
  EXPECT_TRUE(zc::is_valid_zpl_name("a-Z_0$@.&+/"));
  EXPECT_FALSE(zc::is_valid_zpl_name(""));
  EXPECT_FALSE(zc::is_valid_zpl_name("a=b"));
  EXPECT_FALSE(zc::is_valid_zpl_name("a#"));
  EXPECT_FALSE(zc::is_valid_zpl_name(std::string(256, 'a')));
}
