// A program that uses graft from another CMake project (find_package or add_subdirectory). It links
// graft::core only, so it compiles in seconds, and loads a shipped rules file through `use` twice: once
// with RULES_DIR as an include folder, once with no options at all (the default search must find the
// rules library the package points to: graft::rules::installed_rules_dirs()).
//   consumer RULES_DIR   (RULES_DIR: the rules library, installed or in the source tree)

#include <graft/rules/load.hpp>

#include <exception>
#include <filesystem>
#include <iostream>

namespace {

bool has_coco(const graft::rules::ruleset& rules) {
  for (const auto& set : rules.joint_sets)
    if (set.name == "coco" && set.joints.size() == 17) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer RULES_DIR\n";
    return 2;
  }
  try {
    namespace fs = std::filesystem;
    graft::rules::load_options options;
    options.include_dirs.emplace_back(argv[1]);
    options.use_installed_rules = false;
    if (!has_coco(graft::rules::load_rules_text("consumer.graft", "use \"joints/coco.graft\"\n", options))) {
      std::cerr << "consumer: joints coco (17 joints) not found through -I " << argv[1] << "\n";
      return 1;
    }
    std::cout << "consumer: ok: loaded joints coco (17) from " << argv[1] << "\n";

    bool listed = false;
    for (const auto& dir : graft::rules::installed_rules_dirs()) {
      std::error_code ec;
      listed = listed || fs::equivalent(dir, argv[1], ec);
      std::cout << "consumer: installed rules folder: " << dir.string() << "\n";
    }
    if (!listed) {
      std::cerr << "consumer: " << argv[1] << " is not among graft::rules::installed_rules_dirs()\n";
      return 1;
    }
    if (!has_coco(graft::rules::load_rules_text("consumer.graft", "use \"joints/coco.graft\"\n"))) {
      std::cerr << "consumer: joints coco (17 joints) not found by the default search\n";
      return 1;
    }
    std::cout << "consumer: ok: the default `use` search finds the shipped rules\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "consumer: " << e.what() << "\n";
  }
  return 1;
}
