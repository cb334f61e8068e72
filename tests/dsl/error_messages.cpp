// Golden tests: every file in tests/data/malformed/ fails with exactly the message in its .expected file.

#include <graft/rules/load.hpp>
#include <graft/vocabulary.hpp>

#include "support/catch.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The message graft gives for a rules file, as "TYPE: what()".
std::string message_for(const fs::path& file) {
  const std::string name = "malformed/" + file.filename().string();
  graft::rules::load_options options;
  options.use_installed_rules = false;
  try {
    graft::rules::load_rules_text(name, slurp(file), options);
  } catch (const graft::parse_error& e) {
    return std::string("parse_error: ") + e.what();
  } catch (const graft::rules_error& e) {
    return std::string("rules_error: ") + e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("every malformed rules file fails with its golden message", "[dsl][errors]") {
  const fs::path dir = fs::path(GRAFT_TEST_DATA_DIR) / "malformed";
  int checked = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".graft") continue;
    const fs::path expected_file = fs::path(entry.path()).replace_extension(".expected");
    INFO("file: " << entry.path().filename().string());
    REQUIRE(fs::exists(expected_file));
    std::string expected = slurp(expected_file);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    CHECK(message_for(entry.path()) == expected);
    ++checked;
  }
  CHECK(checked >= 25);
}

TEST_CASE("parse_error exposes file, line and column", "[dsl][errors]") {
  try {
    graft::dsl::parse("x.graft", "joints a = [b]\nrename \"a\" \"b\"\n");
    FAIL("no error");
  } catch (const graft::parse_error& e) {
    CHECK(e.file() == "x.graft");
    CHECK(e.line() == 2);
    CHECK(e.column() == 12);
    CHECK(e.message() == "expected '->', saw \"b\"");
    CHECK(e.headline() == "x.graft:2:12: expected '->', saw \"b\"");
  }
}

TEST_CASE("errors point at the token, past blank lines and comments", "[dsl][errors]") {
  try {
    graft::dsl::parse("y.graft", "include\n\n  # nothing here\n\n   42\n");
    FAIL("no error");
  } catch (const graft::parse_error& e) {
    CHECK(e.line() == 5);
    CHECK(e.column() == 4);
    CHECK(e.message() == "expected a quoted string, saw '42'");
  }
}

TEST_CASE("an error at the end of the file points just after the last token", "[dsl][errors]") {
  const auto where = [](const std::string& text) {
    try {
      graft::dsl::parse("e.graft", text);
    } catch (const graft::parse_error& e) {
      CHECK_THAT(e.message(), test::Contains("saw end of file"));
      return std::to_string(e.line()) + ":" + std::to_string(e.column());
    }
    return std::string("no error");
  };
  CHECK(where("reshape \"x\" {\n") == "1:14");  // was 2:1, a caret under nothing
  CHECK(where("reshape \"x\" {") == "1:14");    // no line break at the end: the same place
  CHECK(where("include \"a\",\r\n\r\n") == "1:13");
  CHECK(where("joints a = [x,\n  # y, z\n\n") == "1:15");     // past comments
  CHECK(where("strip \"x\"\nrename \"a#b\"  \n") == "2:13");  // a '#' in a string is no comment
  CHECK(where("mode\n\n\n") == "1:5");
}

TEST_CASE("tabs in the source line are kept under the caret", "[dsl][errors]") {
  try {
    graft::dsl::parse("t.graft", "\tmode\tfast\n");
    FAIL("no error");
  } catch (const graft::parse_error& e) {
    CHECK(std::string(e.what()) == "t.graft:1:7: expected strict or lenient, saw 'fast'\n\tmode\tfast\n\t    \t^");
  }
}

TEST_CASE("a very long line is clipped around the error", "[dsl][errors]") {
  std::string text = "include \"" + std::string(1'000'000, 'a') + "\" 7\n";
  try {
    graft::dsl::parse("long.graft", text);
    FAIL("no error");
  } catch (const graft::parse_error& e) {
    CHECK(e.column() == 1'000'012);
    CHECK(std::string(e.what()).size() < 600);
  }
}

TEST_CASE("deeply nested brackets are an error, not a crash", "[dsl][errors]") {
  std::string text = "joints a = " + std::string(100'000, '[') + "\n";
  CHECK_THROWS_AS(graft::dsl::parse("nest.graft", text), graft::parse_error);
}

TEST_CASE("messages name the words of the vocabulary, not slices of the text", "[dsl][errors]") {
  // Each count word of a layout with a zero count: "new needs ...", not "new  needs ..." (the first
  // four characters of "new 0").
  graft::rules::load_options options;
  options.use_installed_rules = false;
  for (const auto& row : graft::count_table) {
    const std::string word(row.word);
    INFO(word);
    try {
      graft::rules::load_rules_text("w.graft", "reshape \"x\" { dim 0 = keep,\t" + word + " 0 }", options);
      FAIL("no error");
    } catch (const graft::rules_error& e) {
      CHECK(e.headline() == "w.graft:1:29: " + word + " needs a count of at least 1");
    }
  }
  // The grammar's lists of words come from the tables too.
  try {
    graft::dsl::parse("s.graft", "reshape \"x\" { dim 0 = 7 }");
    FAIL("no error");
  } catch (const graft::parse_error& e) {
    std::string counted;
    for (const auto& row : graft::count_table) counted += ", " + std::string(row.word) + " N";
    CHECK(e.message() ==
          "expected a layout segment (keep, keep N" + counted + ", A -> B, (A -> B) * k, k * (A -> B)), saw '7'");
  }
}
