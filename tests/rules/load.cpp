// Loading rules files: imports (search order, once each, cycles), duplicates, validation.

#include <graft/rules/load.hpp>

#include "support/catch.hpp"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using graft::rules::load_options;
using graft::rules::load_rules;
using graft::rules::load_rules_text;

namespace {
struct temp_tree {
  fs::path root;
  temp_tree() {
    root = fs::temp_directory_path() / ("graft_load_" + std::to_string(::getpid()) + "_" + std::to_string(counter()++));
    fs::create_directories(root);
  }
  ~temp_tree() { fs::remove_all(root); }
  static int& counter() {
    static int n = 0;
    return n;
  }
  fs::path write(const std::string& rel, const std::string& text) const {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p;
  }
};
load_options no_installed() {
  load_options o;
  o.use_installed_rules = false;
  return o;
}
}  // namespace

TEST_CASE("the shipped joint sets load", "[rules][load]") {
  auto r = load_rules(fs::path(GRAFT_RULES_DIR) / "joints/coco.graft", no_installed());
  REQUIRE(r.find_set("coco") != nullptr);
  CHECK(r.find_set("coco")->size() == 17);
  auto c = load_rules(fs::path(GRAFT_RULES_DIR) / "joints/crowdpose.graft", no_installed());
  CHECK(c.find_set("crowdpose")->joints.at(12) == "head");
  auto m = load_rules(fs::path(GRAFT_RULES_DIR) / "joints/mpii.graft", no_installed());
  CHECK(m.find_set("mpii")->size() == 16);
}

TEST_CASE("use searches the importing folder, then -I folders", "[rules][load]") {
  temp_tree t;
  t.write("lib/sets.graft", "joints a = [x, y]\n");
  t.write("main/local.graft", "joints b = [y, x]\n");
  auto main = t.write("main/top.graft", "use \"local.graft\"\nuse \"sets.graft\"\nreshape \"w\" { dim 0 = a -> b }\n");
  CHECK_THROWS_AS(load_rules(main, no_installed()), graft::rules_error);
  auto opts = no_installed();
  opts.include_dirs.push_back(t.root / "lib");
  auto r = load_rules(main, opts);
  CHECK(r.files.size() == 3);
  CHECK(r.files.back() == main.string());  // imports first
  REQUIRE(r.reshapes.size() == 1);
  CHECK(r.find_map("a", "b")->targets[0].sources == std::vector<std::size_t>{1});
}

TEST_CASE("the importing folder wins over -I folders", "[rules][load]") {
  temp_tree t;
  t.write("lib/sets.graft", "joints a = [from_lib]\n");
  t.write("main/sets.graft", "joints a = [from_main]\n");
  auto main = t.write("main/top.graft", "use \"sets.graft\"\n");
  auto opts = no_installed();
  opts.include_dirs.push_back(t.root / "lib");
  CHECK(load_rules(main, opts).find_set("a")->joints.at(0) == "from_main");
}

TEST_CASE("a file imported twice is loaded once", "[rules][load]") {
  temp_tree t;
  t.write("sets.graft", "joints a = [x]\n");
  t.write("one.graft", "use \"sets.graft\"\n");
  t.write("two.graft", "use \"sets.graft\"\n");
  auto top = t.write("top.graft", "use \"one.graft\"\nuse \"two.graft\"\nuse \"./sets.graft\"\n");
  auto r = load_rules(top, no_installed());
  CHECK(r.files.size() == 4);
  CHECK(r.joint_sets.size() == 1);
}

TEST_CASE("import cycles are errors naming the cycle", "[rules][load]") {
  temp_tree t;
  t.write("a.graft", "use \"b.graft\"\n");
  t.write("b.graft", "joints x = [y]\nuse \"a.graft\"\n");
  try {
    load_rules(t.root / "a.graft", no_installed());
    FAIL("no error");
  } catch (const graft::rules_error& e) {
    CHECK(e.line() == 2);
    CHECK(e.column() == 5);
    CHECK(e.file() == (t.root / "b.graft").string());
    CHECK(e.message() == "import cycle: " + (t.root / "a.graft").string() + " -> " + (t.root / "b.graft").string() +
                             " -> " + (t.root / "a.graft").string());
  }
}

TEST_CASE("a missing import lists where it looked", "[rules][load]") {
  temp_tree t;
  auto top = t.write("top.graft", "\n  use \"nope.graft\"\n");
  auto opts = no_installed();
  opts.include_dirs.push_back(t.root / "inc");
  try {
    load_rules(top, opts);
    FAIL("no error");
  } catch (const graft::rules_error& e) {
    CHECK(e.line() == 2);
    CHECK(e.column() == 7);
    CHECK(e.message() == "cannot find \"nope.graft\" (looked for " + (t.root / "nope.graft").string() + ", " +
                             (t.root / "inc" / "nope.graft").string() + ")");
  }
}

TEST_CASE("a missing import with a typo in its file name gets a did-you-mean", "[rules][load]") {
  temp_tree t;
  t.write("joints/coco.graft", "joints coco = [nose]\n");
  auto top = t.write("top.graft", "use \"joints/cocco.graft\"\n");
  try {
    load_rules(top, no_installed());
    FAIL("no error");
  } catch (const graft::rules_error& e) {
    CHECK(e.message() == "cannot find \"joints/cocco.graft\" (did you mean \"joints/coco.graft\"?) (looked for " +
                             (t.root / "joints" / "cocco.graft").string() + ")");
  }
  // The importing file itself is never the suggestion: "a missing import lists where it looked"
  // ("nope.graft" is close to its importer "top.graft").
}

TEST_CASE("a duplicate definition across files names both places", "[rules][load]") {
  temp_tree t;
  t.write("sets.graft", "joints coco = [nose]\n");
  auto top = t.write("top.graft", "use \"sets.graft\"\n\njoints coco = [nose]\n");
  try {
    load_rules(top, no_installed());
    FAIL("no error");
  } catch (const graft::rules_error& e) {
    CHECK(e.headline() ==
          top.string() + ":3:8: joint set 'coco' is already defined at " + (t.root / "sets.graft").string() + ":1:8");
  }
  auto maps = t.write("maps.graft", "joints a = [x]\njoints b = [x]\nmap a -> b { }\nmap a -> b { x = x }\n");
  CHECK_THROWS_WITH(load_rules(maps, no_installed()), test::Contains("map a -> b is already defined at"));
}

TEST_CASE("a missing root file is a usage error", "[rules][load]") {
  CHECK_THROWS_AS(load_rules("/nonexistent/file.graft", no_installed()), graft::usage_error);
  // A name the file system refuses to look up (ENAMETOOLONG) was a std::filesystem_error.
  const std::string long_name(5000, 'a');
  CHECK_THROWS_WITH(load_rules(long_name + ".graft", no_installed()),
                    test::StartsWith("no such rules file '" + long_name) && test::Contains("(File name too long)"));
}

TEST_CASE("maps resolve overrides against both sets", "[rules][load]") {
  auto r = load_rules_text("m.graft", R"(
joints coco = [nose, left_shoulder, right_shoulder]
joints crowdpose = [left_shoulder, right_shoulder, head, neck]
map coco -> crowdpose { head = nose; neck = mean(left_shoulder, right_shoulder) }
)",
                           no_installed());
  auto m = r.find_map("coco", "crowdpose");
  REQUIRE(m);
  using k = graft::rules::joint_source::kind;
  CHECK(m->targets[0].how == k::same_name);
  CHECK(m->targets[0].sources == std::vector<std::size_t>{1});
  CHECK(m->targets[2].how == k::renamed);
  CHECK(m->targets[3].how == k::mean);
  CHECK(m->targets[3].sources == std::vector<std::size_t>{1, 2});
  CHECK(m->where.line() == 4);
}

TEST_CASE("rules keep file order, and a later mode wins", "[rules][load]") {
  auto r = load_rules_text("o.graft", R"(strip "module."
rename "a.**" -> "b.$1"
strip "1."
include "x.*"
exclude "y.*", "z.*"
keep "k.*"
expect copied "x.*"
mode lenient
)",
                           no_installed());
  REQUIRE(r.renames.size() == 3);
  CHECK(r.renames[0].text() == "strip \"module.\"");
  CHECK(r.renames[1].text() == "rename \"a.**\" -> \"b.$1\"");
  CHECK(r.includes.size() == 1);
  CHECK(r.excludes.size() == 2);
  CHECK(r.keeps.size() == 1);
  CHECK(r.expects.size() == 1);
  CHECK(r.mode == graft::rules::plan_mode::lenient);
}

TEST_CASE("a layout names at most max_layout_rows rows on each side", "[rules][load]") {
  const auto layout = [](const std::string& segments) {
    return load_rules_text("l.graft", "joints a = [x, y]\nreshape \"w\" { dim 0 = " + segments + " }\n",
                           no_installed());
  };
  CHECK(graft::rules::max_layout_rows == 16777216);
  CHECK_NOTHROW(layout("keep 16777216"));
  CHECK_NOTHROW(layout("drop 16777216, new 16777216"));  // each side on its own
  CHECK_NOTHROW(layout("(a -> a) * 8388608"));
  CHECK_THROWS_WITH(
      layout("keep 16777217"),
      test::StartsWith("l.graft:2:23: keep 16777217 names more rows than a layout takes (at most 16777216)"));
  CHECK_THROWS_WITH(layout("8388609 * (a -> a)"), test::StartsWith("l.graft:2:23: 8388609 * (a -> a) names more rows"));
  CHECK_THROWS_WITH(
      layout("keep 16777215, a -> a"),
      test::StartsWith("l.graft:2:38: dim 0 layout is too long: with a -> a it names 16777217 -> 16777217 "
                       "rows (at most 16777216 on each side)"));
}
