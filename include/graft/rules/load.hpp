#pragma once
/// \file
/// Loading rules files: load_rules() reads a file and its imports (graft/rules/detail/file_loader.hpp, search
/// order in graft/rules/search_path.hpp) and validates them into a ruleset (graft/rules/detail/compiler.hpp).

#include <graft/rules/detail/compiler.hpp>
#include <graft/rules/detail/file_loader.hpp>
#include <graft/rules/ruleset.hpp>
#include <graft/rules/search_path.hpp>

#include <filesystem>
#include <string>

namespace graft::rules {

/// Loads a rules file and everything it `use`s. Throws parse_error, rules_error or usage_error.
inline ruleset load_rules(const std::filesystem::path& path, const load_options& options = {}) {
  detail::file_loader loader(options);
  loader.load_root(path);
  return detail::compiler().compile(loader.files);
}

/// Loads rules from text (named `name` in messages; `use` resolves against name's folder and the options).
inline ruleset load_rules_text(const std::string& name, std::string text, const load_options& options = {}) {
  detail::file_loader loader(options);
  loader.load_root_text(name, std::move(text));
  return detail::compiler().compile(loader.files);
}

}  // namespace graft::rules
