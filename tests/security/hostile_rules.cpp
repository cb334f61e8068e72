// Hostile rules files: import cycles and missing imports, files that are not text, absurd sizes
// and nesting, NUL bytes, CRLF line ends, FIFOs and devices named by `use`. Each must end in a
// typed graft error (parse_error, rules_error or usage_error) whose headline is one clear line, or
// load cleanly; never a crash, a hang or a read of something that is not a regular file.

#include <graft/dsl/parse.hpp>
#include <graft/rules/load.hpp>

#include "support/catch.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using graft::rules::load_options;
using graft::rules::load_rules;
using graft::rules::load_rules_text;
using test::Contains;
using namespace std::string_literals;

namespace {

struct temp_tree {
  fs::path root;
  temp_tree() {
    static int n = 0;
    root = fs::path(GRAFT_BINARY_DIR) / "security-scratch" /
           ("rules-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::create_directories(root);
  }
  ~temp_tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  fs::path write(const std::string& rel, const std::string& text) const {
    fs::path p = root / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
};

load_options no_installed() {
  load_options o;
  o.use_installed_rules = false;
  return o;
}

/// A located error: a one-line headline "file:line:col: message", a short excerpt.
void check_located(const graft::located_error& e) {
  CHECK(e.headline().find('\n') == std::string::npos);
  CHECK(!e.message().empty());
  CHECK(e.message().size() < 600);
  const std::string what = e.what();
  CHECK(what.rfind(e.headline(), 0) == 0);
  CHECK(what.size() < 1200);  // the excerpt is clipped, however long the line
}

template <typename Error, typename F>
void throws(F&& f, const std::string& what) {
  try {
    f();
    FAIL("no error");
  } catch (const Error& e) {
    if constexpr (std::is_base_of_v<graft::located_error, Error>) {
      check_located(e);
      CHECK_THAT(e.headline(), Contains(what));
    } else {
      CHECK_THAT(std::string(e.what()), Contains(what));
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

/// Either loads or fails with a typed error with a one-line headline.
void loads_or_refuses(const std::string& text) {
  try {
    load_rules_text("hostile.graft", text, no_installed());
  } catch (const graft::located_error& e) {
    check_located(e);
  }
}

template <typename F>
double seconds(F&& f) {
  auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("security rules: import cycles, missing imports, non-files") {
  temp_tree t;
  auto a = t.write("a.graft", "use \"b.graft\"\n");
  t.write("b.graft", "use \"c.graft\"\n");
  t.write("c.graft", "use \"a.graft\"\n");
  throws<graft::rules_error>([&] { load_rules(a, no_installed()); }, "import cycle");
  auto self = t.write("self.graft", "strip \"module.\"\nuse \"self.graft\"\n");
  throws<graft::rules_error>([&] { load_rules(self, no_installed()); }, "import cycle");
  // the same file through a symbolic link is still a cycle
  fs::create_symlink(t.root / "l1.graft", t.root / "link.graft");
  auto l1 = t.write("l1.graft", "use \"link.graft\"\n");
  throws<graft::rules_error>([&] { load_rules(l1, no_installed()); }, "import cycle");
  auto missing = t.write("missing.graft", "use \"nowhere/nothing.graft\"\n");
  throws<graft::rules_error>([&] { load_rules(missing, no_installed()); }, "cannot find \"nowhere/nothing.graft\"");
  // devices, directories and FIFOs are not rules files: never opened (a FIFO would block forever)
  REQUIRE(::mkfifo((t.root / "fifo.graft").c_str(), 0600) == 0);
  auto dev = t.write("dev.graft", "use \"/dev/zero\"\n");
  // names that are not *.graft are refused before the file system is asked (tests/security/safe_output.cpp)
  throws<graft::rules_error>([&] { load_rules(dev, no_installed()); }, "use \"/dev/zero\": not a rules file name");
  auto dir = t.write("dir.graft", "use \"sub\"\n");
  fs::create_directories(t.root / "sub");
  throws<graft::rules_error>([&] { load_rules(dir, no_installed()); }, "use \"sub\": not a rules file name");
  auto graft_dir = t.write("graftdir.graft", "use \"sub.graft\"\n");
  fs::create_directories(t.root / "sub.graft");
  throws<graft::rules_error>([&] { load_rules(graft_dir, no_installed()); }, "cannot find \"sub.graft\"");
  auto fifo = t.write("usefifo.graft", "use \"fifo.graft\"\n");
  throws<graft::rules_error>([&] { load_rules(fifo, no_installed()); }, "cannot find \"fifo.graft\"");
  throws<graft::usage_error>([&] { load_rules(t.root / "fifo.graft", no_installed()); }, "no such rules file");
  throws<graft::usage_error>([&] { load_rules("/dev/null", no_installed()); }, "no such rules file");
  throws<graft::usage_error>([&] { load_rules(t.root / "absent.graft", no_installed()); }, "no such rules file");
  // an empty `use`
  throws<graft::rules_error>([] { load_rules_text("e.graft", "use \"\"\n", no_installed()); }, "use needs a file name");
}

TEST_CASE("security rules: a long import chain and a wide diamond load once each") {
  temp_tree t;
  for (int i = 0; i < 300; ++i)
    t.write("c" + std::to_string(i) + ".graft", "use \"c" + std::to_string(i + 1) + ".graft\"\n");
  t.write("c300.graft", "strip \"module.\"\n");
  CHECK_NOTHROW(load_rules(t.root / "c0.graft", no_installed()));
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "use \"c300.graft\"\n";
  CHECK_NOTHROW(load_rules(t.write("many.graft", many), no_installed()));
}

TEST_CASE("security rules: binary garbage, NUL bytes, odd encodings") {
  std::mt19937 rng(2024);
  for (int i = 0; i < 200; ++i) {
    std::string junk(1 + rng() % 512, '\0');
    for (char& c : junk) c = static_cast<char>(rng() & 0xff);
    loads_or_refuses(junk);
  }
  throws<graft::parse_error>([] { load_rules_text("nul.graft", "strip \"a\"\n\0strip \"b\"\n"s, no_installed()); },
                             "nul.graft:2:1: expected a statement");
  loads_or_refuses("strip \"a\0b\"\n"s);  // a NUL inside a quoted pattern is just a byte
  throws<graft::parse_error>([] { load_rules_text("nul.graft", "stri\0p \"a\"\n"s, no_installed()); }, "saw 'stri'");
  throws<graft::parse_error>([] { load_rules_text("nul.graft", std::string(4096, '\0'), no_installed()); },
                             "saw byte 0x00");
  // a UTF-8 byte-order mark, UTF-16, invalid UTF-8
  loads_or_refuses("\xef\xbb\xbfstrip \"module.\"\n");
  throws<graft::parse_error>([] { load_rules_text("u16.graft", "s\0t\0r\0i\0p\0"s, no_installed()); }, "u16.graft:1:");
  loads_or_refuses("exclude \"\xff\xfe\xc3\x28\"\n");
  throws<graft::parse_error>([] { load_rules_text("u8.graft", "\xc3\xa9xclude \"x\"\n", no_installed()); },
                             "u8.graft:1:1:");
  // an escape or a string cut by the end of the file
  throws<graft::parse_error>([] { load_rules_text("eof.graft", "strip \"abc\\", no_installed()); }, "eof.graft:1:");
  throws<graft::parse_error>([] { load_rules_text("eof.graft", "strip \"abc", no_installed()); }, "closing '\"'");
  loads_or_refuses("# a comment without a line end");
  loads_or_refuses("");
}

TEST_CASE("security rules: CRLF line ends") {
  CHECK_NOTHROW(
      load_rules_text("crlf.graft", "strip \"module.\"\r\nexclude \"a.b\"\r\n# c\r\nmode lenient\r\n", no_installed()));
  // positions stay right with CRLF
  throws<graft::parse_error>(
      [] { load_rules_text("crlf.graft", "strip \"a\"\r\nstrip \"b\"\r\nstrip 7\r\n", no_installed()); },
      "crlf.graft:3:7:");
  // a CR inside a string is refused, as a LF is
  throws<graft::parse_error>([] { load_rules_text("cr.graft", "strip \"a\rb\"\n", no_installed()); }, "cr.graft:1:");
  loads_or_refuses("strip \"a\"\r\r\r\n\rexclude \"b\"\r");
}

TEST_CASE("security rules: huge lines, nesting and counts") {
  const std::string mb(1u << 20, 'a');
  // a 1 MB line of a name: one error, a clipped excerpt
  throws<graft::parse_error>([&] { load_rules_text("long.graft", mb, no_installed()); },
                             "long.graft:1:1: expected a statement");
  throws<graft::parse_error>([&] { load_rules_text("long.graft", "strip " + mb, no_installed()); }, "long.graft:1:7:");
  throws<graft::parse_error>([&] { load_rules_text("long.graft", "strip \"" + mb, no_installed()); }, "closing '\"'");
  throws<graft::parse_error>(
      [&] { load_rules_text("long.graft", "strip \"x\" " + std::string(1u << 20, ' ') + "@", no_installed()); },
      "long.graft:1:1048587:");
  // a valid 1 MB line
  loads_or_refuses("exclude \"" + mb + "\"\n");
  // 100,000 nested brackets of each kind
  for (char open : {'[', '(', '{'}) {
    const std::string nest = std::string(100000, open);
    throws<graft::parse_error>([&] { load_rules_text("nest.graft", nest, no_installed()); }, "nest.graft:1:1:");
    throws<graft::parse_error>([&] { load_rules_text("nest.graft", "joints j = " + nest, no_installed()); },
                               "nest.graft:1:");
    throws<graft::parse_error>(
        [&] { load_rules_text("nest.graft", "reshape \"w\" { dim 0 = " + nest, no_installed()); }, "nest.graft:1:");
  }
  // counts and dimensions that do not fit in 64 bits
  throws<graft::rules_error>(
      [] {
        load_rules_text("n.graft",
                        "joints a = [x]\njoints b = [y]\nreshape \"w\" { dim 0 = drop 99999999999999999999999 }\n",
                        no_installed());
      },
      "n.graft:3:28: count 99999999999999999999999 is too large (at most 9223372036854775807)");
  // ... and the same in rename templates and in layouts whose lengths would overflow when added
  throws<graft::rules_error>(
      [] { load_rules_text("t.graft", "rename \"a.*\" -> \"b.$99999999999999999999999\"\n", no_installed()); },
      "t.graft:1:20: $99999999999999999999999 refers to no capture");
  throws<graft::rules_error>(
      [] {
        load_rules_text("n.graft",
                        "reshape \"w\" { dim 0 = keep 9223372036854775807, keep 9223372036854775807, keep 2 }\n",
                        no_installed());
      },
      "n.graft:1:23: keep 9223372036854775807 names more rows than a layout takes");
  loads_or_refuses("joints a = [x]\njoints b = [y]\nreshape \"w\" { dim 99999999999999999999 = a -> b }\n");
  loads_or_refuses(
      "joints a = [x]\njoints b = [x]\nreshape \"w\" { dim -9223372036854775808 = a -> b, new 9223372036854775807 }\n");
  // a joint set of 100,000 joints, one of 100,000 copies of the same joint
  {
    std::string big = "joints big = [j0";
    for (int i = 1; i < 100000; ++i) big += ", j" + std::to_string(i);
    CHECK_NOTHROW(load_rules_text("big.graft", big + "]\n", no_installed()));
    std::string dup = "joints dup = [j";
    for (int i = 1; i < 100000; ++i) dup += ", j";
    throws<graft::rules_error>([&] { load_rules_text("dup.graft", dup + "]\n", no_installed()); }, "dup.graft:1:");
  }
}

TEST_CASE("security rules: a 10 MB file of valid rules loads in bounded time") {
  std::string text;
  text.reserve(10u << 20);
  int i = 0;
  while (text.size() < (10u << 20)) text += "exclude \"backbone.layer" + std::to_string(i++) + ".**\"  # generated\n";
  double s = seconds([&] { CHECK_NOTHROW(load_rules_text("ten_mb.graft", text, no_installed())); });
  CHECK(s < 60);
  // and a 10 MB file of comments only
  std::string comments;
  while (comments.size() < (10u << 20)) comments += "# nothing to see here, just a comment line\n";
  CHECK_NOTHROW(load_rules_text("comments.graft", comments, no_installed()));
}
