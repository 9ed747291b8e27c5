// ZPL reader and writer (ZeroMQ RFC 4).
//
// Reading is strict about structure (indentation in steps of four spaces, no tabs, valid names,
// closed quotes, nothing after a quoted value but a comment) and lenient about one thing real
// files do: pyzmq writes metadata values unquoted even when they contain spaces, so an unquoted
// value runs to a comment or the end of the line, trailing whitespace trimmed.
#include <zmqsec/certs/zpl.hpp>

#include <fstream>
#include <sstream>
#include <vector>

namespace zmqsec::certs {
namespace {

constexpr std::size_t indent_step = 4;
constexpr std::size_t max_name_length = 255;

bool is_name_char(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '$':
    case '-':
    case '_':
    case '@':
    case '.':
    case '&':
    case '+':
    case '/':
      return true;
    default:
      return false;
  }
}

bool is_blank(char c) noexcept {
  return c == ' ' || c == '\t';
}

std::string_view trim_right(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

std::string_view skip_blanks(std::string_view s) noexcept {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  return s;
}

// Splits text into lines at LF, CR or CR LF.
class line_reader {
 public:
  explicit line_reader(std::string_view text) : rest_(text) {}

  bool next(std::string_view& line) {
    if (rest_.empty()) return false;
    auto end = rest_.find_first_of("\r\n");
    if (end == std::string_view::npos) {
      line = rest_;
      rest_ = {};
    } else {
      line = rest_.substr(0, end);
      std::size_t skip =
          (rest_[end] == '\r' && end + 1 < rest_.size() && rest_[end + 1] == '\n') ? 2 : 1;
      rest_.remove_prefix(end + skip);
    }
    ++number_;
    return true;
  }

  std::size_t number() const noexcept { return number_; }

 private:
  std::string_view rest_;
  std::size_t number_ = 0;
};

struct parsed_line {
  std::size_t depth = 0;
  std::string_view name;
  std::string_view value;
  bool has_value = false;
};

class line_parser {
 public:
  line_parser(std::string_view source, std::size_t line) : source_(source), line_(line) {}

  // Returns false for blank and comment lines.
  bool parse(std::string_view text, parsed_line& out) const {
    std::size_t spaces = 0;
    while (spaces < text.size() && text[spaces] == ' ') ++spaces;
    std::string_view rest = text.substr(spaces);
    if (!rest.empty() && rest.front() == '\t') fail("tab in indentation (use four spaces)");
    rest = trim_right(rest);
    if (rest.empty() || rest.front() == '#') return false;
    if (spaces % indent_step != 0) {
      fail("indentation of " + std::to_string(spaces) + " spaces is not a multiple of four");
    }
    out.depth = spaces / indent_step;

    std::size_t name_end = 0;
    while (name_end < rest.size() && is_name_char(rest[name_end])) ++name_end;
    if (name_end == 0) fail(std::string("invalid character at start of name"));
    if (name_end > max_name_length) fail("name longer than 255 characters");
    out.name = rest.substr(0, name_end);
    rest = skip_blanks(rest.substr(name_end));

    if (rest.empty() || rest.front() == '#') return true;
    if (rest.front() != '=') {
      fail("unexpected text after name '" + std::string(out.name) + "' (expected '=')");
    }
    rest = skip_blanks(rest.substr(1));
    out.has_value = true;
    out.value = parse_value(rest);
    return true;
  }

 private:
  std::string_view parse_value(std::string_view rest) const {
    if (rest.empty()) return {};
    char quote = rest.front();
    if (quote == '"' || quote == '\'') {
      auto close = rest.find(quote, 1);
      if (close == std::string_view::npos) fail("unterminated quoted value");
      std::string_view value = rest.substr(1, close - 1);
      std::string_view after = skip_blanks(rest.substr(close + 1));
      if (!after.empty() && after.front() != '#') fail("unexpected text after quoted value");
      return value;
    }
    auto comment = rest.find('#');
    return trim_right(rest.substr(0, comment));
  }

  [[noreturn]] void fail(const std::string& reason) const {
    throw zpl_error(std::string(source_), line_, reason);
  }

  std::string_view source_;
  std::size_t line_;
};

}  // namespace

zpl_error::zpl_error(std::string source, std::size_t line, std::string reason)
    : zmqsec::error(errc::invalid_zpl, source + ":" + std::to_string(line) + ": " + reason),
      source_(std::move(source)),
      line_(line),
      reason_(std::move(reason)) {}

void for_each_zpl_entry(std::string_view text, std::string_view source,
                        const std::function<void(const zpl_entry&)>& on_entry) {
  line_reader lines(text);
  std::string path;
  std::vector<std::size_t> path_ends;  // path.size() after each level's name
  std::string_view line;
  while (lines.next(line)) {
    parsed_line parsed;
    line_parser parser(source, lines.number());
    if (!parser.parse(line, parsed)) continue;
    if (parsed.depth > path_ends.size()) {
      throw zpl_error(std::string(source), lines.number(),
                      "indented more than one level below its parent");
    }
    path_ends.resize(parsed.depth);
    path.resize(path_ends.empty() ? 0 : path_ends.back());
    if (!path.empty()) path += '/';
    path += parsed.name;
    path_ends.push_back(path.size());

    zpl_entry entry;
    entry.path = path;
    entry.name = parsed.name;
    entry.value = parsed.value;
    entry.has_value = parsed.has_value;
    entry.depth = parsed.depth;
    entry.line = lines.number();
    on_entry(entry);
  }
}

const zpl_node* zpl_node::child(std::string_view wanted) const noexcept {
  for (const auto& c : children) {
    if (c.name == wanted) return &c;
  }
  return nullptr;
}

zpl_node* zpl_node::child(std::string_view wanted) noexcept {
  return const_cast<zpl_node*>(std::as_const(*this).child(wanted));
}

const zpl_node* zpl_node::find(std::string_view path) const noexcept {
  const zpl_node* node = this;
  while (node != nullptr && !path.empty()) {
    auto slash = path.find('/');
    node = node->child(path.substr(0, slash));
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return node;
}

std::string_view zpl_node::value_at(std::string_view path,
                                    std::string_view fallback) const noexcept {
  const zpl_node* node = find(path);
  return node != nullptr ? std::string_view(node->value) : fallback;
}

zpl_node& zpl_node::add(std::string child_name, std::string child_value) {
  children.push_back(zpl_node{std::move(child_name), std::move(child_value), {}});
  return children.back();
}

zpl_node parse_zpl(std::string_view text, std::string_view source) {
  zpl_node root;
  std::vector<zpl_node*> stack{&root};  // stack[d] is the parent of nodes at depth d
  for_each_zpl_entry(text, source, [&](const zpl_entry& entry) {
    stack.resize(entry.depth + 1);
    zpl_node& node = stack.back()->add(std::string(entry.name), std::string(entry.value));
    stack.push_back(&node);
  });
  return root;
}

zpl_node load_zpl(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw zmqsec::error::from_errno(errno, "cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw zmqsec::error::from_errno(errno, "cannot read " + path.string());
  return parse_zpl(text.str(), path.string());
}

bool is_valid_zpl_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > max_name_length) return false;
  for (char c : name) {
    if (!is_name_char(c)) return false;
  }
  return true;
}

std::string zpl_quote(std::string_view value) {
  if (value.find_first_of("\r\n") != std::string_view::npos) {
    throw zmqsec::error(errc::invalid_argument, "ZPL value contains a line break");
  }
  bool has_double = value.find('"') != std::string_view::npos;
  if (has_double && value.find('\'') != std::string_view::npos) {
    throw zmqsec::error(errc::invalid_argument, "ZPL value contains both kinds of quote");
  }
  char quote = has_double ? '\'' : '"';
  std::string quoted;
  quoted.reserve(value.size() + 2);
  quoted += quote;
  quoted += value;
  quoted += quote;
  return quoted;
}

namespace {

void write_node(const zpl_node& node, std::size_t depth, std::string& out) {
  if (!is_valid_zpl_name(node.name)) {
    throw zmqsec::error(errc::invalid_argument, "invalid ZPL name '" + node.name + "'");
  }
  out.append(depth * indent_step, ' ');
  out += node.name;
  if (!node.value.empty()) {
    out += " = ";
    out += zpl_quote(node.value);
  }
  out += '\n';
  for (const auto& c : node.children) write_node(c, depth + 1, out);
}

}  // namespace

std::string to_zpl(const zpl_node& root) {
  std::string out;
  for (const auto& c : root.children) write_node(c, 0, out);
  return out;
}

}  // namespace zmqsec::certs
