// Output safe to print: names read from inputs may hold any byte. Control bytes (ESC ] 0; ... BEL, a
// line break that fakes "plan ok") and bytes that are not UTF-8 are shown as \xNN in reports, explain
// and error messages (detail::printable); JSON is always well-formed UTF-8 (detail::json_quote); a
// `use` target must be a rules file (*.graft, links followed), so no other file is read or quoted.

#include <graft/detail/text.hpp>
#include <graft/error.hpp>
#include <graft/io/detail/json.hpp>
#include <graft/plan/explain.hpp>
#include <graft/plan/json.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>

#include "plan/plan_helpers.hpp"
#include "scratch.hpp"
#include "support/catch.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using graft::detail::is_utf8;
using graft::detail::printable;
using test::Contains;
namespace fs = std::filesystem;

namespace {

const std::string esc_title = "a\x1b]0;pwned\x07.w";              // sets the terminal's title
const std::string fake_ok = "b\nplan ok (0 errors, 0 warnings)";  // a line that fakes the verdict
const std::string latin1 = "caf\xe9.w";                           // not UTF-8
const std::string c1 =
    "c\xc2\x9b"
    "31m.w";  // U+009B: CSI on some terminals

/// True when `s` holds a control byte other than a line break, or is not UTF-8.
bool has_unsafe_byte(const std::string& s) {
  const bool control = std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n') || u == 0x7f;
  });
  return control || !is_utf8(s) || s.find("\xc2\x9b") != std::string::npos;
}

std::size_t count_lines_starting(const std::string& text, const std::string& head) {
  std::size_t n = 0;
  for (std::size_t at = 0; at < text.size();) {
    if (text.compare(at, head.size(), head) == 0) ++n;
    const std::size_t nl = text.find('\n', at);
    if (nl == std::string::npos) break;
    at = nl + 1;
  }
  return n;
}

/// A plan whose source and destination names hold hostile bytes (all unused/kept: no rules).
graft::plan hostile_plan(const graft::rules::ruleset& rules) {
  graft::tensor_set src = {test::t(esc_title, {2}), test::t(fake_ok, {2}), test::t(latin1, {2}), test::t(c1, {2})};
  graft::tensor_set dst = {test::t(esc_title, {2}), test::t(fake_ok + "!", {3})};
  graft::plan_options lenient;
  lenient.lenient = true;
  return graft::make_plan(rules, src, dst, lenient);
}

}  // namespace

TEST_CASE("printable escapes control bytes, C1 controls and bytes that are not UTF-8", "[security][output]") {
  CHECK(printable(esc_title) == "a\\x1b]0;pwned\\x07.w");
  CHECK(printable("x\ny\r\t\x7f") == "x\\x0ay\\x0d\\x09\\x7f");
  CHECK(printable(latin1) == "caf\\xe9.w");
  CHECK(printable(c1) == "c\\xc2\\x9b31m.w");
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // a surrogate
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");           // an overlong '/'
  CHECK(printable("\xe2\x82") == "\\xe2\\x82");           // a cut sequence
  // Text that is safe stays as it is: ASCII, UTF-8 (2, 3 and 4 bytes), backslashes.
  const std::string fine = "k\xc3\xb6ln.\xe9\x87\x8d\xe3\x81\xbf.\xf0\x9f\x99\x82 a\\b \xc2\xa0";
  CHECK(printable(fine) == fine);
}

TEST_CASE("json_quote writes well-formed UTF-8 JSON for any bytes", "[security][output]") {
  const auto quoted = [](const std::string& s) {
    std::string out;
    graft::detail::json_quote(out, s);
    return out;
  };
  CHECK(quoted(esc_title) == "\"a\\u001b]0;pwned\\u0007.w\"");
  CHECK(quoted(latin1) == "\"caf\\u00e9.w\"");  // the byte's value, as Latin-1 reads it
  CHECK(quoted(c1) == "\"c\\u009b31m.w\"");
  CHECK(quoted("q\"\\\n\x7f") == "\"q\\\"\\\\\\n\\u007f\"");
  CHECK(quoted("k\xc3\xb6ln") == "\"k\xc3\xb6ln\"");
  // Every byte value, alone and after a lead byte: the result parses and is UTF-8.
  for (int b = 0; b < 256; ++b) {
    for (const std::string& s : std::vector<std::string>{std::string(1, static_cast<char>(b)),
                                                         "\xe2" + std::string(1, static_cast<char>(b))}) {
      const std::string q = quoted(s);
      INFO("byte " << b);
      CHECK(is_utf8(q));
      CHECK_NOTHROW(graft::io::detail::parse_json(q));
    }
  }
}

TEST_CASE("the plan report shows hostile names escaped, and one verdict line", "[security][output]") {
  const auto rules = test::rules_text("");
  const graft::plan p = hostile_plan(rules);
  const std::string report = graft::format_report(p);
  INFO(report);
  CHECK_FALSE(has_unsafe_byte(report));
  CHECK(report.find("a\\x1b]0;pwned\\x07.w") != std::string::npos);
  CHECK(report.find("caf\\xe9.w") != std::string::npos);
  CHECK(count_lines_starting(report, "plan ok") + count_lines_starting(report, "plan FAILED") == 1);
  CHECK(report.find("b\\x0aplan ok (0 errors, 0 warnings)") != std::string::npos);
}

TEST_CASE("plan JSON with hostile names is well-formed UTF-8 JSON", "[security][output]") {
  const auto rules = test::rules_text("");
  const std::string json = graft::format_json(hostile_plan(rules));
  CHECK(is_utf8(json));
  CHECK_FALSE(has_unsafe_byte(json.substr(0, json.size() - 1)));  // but its final line break
  CHECK_NOTHROW(graft::io::detail::parse_json(json));
  CHECK(json.find("\"a\\u001b]0;pwned\\u0007.w\"") != std::string::npos);
}

TEST_CASE("explain shows hostile names escaped", "[security][output]") {
  const auto rules = test::rules_text("rename \"**.w\" -> \"$1.w\"\n");
  graft::tensor_set src = {test::t(esc_title, {2}), test::t(fake_ok, {2})};
  graft::tensor_set dst = {test::t(esc_title, {2})};
  graft::plan_options lenient;
  lenient.lenient = true;
  for (const std::string& name : std::vector<std::string>{esc_title, fake_ok}) {
    const std::string text = graft::explain(rules, src, dst, name, lenient);
    INFO(text);
    CHECK_FALSE(has_unsafe_byte(text));
    CHECK(text.find(printable(name)) != std::string::npos);
    CHECK(count_lines_starting(text, "plan ok") == 0);
  }
  // A name that is not there: the usage_error quotes it escaped.
  CHECK_THROWS_WITH(graft::explain(rules, src, dst, "zz\x1b[2J", lenient), Contains("'zz\\x1b[2J'"));
}

TEST_CASE("error messages are one line, safe to print", "[security][output]") {
  const graft::usage_error e("no tensor named '" + fake_ok + esc_title + "'");
  const std::string what = e.what();
  CHECK(what.find('\n') == std::string::npos);
  CHECK_FALSE(has_unsafe_byte(what));
  CHECK(what == "no tensor named 'b\\x0aplan ok (0 errors, 0 warnings)a\\x1b]0;pwned\\x07.w'");
  // A located error: the message is escaped; the line break before the excerpt is the only one.
  try {
    test::rules_text("rename \"x\" -> \"y\"\n\x1b]0;t\x07 \xff\n");
    FAIL("the bytes parse");
  } catch (const graft::parse_error& located) {
    const std::string text = located.what();
    INFO(text);
    CHECK(std::count(text.begin(), text.end(), '\n') == 2);  // headline, excerpt line, caret line
    CHECK_FALSE(has_unsafe_byte(text));
    CHECK(located.message().find('\x1b') == std::string::npos);
  }
}

TEST_CASE("a use target must be a rules file: nothing else is read or quoted", "[security][output]") {
  const fs::path dir = security_test::fresh_folder("safe_output", "use");
  {
    std::ofstream(dir / "secret.txt") << "GRAFT_SECRET=hunter2\n";
    std::ofstream(dir / "ok.graft") << "strip \"module.\"\n";
  }
  fs::create_symlink(dir / "secret.txt", dir / "secret.graft");
  fs::create_symlink("/proc/self/environ", dir / "environ.graft");
  ::setenv("GRAFT_SAFE_OUTPUT_SECRET", "hunter2", 1);
  graft::rules::load_options o;
  o.use_installed_rules = false;
  const auto load = [&](const std::string& text) {
    return graft::rules::load_rules_text((dir / "main.graft").string(), text, o);
  };
  for (const std::string& target :
       std::vector<std::string>{"/proc/self/environ", "secret.txt", (dir / "secret.txt").string(), "secret"}) {
    INFO(target);
    CHECK_THROWS_WITH(load("use \"" + target + "\"\n"),
                      Contains("not a rules file name") && !Contains("hunter2") && !Contains("SECRET"));
  }
  for (const std::string link : {"secret.graft", "environ.graft"}) {
    INFO(link);
    CHECK_THROWS_WITH(load("use \"" + link + "\"\n"),
                      Contains("which is not named *.graft") && !Contains("hunter2") && !Contains("GRAFT_SECRET="));
  }
  CHECK(load("use \"ok.graft\"\n").files.size() == 2);
}

TEST_CASE("every shipped rules file and example still loads", "[security][output]") {
  std::size_t n = 0;
  for (const char* top : {"rules", "examples"}) {
    const fs::path dir = fs::path(GRAFT_RULES_DIR) / ".." / top;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (!e.is_regular_file() || e.path().extension() != ".graft") continue;
      INFO(e.path().string());
      graft::rules::load_options o;
      o.use_installed_rules = false;
      o.include_dirs.emplace_back(GRAFT_RULES_DIR);
      try {
        graft::rules::load_rules(e.path(), o);
        ++n;
      } catch (const graft::parse_error& err) {  // examples of mistakes: still read, never refused by name
        CHECK_THAT(err.what(), !Contains("not a rules file name") && !Contains("not named *.graft"));
        ++n;
      } catch (const graft::rules_error& err) {
        CHECK_THAT(err.what(), !Contains("not a rules file name") && !Contains("not named *.graft"));
        ++n;
      }
    }
  }
  CHECK(n > 10);
}
