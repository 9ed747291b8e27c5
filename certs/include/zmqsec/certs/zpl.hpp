// ZPL (ZeroMQ RFC 4), the property-list format of certificate files.
//
//   #   a comment
//   curve
//       public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
//
// Each line is a name at an indentation of four spaces per level, optionally followed by
// "= value" (quoted with " or ', or bare up to whitespace or '#'). Two ways to read:
//
//   // a tree, for ordinary documents
//   zmqsec::certs::zpl_node root = zmqsec::certs::parse_zpl(text, "app.cfg");
//   std::string_view v = root.value_at("curve/public-key");
//
//   // entry by entry, with views into the caller's text (how secrets are read without copies)
//   zmqsec::certs::for_each_zpl_entry(text, "x.key_secret", [](const zmqsec::certs::zpl_entry& e) {
//     if (e.path == "curve/secret-key") ...;
//   });
//
// Errors are zpl_error with the source name, the 1-based line and the reason.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <zmqsec/error.hpp>

namespace zmqsec::certs {

/// Thrown for text that is not valid ZPL.
class zpl_error : public zmqsec::error {
 public:
  zpl_error(std::string source, std::size_t line, std::string reason);
  const std::string& source() const noexcept { return source_; }
  std::size_t line() const noexcept { return line_; }
  const std::string& reason() const noexcept { return reason_; }

 private:
  std::string source_;
  std::size_t line_;
  std::string reason_;
};

/// One name (and value, possibly empty) as met while reading. All views point into the text.
struct zpl_entry {
  std::string_view path;   ///< names from the root, joined by '/', e.g. "curve/public-key"
  std::string_view name;   ///< the last component of path
  std::string_view value;  ///< without quotes; empty when the line has no "= value"
  bool has_value = false;  ///< true when the line has "= value" (even an empty one)
  std::size_t depth = 0;   ///< 0 for top-level names
  std::size_t line = 0;    ///< 1-based
};

/// Reads text entry by entry in document order; throws zpl_error. The path view is valid only
/// during the callback; name and value point into text.
void for_each_zpl_entry(std::string_view text, std::string_view source,
                        const std::function<void(const zpl_entry&)>& on_entry);

/// A node of a ZPL tree: a name, a value and ordered children.
struct zpl_node {
  std::string name;
  std::string value;
  std::vector<zpl_node> children;

  /// The direct child with this name, or nullptr.
  const zpl_node* child(std::string_view name) const noexcept;
  zpl_node* child(std::string_view name) noexcept;
  /// The node at a '/'-separated path below this one, or nullptr.
  const zpl_node* find(std::string_view path) const noexcept;
  /// The value at a path, or fallback when there is no such node.
  std::string_view value_at(std::string_view path, std::string_view fallback = {}) const noexcept;
  /// Appends a child and returns it.
  zpl_node& add(std::string name, std::string value = {});

  friend bool operator==(const zpl_node&, const zpl_node&) = default;
};

/// Parses a whole document; the returned root has an empty name and the top-level nodes as
/// children. Throws zpl_error.
zpl_node parse_zpl(std::string_view text, std::string_view source = "<text>");
/// Reads and parses a file; throws zmqsec::error for I/O failures and zpl_error for bad text.
zpl_node load_zpl(const std::filesystem::path& path);

/// True if name is a valid ZPL name (RFC 4: letters, digits and $-_@.&+/, at most 255 chars).
bool is_valid_zpl_name(std::string_view name) noexcept;

/// A value quoted for ZPL: double quotes, or single quotes when it contains '"'. Throws
/// zmqsec::error (invalid_argument) for a value no quoting can hold (both quote kinds, or a line
/// break).
std::string zpl_quote(std::string_view value);

/// Writes the children of root as ZPL (four spaces per level, every value double-quoted;
/// values containing '"' are single-quoted). Throws zmqsec::error (invalid_argument) for a
/// name that is not a valid ZPL name or a value that no quoting can hold (both quote kinds,
/// or a line break).
std::string to_zpl(const zpl_node& root);

}  // namespace zmqsec::certs
