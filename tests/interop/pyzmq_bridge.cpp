#include "pyzmq_bridge.hpp"

#include <sstream>
#include <stdexcept>

namespace zmqsec::testing::pyzmq {

std::vector<std::string> helper_command(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ZMQSEC_INTEROP_PYTHON,
                                   "-I",
                                   "-B",
                                   "-X",
                                   "utf8",
                                   ZMQSEC_INTEROP_SCRIPT_DIR "/pyzmq_helper.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

const std::string& output::get(const std::string& name) const {
  const std::string* found = nullptr;
  for (const auto& [field, value] : fields) {
    if (field != name) continue;
    if (found != nullptr) throw std::runtime_error("pyzmq helper printed '" + name + "' twice");
    found = &value;
  }
  if (found == nullptr) throw std::runtime_error("pyzmq helper printed no '" + name + "'");
  return *found;
}

std::vector<std::string> output::all(const std::string& name) const {
  std::vector<std::string> values;
  for (const auto& [field, value] : fields) {
    if (field == name) values.push_back(value);
  }
  return values;
}

output parse(const std::string& printed) {
  output result;
  std::istringstream lines(printed);
  std::string line;
  while (std::getline(lines, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos) {
      result.fields.emplace_back(line, "");
    } else {
      result.fields.emplace_back(line.substr(0, space), line.substr(space + 1));
    }
  }
  return result;
}

output run(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  process_result result = run_process(helper_command(args), timeout);
  if (result.exit_code != 0) {
    std::string command;
    for (const auto& arg : args) command += " " + arg;
    throw std::runtime_error("pyzmq_helper.py" + command + ": " + result.describe());
  }
  return parse(result.out);
}

}  // namespace zmqsec::testing::pyzmq
