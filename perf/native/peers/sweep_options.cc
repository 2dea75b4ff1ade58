#include "sweep_options.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace peers {
namespace {

constexpr size_t kMaxBytes = size_t{256} << 20;

[[noreturn]] void Usage(const char* problem) {
  std::fprintf(stderr, "%s\noptions: [--quick] [--sizes bytes,bytes,...] [--seconds s]\n", problem);
  std::exit(2);
}

std::vector<size_t> DefaultSizes() {
  std::vector<size_t> sizes;
  for (size_t bytes = 8; bytes < kMaxBytes; bytes *= 4) sizes.push_back(bytes);
  sizes.push_back(kMaxBytes);
  return sizes;
}

std::vector<size_t> ParseSizes(const char* list) {
  std::vector<size_t> sizes;
  std::stringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    char* end = nullptr;
    unsigned long long bytes = std::strtoull(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || bytes == 0 || bytes % 8 != 0) Usage("--sizes: positive multiples of 8 bytes");
    sizes.push_back(static_cast<size_t>(bytes));
  }
  return sizes;
}

}  // namespace

SweepOptions ParseSweepOptions(int argc, char** argv, int first) {
  SweepOptions options;
  options.sizes = DefaultSizes();
  for (int i = first; i < argc; i++) {
    if (std::strcmp(argv[i], "--quick") == 0) {
      options.sizes = {8, 32 << 10, 1 << 20};
      options.seconds = 0.02;
    } else if (std::strcmp(argv[i], "--sizes") == 0 && i + 1 < argc) {
      options.sizes = ParseSizes(argv[++i]);
    } else if (std::strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      options.seconds = std::atof(argv[++i]);
      if (!(options.seconds > 0)) Usage("--seconds: a positive number");
    } else {
      Usage((std::string("unknown option ") + argv[i]).c_str());
    }
  }
  return options;
}

}  // namespace peers
