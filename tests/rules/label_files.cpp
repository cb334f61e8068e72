// Label sets from label files and quoted labels: the format (quotes, spaces, UTF-8, CRLF, a BOM,
// comments), what is refused with file:line (duplicates, empty labels, control characters, bad UTF-8,
// other files), where files are looked for, and the set's own word in messages.

#include <graft/rules/load.hpp>

#include "support/catch.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using graft::rules::load_options;
using graft::rules::load_rules;

namespace {
struct label_tree {
  fs::path root;
  label_tree() {
    static int n = 0;
    root = fs::temp_directory_path() / ("graft_labels_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::create_directories(root);
  }
  ~label_tree() { fs::remove_all(root); }
  fs::path write(const std::string& rel, const std::string& bytes) const {
    const fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  /// Loads `rules` (written as rules.graft) with the installed rules off.
  graft::rules::ruleset load(const std::string& rules, load_options options = {}) const {
    options.use_installed_rules = false;
    return load_rules(write("rules.graft", rules), options);
  }
  std::string where(const std::string& rel, int line, int column) const {
    return (root / rel).lexically_normal().string() + ":" + std::to_string(line) + ":" + std::to_string(column);
  }
};

const std::vector<std::string>& members(const graft::rules::ruleset& r, const std::string& set) {
  const auto* s = r.find_set(set);
  REQUIRE(s != nullptr);
  return s->joints;
}
}  // namespace

TEST_CASE("label files: one label per line, any characters, comments, CRLF and a BOM", "[rules][labels]") {
  label_tree t;
  t.write("classes.labels",
          "\xEF\xBB\xBF# ImageNet, a few\r\n"
          "tench\r\n"
          "great white shark\r\n"
          "   jack-o'-lantern  \r\n"
          "\r\n"
          "  # an indented comment\n"
          "caf\xC3\xA9 cr\xC3\xA8me\n"
          "\"#hashtag\"\n"
          "\"  spaced \\\"quote\\\"  \"\n"
          "a#b \"c\"\n"
          "last without a line end");
  const auto r = t.load("labels classes from \"classes.labels\"\n");
  CHECK(members(r, "classes") ==
        std::vector<std::string>{"tench", "great white shark", "jack-o'-lantern", "caf\xC3\xA9 cr\xC3\xA8me",
                                 "#hashtag", "  spaced \"quote\"  ", "a#b \"c\"", "last without a line end"});
  CHECK(r.find_set("classes")->kind == graft::label_kind::labels);
  CHECK(*r.find_set("classes")->index_of("great white shark") == 1);
}

TEST_CASE("label files: `joints NAME from` and .txt files, inline quoted labels", "[rules][labels]") {
  label_tree t;
  t.write("sub/kp.txt", "nose\nleft eye\n");
  const auto r = t.load("joints kp from \"sub/kp.txt\"\nlabels pets = [\"great white shark\", tench]\n");
  CHECK(r.find_set("kp")->kind == graft::label_kind::joints);
  CHECK(members(r, "kp") == std::vector<std::string>{"nose", "left eye"});
  CHECK(members(r, "pets") == std::vector<std::string>{"great white shark", "tench"});
}

TEST_CASE("label files: duplicates, empty labels, control characters and bad UTF-8 are refused at file:line",
          "[rules][labels]") {
  label_tree t;
  t.write("dup.labels", "tench\n# comment\ngoldfish\ntench\n");
  CHECK_THROWS_WITH(
      t.load("labels fish from \"dup.labels\"\n"),
      test::Contains(t.where("dup.labels", 4, 1) + ": label 'tench' appears twice in set 'fish' (first at " +
                     t.where("dup.labels", 1, 1) + ")"));
  t.write("empty.labels", "a\n\"\"\n");
  CHECK_THROWS_WITH(t.load("labels e from \"empty.labels\"\n"),
                    test::Contains(t.where("empty.labels", 2, 1) + ": empty label"));
  t.write("ctl.labels",
          "a\nb\x01"
          "c\n");
  CHECK_THROWS_WITH(t.load("labels e from \"ctl.labels\"\n"),
                    test::Contains(t.where("ctl.labels", 2, 2) + ": control character in a label"));
  t.write("latin1.labels", "a\ncaf\xE9\n");
  CHECK_THROWS_WITH(t.load("labels e from \"latin1.labels\"\n"),
                    test::Contains(t.where("latin1.labels", 2, 4) + ": a label file must be UTF-8"));
  t.write("open.labels", "\"unclosed\n");
  CHECK_THROWS_WITH(t.load("labels e from \"open.labels\"\n"),
                    test::Contains(t.where("open.labels", 1, 1) + ": a quoted label needs its closing '\"'"));
  t.write("none.labels", "# only a comment\n\n");
  CHECK_THROWS_WITH(t.load("labels e from \"none.labels\"\n"), test::Contains("has no labels"));
  CHECK_THROWS_WITH(t.load("labels e = [a, \"\"]\n"), test::Contains("rules.graft:1:16: empty label"));
  CHECK_THROWS_WITH(t.load("labels e = [\"a b\", \"a b\"]\n"),
                    test::Contains("rules.graft:1:20: label 'a b' appears twice in set 'e' (first at"));
}

TEST_CASE("label files: a missing file names every path tried, other files are never read", "[rules][labels]") {
  label_tree t;
  t.write("inc/elsewhere.labels", "x\n");
  load_options with_inc;
  with_inc.include_dirs = {t.root / "inc"};
  CHECK(members(t.load("labels e from \"elsewhere.labels\"\n", with_inc), "e") == std::vector<std::string>{"x"});
  CHECK_THROWS_WITH(
      t.load("labels e from \"missing.labels\"\n", with_inc),
      test::Contains("cannot find \"missing.labels\" (looked for " + (t.root / "missing.labels").string() + ", " +
                     (t.root / "inc" / "missing.labels").string() + ")"));
  t.write("secret.key", "hunter2\n");
  CHECK_THROWS_WITH(t.load("labels e from \"secret.key\"\n"), test::Contains("not a label file name"));
  fs::create_symlink(t.root / "secret.key", t.root / "link.labels");
  CHECK_THROWS_WITH(t.load("labels e from \"link.labels\"\n"), test::Contains("which is not named *.labels or *.txt"));
  try {
    t.load("labels e from \"link.labels\"\n");
  } catch (const std::exception& e) {
    CHECK(std::string(e.what()).find("hunter2") == std::string::npos);
  }
}

TEST_CASE("label sets: messages use the set's own word", "[rules][labels]") {
  label_tree t;
  t.write("a.labels", "cat\ndog\n");
  CHECK_THROWS_WITH(t.load("labels a from \"a.labels\"\nlabels b = [cat, bird]\nmap a -> b { bird = dgo }\n"),
                    test::Contains("rules.graft:3:21: 'dgo' is not a label of 'a' (did you mean 'dog'?)"));
  CHECK_THROWS_WITH(t.load("labels a from \"a.labels\"\nlabels b = [cat, bird]\nmap a -> b { brid = dog }\n"),
                    test::Contains("'brid' is not a label of 'b' (did you mean 'bird'?)"));
  CHECK_THROWS_WITH(t.load("labels a from \"a.labels\"\nlabels a = [x]\n"),
                    test::Contains("rules.graft:2:8: label set 'a' is already defined at"));
  CHECK_THROWS_WITH(t.load("labels a = [x]\nlabels b = [y]\nmap a -> b { y = mean(*, x) }\n"),
                    test::Contains("'*' (every label of 'a') stands alone, in mean(*)"));
  CHECK_THROWS_WITH(t.load("labels a = [x]\nlabels b = [y]\nmap a -> b { * = x; keep * }\n"),
                    test::Contains("'*' is given values twice in this map"));
}
