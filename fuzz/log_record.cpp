// Log records as a subscriber receives them from the network: any topic and payload. Parsing the
// topic never crashes, its parts are views into the topic that put it back together, a level it
// names reads back as that level; a record's JSON is one object of valid UTF-8 without raw
// control characters, whatever bytes came in.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <zmqsec/logging/record.hpp>
#include <zmqsec/logging/topic.hpp>

namespace zl = zmqsec::logging;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned c = *p++;
    if (c < 0x80) continue;
    int more;
    unsigned min;
    unsigned code;
    if ((c & 0xE0) == 0xC0) {
      more = 1, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      more = 2, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      more = 3, min = 0x10000, code = c & 0x07;
    } else {
      return false;
    }
    if (end - p < more) return false;
    for (int i = 0; i < more; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      code = (code << 6) | (p[i] & 0x3F);
    }
    p += more;
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The topic frame, a NUL, the payload frame.
  const std::size_t split = input.find('\0');
  const std::string_view topic = input.substr(0, split);
  const std::string_view payload =
      split == std::string_view::npos ? std::string_view() : input.substr(split + 1);

  const auto parts = zl::parse_topic(topic);
  if (!inside(parts.root_topic, topic) || !inside(parts.level_name, topic) ||
      !inside(parts.subtopic, topic)) {
    std::abort();
  }
  if (parts.level_name.empty()) {
    if (parts.root_topic != topic || !parts.subtopic.empty()) std::abort();
  } else {
    const auto level = zl::parse_level_name(parts.level_name);
    if (!level || *level != parts.level) std::abort();
    std::string rebuilt;
    if (!parts.root_topic.empty() || parts.level_name.data() != topic.data()) {
      rebuilt.append(parts.root_topic).push_back('.');
    }
    rebuilt.append(parts.level_name);
    if (parts.level_name.data() + parts.level_name.size() != topic.data() + topic.size()) {
      rebuilt.append(1, '.').append(parts.subtopic);
    }
    if (rebuilt != topic) std::abort();
  }

  const auto [subtopic, text] = zl::split_subtopic(payload);
  if (!subtopic.empty() && subtopic.size() + 2 + text.size() != payload.size()) std::abort();

  const auto record = zl::record::from_frames(std::string(topic), std::string(payload));
  if (record.level != parts.level || record.subtopic != parts.subtopic) std::abort();
  if (record.message().size() > record.payload.size()) std::abort();
  const std::string json = record.to_json();
  if (json.size() < 2 || json.front() != '{' || json.back() != '}') std::abort();
  if (!valid_utf8(json)) std::abort();
  for (const char c : json) {
    if (static_cast<unsigned char>(c) < 0x20) std::abort();
  }
  return 0;
}
