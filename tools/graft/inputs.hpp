#pragma once
// Options shared by the commands that read rules files (check, plan, explain, apply).

#include <graft/plan/plan.hpp>
#include <graft/rules/ruleset.hpp>
#include <graft/tensor_meta.hpp>

#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace graft::rules {
struct load_options;
}

namespace graft::cli {

/// -I DIR..., the folders searched by `use`.
struct rules_options {
  std::vector<std::string> include_dirs;

  rules::load_options load() const;
  void add_to(CLI::App& cmd);
};

/// A command's three inputs, read.
template <class Input>
struct read_inputs {
  rules::ruleset rules;
  Input source, destination;
};

/// RULES --from SRC --onto DST [--key K] [--lenient] [--strict-rules] [-I DIR].
struct plan_inputs {
  std::string rules_file, from, onto, from_key, onto_key;
  bool lenient = false, strict_rules = false;
  rules_options rules;

  void add_to(CLI::App& cmd);

  static std::optional<std::string> key(const std::string& k) {
    return k.empty() ? std::nullopt : std::optional<std::string>(k);
  }
  rules::ruleset load_rules() const;
  /// The rules, and `read(path, key)` of the source and of the destination, at once: the destination
  /// on a thread of its own while this one loads the rules and reads the source (the three are
  /// independent; reading a checkpoint's headers is mostly waiting on memory). Errors come as if read
  /// one after another: the rules', then the source's, then the destination's.
  template <class Read>
  auto read_all(Read read) const -> read_inputs<decltype(read(from, key(from_key)))> {
    auto destination = std::async(std::launch::async, [&] { return read(onto, key(onto_key)); });
    auto rules = load_rules();
    auto source = read(from, key(from_key));
    return {std::move(rules), std::move(source), destination.get()};
  }
  /// read_all of the source's and the destination's names and shapes.
  read_inputs<tensor_set> read_tensor_sets() const;
  plan_options options() const { return {lenient, strict_rules}; }
};

}  // namespace graft::cli
