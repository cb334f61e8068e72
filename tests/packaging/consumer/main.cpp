// A program that uses graft from another CMake project (find_package or add_subdirectory). It links
// graft::core only, so it compiles in seconds, and loads a shipped rules file through `use`.
//   consumer RULES_DIR   (RULES_DIR: the rules library, installed or in the source tree)

#include <graft/rules/load.hpp>

#include <exception>
#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer RULES_DIR\n";
    return 2;
  }
  try {
    graft::rules::load_options options;
    options.include_dirs.emplace_back(argv[1]);
    options.use_installed_rules = false;
    const auto rules = graft::rules::load_rules_text("consumer.graft", "use \"joints/coco.graft\"\n", options);
    for (const auto& set : rules.joint_sets) {
      if (set.name == "coco" && set.joints.size() == 17) {
        std::cout << "consumer: ok: loaded joints coco (17) from " << argv[1] << "\n";
        return 0;
      }
    }
    std::cerr << "consumer: joints coco (17 joints) not found\n";
  } catch (const std::exception& e) {
    std::cerr << "consumer: " << e.what() << "\n";
  }
  return 1;
}
