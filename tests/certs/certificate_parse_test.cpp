// The fast reader of plain public certificates (certs/src/certificate_parse.hpp) against the
// general ZPL reader: it takes the layouts tools write, leaves everything else to the general
// reader, and wherever it takes a text it reads what the general reader reads.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <zmqsec/certs/certificate.hpp>
#include "certificate_parse.hpp"
#include "temp_dir.hpp"

namespace zc = zmqsec::certs;
namespace zd = zmqsec::certs::detail;
using zmqsec::testing::read_file;
using zmqsec::testing::temp_dir;

namespace {

constexpr const char* server_public = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

// What the general reader makes of text: the key and metadata, or the error message.
std::string full_reading(std::string_view text) {
  try {
    const zc::certificate cert = zd::parse_certificate_fully(text, "x.key");
    std::string out = cert.public_key.z85() + (cert.secret_key ? " +secret" : "");
    for (const auto& [name, value] : cert.metadata) out += "|" + name + "=" + value;
    return out;
  } catch (const zmqsec::error& e) {
    return std::string("error: ") + e.what();
  }
}

// What the fast reader makes of text, in the same terms; empty when it leaves the text alone.
std::string fast_reading(std::string_view text) {
  zc::certificate cert;
  if (!zd::parse_plain_public_certificate(text, cert)) return {};
  std::string out = cert.public_key.z85() + (cert.secret_key ? " +secret" : "");
  for (const auto& [name, value] : cert.metadata) out += "|" + name + "=" + value;
  return out;
}

std::string bench_layout() {
  return "#   ZeroMQ CURVE Public Certificate\ncurve\n    public-key = \"" +
         std::string(server_public) + "\"\n";
}

// pyzmq writes metadata values bare, and a comment banner.
std::string pyzmq_layout() {
  return "#   ****  Generated on 2026-01-01 00:00:00 by pyzmq  ****\n"
         "#   ZeroMQ CURVE Public Certificate\n\nmetadata\n    name = ops team\n"
         "    site = 'north'\ncurve\n    public-key = \"" +
         std::string(server_public) + "\"\n";
}

}  // namespace

TEST(certificate_parse, the_fast_reader_takes_the_layouts_that_tools_write) {
  temp_dir dir;
  const auto files = zc::create_certificates(dir.path(), "server", {{"name", "a b"}, {"e", ""}});
  const std::string ours = read_file(files.public_file);
  const std::vector<std::string> texts{ours, bench_layout(), pyzmq_layout(),
                                       bench_layout().substr(0, bench_layout().size() - 1)};
  for (const auto& text : texts) {
    EXPECT_NE(fast_reading(text), "") << text;
    EXPECT_EQ(fast_reading(text), full_reading(text)) << text;
  }
  EXPECT_EQ(fast_reading(pyzmq_layout()), std::string(server_public) + "|name=ops team|site=north");
}

TEST(certificate_parse, the_fast_reader_leaves_everything_else_to_the_general_reader) {
  const std::string key = server_public;
  temp_dir dir;
  const auto files = zc::create_certificates(dir.path(), "server");
  const std::vector<std::string> texts{
      read_file(files.secret_file),                       // a secret key
      "curve\r\n    public-key = \"" + key + "\"\r\n",    // CR LF
      "curve\n\tpublic-key = \"" + key + "\"\n",          // a tab
      "curve\n  public-key = \"" + key + "\"\n",          // two spaces
      "curve\n    public-key = \"" + key + "\" # why\n",  // a comment after
      "curve\n    public-key = \"" + key + "\" \n",       // a trailing space
      "curve\n    public-key =  \"" + key + "\"\n",       // two spaces after '='
      "curve\n    public-key = \"" + key + "\"\n    public-key = \"" + key + "\"\n",
      "curve\n    public-key = \"" + key + "\"\n    other = \"1\"\n",  // another curve entry
      "curve\n    public-key = \"" + key.substr(1) + "~\"\n",          // not Z85
      "curve\n    public-key = \"" + key.substr(1) + "\"\n",           // 39 characters
      "    public-key = \"" + key + "\"\n",                            // no section
      "other\n    public-key = \"" + key + "\"\n",                     // another section
      "metadata\n    a = \"1\"\n        b = \"2\"\ncurve\n    public-key = \"" + key + "\"\n",
      "metadata\n    a = x # c\ncurve\n    public-key = \"" + key + "\"\n",
      "metadata\n    a:b = x\ncurve\n    public-key = \"" + key + "\"\n",
      "metadata\n",  // no key
      "",
  };
  for (const auto& text : texts) {
    EXPECT_EQ(fast_reading(text), "") << text;
    // parse_certificate still reads it as the general reader does.
    std::string through_the_front;
    try {
      const auto cert = zc::parse_certificate(text, "x.key");
      through_the_front = cert.public_key.z85() + (cert.secret_key ? " +secret" : "");
      for (const auto& [name, value] : cert.metadata) through_the_front += "|" + name + "=" + value;
    } catch (const zmqsec::error& e) {
      through_the_front = std::string("error: ") + e.what();
    }
    EXPECT_EQ(through_the_front, full_reading(text)) << text;
  }
}

TEST(certificate_parse, the_fast_reader_never_reads_a_text_otherwise_than_the_general_reader) {
  // Every text one edit away from the plain layouts: a character inserted, replaced or removed,
  // with the characters that matter to ZPL.
  const std::string alphabet = std::string(" \t#\"'=\n\r/a-", 11) + std::string(1, '\0');
  std::size_t taken = 0;
  std::size_t tried = 0;
  for (const std::string& base : {bench_layout(), pyzmq_layout()}) {
    for (std::size_t at = 0; at <= base.size(); ++at) {
      std::vector<std::string> edits;
      if (at < base.size()) edits.push_back(std::string(base).erase(at, 1));
      for (char c : alphabet) {
        edits.push_back(std::string(base).insert(at, 1, c));
        if (at < base.size()) edits.push_back(std::string(base).replace(at, 1, 1, c));
      }
      for (const auto& text : edits) {
        ++tried;
        const std::string fast = fast_reading(text);
        if (fast.empty()) continue;
        ++taken;
        ASSERT_EQ(fast, full_reading(text)) << text;
      }
    }
  }
  // Both readers agreed on many texts the fast one took, not only on ones it left alone.
  EXPECT_GT(taken, tried / 10);
}
