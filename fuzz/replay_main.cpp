// Runs a fuzz target over the files given on the command line (files or folders of files), the
// way libFuzzer replays a corpus; used where libFuzzer is not available (gcc builds).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

int replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (!in.eof() && in.fail()) {
    std::cerr << "cannot read " << file << '\n';
    return 1;
  }
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (!entry.is_regular_file()) continue;
        if (replay(entry.path()) != 0) return 1;
        ++count;
      }
    } else {
      if (replay(arg) != 0) return 1;
      ++count;
    }
  }
  if (count == 0) {
    std::cerr << "no inputs replayed\n";
    return 1;
  }
  std::cout << "replayed " << count << " inputs\n";
  return 0;
}
