// A second opinion on the tools' --json output: Debian's own Python (/usr/bin/python3 explicitly;
// the python3 on PATH may be another interpreter) decodes it as strict UTF-8, parses every line
// with its json module and prints the values asked for, so a test compares what a real consumer
// gets back with what went in.
//
//   auto r = run(zmqsec::testing::python_json_argv(tool_output, {"auth.username", "endpoint"}));
//   EXPECT_EQ(r.out, "jürgen\nipc:///tmp/café.ipc\n");
//
// No process runner here: tests/cli, tests/logging and tests/monitor each run the argv with their
// own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace zmqsec::testing {

/// The argv of a python3 run that parses each line of documents as JSON and prints, for each
/// document, the value at each path ("a.b.0": member a, member b, element 0) on a line of its own,
/// as UTF-8. It exits non-zero (a traceback on stderr) if the text is not UTF-8 or not JSON.
inline std::vector<std::string> python_json_argv(std::string_view documents,
                                                 const std::vector<std::string>& paths) {
  // sys.argv holds undecodable bytes as surrogates; os.fsencode gives back the bytes the tool
  // wrote, and the strict decode refuses anything that is not UTF-8.
  static constexpr const char* script = R"py(
import json, os, sys
text = os.fsencode(sys.argv[1]).decode("utf-8")
for line in text.splitlines():
    doc = json.loads(line)
    for path in sys.argv[2:]:
        value = doc
        for key in path.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]
        sys.stdout.buffer.write((str(value) + "\n").encode("utf-8"))
)py";
  std::vector<std::string> argv{"/usr/bin/python3", "-c", script, std::string(documents)};
  argv.insert(argv.end(), paths.begin(), paths.end());
  return argv;
}

}  // namespace zmqsec::testing
