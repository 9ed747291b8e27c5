// Monitor messages of arbitrary frames through parse_monitor_message: never crashes; accepts
// exactly two frames of which the first has 6 bytes and names a libzmq 4.3 event, refusing
// everything else with zmqsec::error; an accepted event round-trips (its number, value and
// endpoint are the bytes it came from) and describes itself in printable ASCII.
//
// Input: frames, each a length byte followed by that many bytes (cut at the end of the input).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include <zmqsec/error.hpp>
#include <zmqsec/monitor/event.hpp>

namespace zm = zmqsec::monitor;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string_view> frames;
  std::size_t pos = 0;
  while (pos < size && frames.size() < 8) {
    std::size_t length = data[pos++];
    if (length > size - pos) length = size - pos;
    frames.emplace_back(reinterpret_cast<const char*>(data + pos), length);
    pos += length;
  }

  bool known = false;
  std::uint16_t number = 0;
  std::uint32_t value = 0;
  if (frames.size() == 2 && frames[0].size() == 6) {
    std::memcpy(&number, frames[0].data(), 2);
    std::memcpy(&value, frames[0].data() + 2, 4);
    known = zm::event_name(number).has_value();
  }

  zm::event e;
  try {
    e = zm::parse_monitor_message(frames);
  } catch (const zmqsec::error& failure) {
    if (known || failure.code() != zmqsec::errc::invalid_argument) std::abort();
    return 0;
  }
  if (!known) std::abort();
  if (static_cast<std::uint16_t>(e.type) != number || e.value != value) std::abort();
  if (e.endpoint != frames[1]) std::abort();
  if (e.name() != *zm::event_name(number)) std::abort();
  for (char c : e.describe()) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F) std::abort();
  }
  return 0;
}
