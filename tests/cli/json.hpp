// A strict JSON (RFC 8259) reader for tests: checks that a tool's output is valid JSON and gives
// access to its values.
//
//   auto doc = zmqsec::testing::parse_json(R"({"a": [1, "x"]})");
//   EXPECT_EQ(doc.at("a").array.at(1).string, "x");
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace zmqsec::testing {

struct json_value {
  enum class kind { null, boolean, number, string, array, object };
  kind type = kind::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<json_value> array;
  std::vector<std::pair<std::string, json_value>> object;  ///< in document order

  /// The member with this name; throws std::out_of_range if there is none or this is no object.
  const json_value& at(std::string_view name) const {
    for (const auto& [key, value] : object) {
      if (key == name) return value;
    }
    throw std::out_of_range("no JSON member " + std::string(name));
  }
};

namespace detail {

class json_parser {
 public:
  explicit json_parser(std::string_view text) : text_(text) {}

  json_value document() {
    json_value value = parse_value(0);
    skip_space();
    if (pos_ != text_.size()) error("text after the value");
    return value;
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    throw std::runtime_error("invalid JSON at offset " + std::to_string(pos_) + ": " + what);
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void expect(char c) {
    if (peek() != c) error(std::string("expected '") + c + "'");
    ++pos_;
  }
  void skip_space() {
    while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
      ++pos_;
  }
  bool take(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  json_value parse_value(int depth) {
    if (depth > 100) error("nesting too deep");
    skip_space();
    json_value v;
    const char c = peek();
    if (c == '{') {
      v.type = json_value::kind::object;
      parse_object(v, depth);
    } else if (c == '[') {
      v.type = json_value::kind::array;
      parse_array(v, depth);
    } else if (c == '"') {
      v.type = json_value::kind::string;
      v.string = parse_string();
    } else if (take("true")) {
      v.type = json_value::kind::boolean;
      v.boolean = true;
    } else if (take("false")) {
      v.type = json_value::kind::boolean;
    } else if (take("null")) {
      v.type = json_value::kind::null;
    } else {
      v.type = json_value::kind::number;
      v.number = parse_number();
    }
    return v;
  }

  void parse_object(json_value& v, int depth) {
    expect('{');
    skip_space();
    if (peek() == '}') {
      ++pos_;
      return;
    }
    for (;;) {
      skip_space();
      std::string key = parse_string();
      skip_space();
      expect(':');
      v.object.emplace_back(std::move(key), parse_value(depth + 1));
      skip_space();
      if (peek() == '}') {
        ++pos_;
        return;
      }
      expect(',');
    }
  }

  void parse_array(json_value& v, int depth) {
    expect('[');
    skip_space();
    if (peek() == ']') {
      ++pos_;
      return;
    }
    for (;;) {
      v.array.push_back(parse_value(depth + 1));
      skip_space();
      if (peek() == ']') {
        ++pos_;
        return;
      }
      expect(',');
    }
  }

  double parse_number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t from = pos_;
      while (peek() >= '0' && peek() <= '9') ++pos_;
      return pos_ - from;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      error("expected a value");
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) error("expected digits after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) error("expected exponent digits");
    }
    return std::strtod(std::string(text_.substr(start, pos_ - start)).c_str(), nullptr);
  }

  unsigned hex4() {
    unsigned value = 0;
    for (int i = 0; i < 4; ++i, ++pos_) {
      const char c = peek();
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        error("bad \\u escape");
      }
    }
    return value;
  }

  static void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Copies one UTF-8 encoded character from the text, rejecting malformed sequences.
  void copy_utf8(std::string& out) {
    const auto b0 = static_cast<unsigned char>(peek());
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) length = 2;
    if (b0 >= 0xE0 && b0 <= 0xEF) length = 3;
    if (b0 >= 0xF0 && b0 <= 0xF4) length = 4;
    if (b0 == 0xE0) low = 0xA0;
    if (b0 == 0xED) high = 0x9F;
    if (b0 == 0xF0) low = 0x90;
    if (b0 == 0xF4) high = 0x8F;
    if (length == 0 || pos_ + length > text_.size()) error("invalid UTF-8");
    for (std::size_t k = 1; k < length; ++k) {
      const auto b = static_cast<unsigned char>(text_[pos_ + k]);
      if (b < (k == 1 ? low : 0x80) || b > (k == 1 ? high : 0xBF)) error("invalid UTF-8");
    }
    out.append(text_.substr(pos_, length));
    pos_ += length;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (at_end()) error("unterminated string");
      const auto c = static_cast<unsigned char>(peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c < 0x20) error("raw control character in string");
      if (c >= 0x80) {
        copy_utf8(out);
        continue;
      }
      ++pos_;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      const char e = peek();
      ++pos_;
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (!take("\\u")) error("lone high surrogate");
            const unsigned low = hex4();
            if (low < 0xDC00 || low > 0xDFFF) error("bad low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            error("lone low surrogate");
          }
          append_utf8(out, cp);
          break;
        }
        default:
          error("bad escape");
      }
    }
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

}  // namespace detail

/// Parses one JSON document (surrounding whitespace allowed); throws std::runtime_error.
inline json_value parse_json(std::string_view text) {
  return detail::json_parser(text).document();
}

}  // namespace zmqsec::testing
