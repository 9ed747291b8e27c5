// How zmq-logtail prints a record: "TOPIC MESSAGE" with the topic coloured by level, or one JSON
// object per line.
#pragma once

#include <ostream>

#include <zmqsec/logging/record.hpp>

#include "options.hpp"

namespace zmqsec::logtail {

/// Whether to colour: always, never, or (automatic) when stdout is a terminal and NO_COLOR is
/// unset or empty.
bool use_color(color_mode mode);

class printer {
 public:
  printer(std::ostream& out, bool json, bool color) : out_(out), json_(json), color_(color) {}
  void print(const logging::record& r);

 private:
  std::ostream& out_;
  bool json_;
  bool color_;
};

}  // namespace zmqsec::logtail
