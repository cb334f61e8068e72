#pragma once
/// \file
/// file_loader: reads and parses a rules file and everything it `use`s, depth-first (imports first,
/// each file once, cycles named; iterative, so a chain of any length loads), and the label files its
/// `labels ... from` statements name, resolving paths with the search order of graft/rules/search_path.hpp.

#include <graft/dsl/parse.hpp>
#include <graft/error.hpp>
#include <graft/rules/joints.hpp>
#include <graft/rules/label_file.hpp>
#include <graft/rules/search_path.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace graft::rules::detail {

/// A label file a `labels NAME from "file"` statement read.
struct loaded_label_file {
  std::size_t statement = 0;                  ///< the statement's offset in its rules file
  std::shared_ptr<const source_text> source;  ///< the label file (positions in errors)
  std::vector<file_label> labels;             ///< its labels, in order
};

/// One parsed file, in load order, with the label files it reads.
struct loaded_file {
  std::shared_ptr<const source_text> source;
  dsl::ast::file syntax;
  std::vector<loaded_label_file> label_files = {};

  /// The label file read for the statement at `offset`.
  const loaded_label_file& label_file_at(std::size_t offset) const {
    for (const auto& l : label_files)
      if (l.statement == offset) return l;
    throw std::logic_error("graft: no label file loaded for a labels statement");  // load() reads each one
  }
};

/// Reads a whole file, or its first `limit` + 1 bytes when it is longer; throws usage_error naming it
/// (`what`: "rules file", "label file").
inline std::string read_text_file(const std::filesystem::path& path, const char* what = "rules file",
                                  std::size_t limit = std::string::npos - 1) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw usage_error(std::string("cannot open ") + what + " '" + path.string() + "'");
  std::string out;
  char buffer[1 << 16];
  while (out.size() <= limit && in.read(buffer, sizeof buffer).gcount() > 0) {
    out.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (!in) break;
  }
  if (in.bad()) throw usage_error(std::string("cannot read ") + what + " '" + path.string() + "'");
  return out;
}

/// True when `path` names a rules file: `*.graft`. A `use` target must be one (and so must the file a
/// link named so leads to), so that no other file is ever read, nor a line of it shown in an error.
inline bool is_rules_file_name(const std::filesystem::path& path) { return path.extension() == ".graft"; }

/// Loads files depth-first, imports before the importing file, each file once.
class file_loader {
public:
  explicit file_loader(const load_options& options) : options_(options) {}

  void load_root(const std::filesystem::path& path) {
    std::error_code ec;  // not the throwing overload: a name too long is a filesystem_error ("internal error")
    if (!std::filesystem::is_regular_file(path, ec))
      throw usage_error("no such rules file '" + path.string() + "'" +
                        (ec && ec != std::errc::no_such_file_or_directory ? " (" + ec.message() + ")" : ""));
    load(path, path.string(), read_text_file(path));
  }
  void load_root_text(const std::string& name, std::string text) {
    load(std::filesystem::path(name), name, std::move(text));
  }

  std::vector<loaded_file> files;

private:
  static std::string identity(const std::filesystem::path& path) {
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(path, ec);
    return ec ? path.lexically_normal().string() : canonical.string();
  }

  /// Loads `path` and its imports without recursion (a `use` chain of any length needs no stack):
  /// each open file is a frame that resumes at its next `use` once that import is loaded.
  void load(const std::filesystem::path& path, const std::string& display, std::string text) {
    open(path, display, std::move(text));
    while (!stack_.empty()) {
      frame& top = stack_.back();
      if (top.next < top.syntax.size()) {
        const dsl::ast::statement& stmt = top.syntax[top.next++];
        if (const auto* labels = boost::get<dsl::ast::label_file_stmt>(&stmt))
          top.label_files.push_back(read_labels(*labels, top.source, top.path));
        else if (const auto* use = boost::get<dsl::ast::use_stmt>(&stmt))
          import(*use, top.source, top.path);  // may push a frame: `top` is then stale
        continue;
      }
      on_stack_.erase(top.id);
      done_.insert(top.id);
      files.push_back({std::move(top.source), std::move(top.syntax), std::move(top.label_files)});
      stack_.pop_back();
    }
  }

  /// Parses a file and pushes its frame.
  void open(const std::filesystem::path& path, const std::string& display, std::string text) {
    const std::string id = identity(path);
    auto source = std::make_shared<const source_text>(display, std::move(text));
    dsl::ast::file syntax = dsl::parse(source);
    stack_.push_back({id, display, path, std::move(source), std::move(syntax), 0});
    on_stack_.insert(id);
  }

  /// " (did you mean \"joints/coco.graft\"?)" when a file next to one of the `tried` paths (other than
  /// the `importer`) has a name close to the wanted one's (a typo in the file name), else "".
  static std::string nearest_file(const std::string& wanted, const std::vector<std::filesystem::path>& tried,
                                  const std::filesystem::path& importer) {
    const std::filesystem::path asked(wanted);
    std::vector<std::string> names;
    for (const auto& t : tried) {
      std::error_code ec;
      for (std::filesystem::directory_iterator it(t.parent_path(), ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code file_ec, same_ec;  // apart from ec, which ends the walk
        if (it->is_regular_file(file_ec) && names.size() < 10'000 &&
            !std::filesystem::equivalent(it->path(), importer, same_ec))
          names.push_back(it->path().filename().string());
      }
    }
    const auto best = closest_match(asked.filename().string(), names);
    if (!best) return {};
    return " (did you mean \"" + (asked.parent_path() / *best).generic_string() + "\"?)";
  }

  /// Where a relative or absolute `wanted` file is found from `importer`: its folder, the -I folders,
  /// then the installed rules folders. Throws at `where` (naming every path tried) when nowhere.
  std::filesystem::path find(const std::string& wanted_text, const std::filesystem::path& importer,
                             const source_location& where) const {
    const std::filesystem::path wanted(wanted_text);
    std::vector<std::filesystem::path> tried;
    std::filesystem::path found;
    auto try_dir = [&](const std::filesystem::path& dir) {
      if (!found.empty()) return;
      const std::filesystem::path candidate = dir.empty() ? wanted : dir / wanted;
      tried.push_back(candidate);
      std::error_code ec;
      if (std::filesystem::is_regular_file(candidate, ec)) found = candidate;
    };
    if (wanted.is_absolute()) {
      try_dir({});
    } else {
      try_dir(importer.parent_path());
      for (const auto& dir : options_.include_dirs) try_dir(dir);
      if (options_.use_installed_rules)
        for (const auto& dir : installed_rules_dirs()) try_dir(dir);
    }
    if (found.empty()) {
      std::string list;
      for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t.string();
      throw rules_error(where, "cannot find \"" + wanted_text + "\"" + nearest_file(wanted_text, tried, importer) +
                                   " (looked for " + list + ")");
    }
    return found;
  }

  /// Reads the label file of `labels NAME from "file"`.
  loaded_label_file read_labels(const dsl::ast::label_file_stmt& stmt, const std::shared_ptr<const source_text>& source,
                                const std::filesystem::path& importer) const {
    const source_location where(source, stmt.path.offset);
    const std::string& wanted = stmt.path.text;
    const char* rule = "(a label file must be a regular file named *.labels or *.txt: no other file is read)";
    if (wanted.empty()) throw rules_error(where, "labels ... from needs a file name");
    if (!is_label_file_name(wanted))
      throw rules_error(where, "labels from \"" + wanted + "\": not a label file name " + rule);
    const std::filesystem::path found = find(wanted, importer, where);
    const std::string id = identity(found);
    if (!is_label_file_name(id))
      throw rules_error(where, "labels from \"" + wanted + "\": " + found.lexically_normal().string() + " leads to " +
                                   id + ", which is not named *.labels or *.txt " + rule);
    auto text = std::make_shared<const source_text>(found.lexically_normal().string(),
                                                    read_text_file(found, "label file", max_label_file_bytes));
    if (text->text().size() > max_label_file_bytes)
      throw rules_error(where, "label file " + text->path() + " is larger than a label file may be (" +
                                   std::to_string(max_label_file_bytes) + " bytes)");
    auto labels = parse_label_file(text);
    return {stmt.offset, std::move(text), std::move(labels)};
  }

  void import(const dsl::ast::use_stmt& use, const std::shared_ptr<const source_text>& source,
              const std::filesystem::path& importer) {
    const source_location where(source, use.path.offset);
    const std::filesystem::path wanted(use.path.text);
    if (use.path.text.empty()) throw rules_error(where, "use needs a file name");
    if (!is_rules_file_name(wanted))
      throw rules_error(where, "use \"" + use.path.text + "\": not a rules file name (a `use` target must be a " +
                                   "regular file named *.graft: no other file is read)");
    const std::filesystem::path found = find(use.path.text, importer, where);
    const std::string id = identity(found);
    if (!is_rules_file_name(id))  // a link named x.graft that leads elsewhere (/proc/self/environ, a key file)
      throw rules_error(where, "use \"" + use.path.text + "\": " + found.lexically_normal().string() + " leads to " +
                                   id + ", which is not named *.graft (a `use` target must be a " +
                                   "rules file: no other file is read)");
    for (std::size_t i = 0; on_stack_.count(id) != 0 && i < stack_.size(); ++i) {
      if (stack_[i].id != id) continue;
      std::string cycle;  // a long cycle is clipped to its first and last files
      const std::size_t n = stack_.size() - i;
      for (std::size_t j = i; j < stack_.size(); ++j) {
        if (n > 8 && j == i + 3) {
          cycle += "... (" + std::to_string(n - 6) + " more files) ... -> ";
          j = stack_.size() - 4;
          continue;
        }
        cycle += stack_[j].display + " -> ";
      }
      throw rules_error(where, "import cycle: " + cycle + found.lexically_normal().string());
    }
    if (done_.count(id)) return;  // already loaded through another path: once is enough
    open(found, found.lexically_normal().string(), read_text_file(found));
  }

  /// A file being loaded: its imports up to `next` are loaded.
  struct frame {
    std::string id, display;
    std::filesystem::path path;
    std::shared_ptr<const source_text> source;
    dsl::ast::file syntax;
    std::size_t next = 0;  ///< the next statement to look at for `use` and `labels ... from`
    std::vector<loaded_label_file> label_files = {};
  };
  const load_options& options_;
  std::vector<frame> stack_;
  std::set<std::string> on_stack_;  ///< the ids in stack_ (cycle checks without a scan per `use`)
  std::set<std::string> done_;
};

}  // namespace graft::rules::detail
