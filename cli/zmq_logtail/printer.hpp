// How zmq-logtail prints a record: "TOPIC MESSAGE" with the topic coloured by level, or one JSON
// object per line. Lines are gathered in a buffer and written in blocks: at the end of each
// batch of records the socket had queued (flush()), so a tail into a pipe or a file keeps up with
// the stream, and one into a terminal still shows each record as it arrives.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include <zmqsec/logging/record.hpp>

#include "options.hpp"

namespace zmqsec::logtail {

/// Whether to colour: always, never, or (automatic) when stdout is a terminal and NO_COLOR is
/// unset or empty.
bool use_color(color_mode mode);

class printer {
 public:
  printer(std::ostream& out, bool json, bool color) : out_(out), json_(json), color_(color) {}
  printer(const printer&) = delete;
  printer& operator=(const printer&) = delete;
  /// Flushes what is buffered.
  ~printer();

  /// Buffers the line of a record given as its two frames; writes when the buffer is large.
  void print(std::string_view topic, std::string_view payload);
  void print(const logging::record& r) { print(r.topic, r.payload); }
  /// Writes what is buffered and flushes the stream.
  void flush();

 private:
  void remember_topic(std::string_view topic);

  std::ostream& out_;
  bool json_;
  bool color_;
  std::string buffer_;
  bool remembered_ = false;  // whether topic_ and shown_topic_ hold a topic yet
  std::string topic_;        // the topic of the last line printed
  std::string shown_topic_;  // how its line starts: coloured, escaped, then a space
};

}  // namespace zmqsec::logtail
