// The parser turns every statement of the language into the syntax tree, with positions.

#include <graft/dsl/parse.hpp>

#include "support/catch.hpp"

namespace ast = graft::dsl::ast;

namespace {
template <typename T, typename Variant>
const T& as(const Variant& s) {
  const T* p = boost::get<T>(&s);
  REQUIRE(p != nullptr);
  return *p;
}
}  // namespace

TEST_CASE("use, joints and map", "[dsl][parse]") {
  auto f = graft::dsl::parse("a.graft", R"(use "joints/coco.graft"
joints coco = [nose, left_eye,
               right_eye]   # a list across lines
map coco -> crowdpose {
  head = nose
  neck = mean(left_shoulder, right_shoulder); top = nose, chin = mean(nose)
  keep ear, eye; keep brow
}
)");
  REQUIRE(f.size() == 3);
  CHECK(as<ast::use_stmt>(f[0]).path.text == "joints/coco.graft");
  const auto& js = as<ast::label_set_stmt>(f[1]);
  CHECK(js.name.text == "coco");
  REQUIRE(js.members.size() == 3);
  CHECK(js.members[2].text == "right_eye");
  const auto& m = as<ast::map_stmt>(f[2]);
  CHECK(m.from.text == "coco");
  CHECK(m.to.text == "crowdpose");
  REQUIRE(m.entries.size() == 6);
  const auto entry = [&](std::size_t i) { return as<ast::map_entry>(m.entries.at(i)); };
  CHECK(entry(0).target.text == "head");
  CHECK_FALSE(entry(0).source.mean);
  CHECK(entry(0).source.joints.at(0).text == "nose");
  CHECK(entry(1).source.mean);
  CHECK(entry(1).source.joints.size() == 2);
  CHECK(entry(3).source.mean);
  CHECK(entry(3).source.joints.size() == 1);
  const auto& keep = as<ast::map_fill>(m.entries.at(4));
  REQUIRE(keep.labels.size() == 2);
  CHECK(keep.labels[1].text == "eye");
  CHECK(as<ast::map_fill>(m.entries.at(5)).labels.at(0).text == "brow");
}

TEST_CASE("expect labels", "[dsl][parse]") {
  auto f = graft::dsl::parse("l.graft", R"(expect labels "fc.{weight,bias}", "head.*" dim 1 = a -> b { x = y; keep z }
expect labels "g" dim 0 = a -> b {}
expect kept "k"
)");
  REQUIRE(f.size() == 3);
  const auto& x = as<ast::expect_labels_stmt>(f[0]);
  REQUIRE(x.patterns.size() == 2);
  CHECK(x.patterns[1].text == "head.*");
  CHECK(x.dim == 1);
  CHECK(x.from.text == "a");
  CHECK(x.to.text == "b");
  REQUIRE(x.entries.size() == 2);
  CHECK(as<ast::map_fill>(x.entries[1]).labels.at(0).text == "z");
  CHECK(as<ast::expect_labels_stmt>(f[1]).entries.empty());
  CHECK(as<ast::expect_stmt>(f[2]).expected == graft::category::kept);
}

TEST_CASE("strip, rename, include, exclude, keep", "[dsl][parse]") {
  auto f = graft::dsl::parse("b.graft", R"(strip "module."
rename "backbone.**" -> "$1"
include "conv1.*", "bn1.*",
        "layer1.**"
exclude "**.num_batches_tracked"
keep "head.**"
)");
  REQUIRE(f.size() == 5);
  CHECK(as<ast::strip_stmt>(f[0]).prefix.text == "module.");
  CHECK(as<ast::rename_stmt>(f[1]).pattern.text == "backbone.**");
  CHECK(as<ast::rename_stmt>(f[1]).replacement.text == "$1");
  const auto& inc = as<ast::filter_stmt>(f[2]);
  CHECK(inc.kind == ast::filter_kind::include);
  CHECK(inc.patterns.size() == 3);
  CHECK(as<ast::filter_stmt>(f[3]).kind == ast::filter_kind::exclude);
  CHECK(as<ast::filter_stmt>(f[4]).kind == ast::filter_kind::keep);
}

TEST_CASE("reshape with every layout segment and literal step", "[dsl][parse]") {
  auto f = graft::dsl::parse("c.graft", R"(reshape "x" {
  dim 0 = keep, (coco -> crowdpose) * 15, 2 * (coco -> crowdpose), drop 3, new 4, keep 1, coco -> crowdpose
  dim 1 = keep
}
reshape "y" { view; permute 3 2 0 1 transpose 0 1 squeeze -1 unsqueeze 0 }
)");
  REQUIRE(f.size() == 2);
  const auto& r = as<ast::reshape_stmt>(f[0]);
  REQUIRE(r.ops.size() == 2);
  const auto& d0 = boost::get<ast::dim_op>(r.ops[0]);
  CHECK(d0.dim == 0);
  REQUIRE(d0.segments.size() == 7);
  CHECK_FALSE(boost::get<ast::keep_segment>(d0.segments[0]).count.has_value());
  CHECK(boost::get<ast::grouped_segment>(d0.segments[1]).repeat == 15);
  CHECK(boost::get<ast::blocked_segment>(d0.segments[2]).repeat == 2);
  CHECK(boost::get<ast::blocked_segment>(d0.segments[2]).to.text == "crowdpose");
  CHECK(boost::get<ast::count_segment>(d0.segments[3]).kind == ast::count_kind::drop);
  CHECK(boost::get<ast::count_segment>(d0.segments[4]).kind == ast::count_kind::fresh);
  CHECK(*boost::get<ast::keep_segment>(d0.segments[5]).count == 1);
  CHECK(boost::get<ast::joint_segment>(d0.segments[6]).from.text == "coco");
  const auto& y = as<ast::reshape_stmt>(f[1]);
  REQUIRE(y.ops.size() == 5);
  CHECK(boost::get<ast::shape_op>(y.ops[0]).kind == ast::shape_op_kind::view);
  CHECK(boost::get<ast::shape_op>(y.ops[1]).args == std::vector<std::int64_t>{3, 2, 0, 1});
  CHECK(boost::get<ast::shape_op>(y.ops[3]).args == std::vector<std::int64_t>{-1});
  CHECK(boost::get<ast::shape_op>(y.ops[4]).kind == ast::shape_op_kind::unsqueeze);
}

TEST_CASE("expect and mode", "[dsl][parse]") {
  auto f = graft::dsl::parse("d.graft", "expect mapped \"final_layers.**\", \"x\"\nexpect kept \"a\"\nmode lenient\n");
  REQUIRE(f.size() == 3);
  CHECK(as<ast::expect_stmt>(f[0]).expected == ast::category::mapped);
  CHECK(as<ast::expect_stmt>(f[0]).patterns.size() == 2);
  CHECK(as<ast::expect_stmt>(f[1]).expected == ast::category::kept);
  CHECK(as<ast::mode_stmt>(f[2]).mode == ast::plan_mode::lenient);
}

TEST_CASE("string escapes", "[dsl][parse]") {
  auto f = graft::dsl::parse("e.graft", R"(strip "a\"b\\c\td\n")");
  CHECK(as<ast::strip_stmt>(f[0]).prefix.text == "a\"b\\c\td\n");
}

TEST_CASE("keywords need a word boundary", "[dsl][parse]") {
  CHECK_THROWS_AS(graft::dsl::parse("f.graft", "keeper \"x\""), graft::parse_error);
  auto f = graft::dsl::parse("f.graft", "joints keep_set = [keepme, newt, drop_it]");
  CHECK(as<ast::label_set_stmt>(f[0]).name.text == "keep_set");
}

TEST_CASE("positions are byte offsets of each token", "[dsl][parse]") {
  auto source = std::make_shared<const graft::source_text>("g.graft", "# header\n  rename \"a.*\" -> \"b.$1\"\n");
  auto f = graft::dsl::parse(source);
  const auto& r = as<ast::rename_stmt>(f[0]);
  graft::source_location stmt(source, r.offset), pat(source, r.pattern.offset), tpl(source, r.replacement.offset);
  CHECK(stmt.str() == "g.graft:2:3");
  CHECK(pat.str() == "g.graft:2:10");
  CHECK(tpl.str() == "g.graft:2:19");
}

TEST_CASE("empty files and comment-only files are fine", "[dsl][parse]") {
  CHECK(graft::dsl::parse("h.graft", "").empty());
  CHECK(graft::dsl::parse("h.graft", "# nothing\n\n   # at all").empty());
}

TEST_CASE("label sets: the labels word, quoted labels, label files, fill rules and *", "[dsl][parse]") {
  auto f = graft::dsl::parse("l.graft", R"(labels pets = ["great white shark", tench, "jack-o'-lantern"]
labels vocab from "vocab.labels"
joints coco from "coco.txt"
map a -> b { "great white shark" = tench; x = mean(*); zero y, "z z"; * = mean(*) }
map c -> d { keep * }
)");
  REQUIRE(f.size() == 5);
  const auto& pets = as<ast::label_set_stmt>(f[0]);
  CHECK(pets.kind == graft::label_kind::labels);
  REQUIRE(pets.members.size() == 3);
  CHECK(pets.members[0].text == "great white shark");
  CHECK(pets.members[2].text == "jack-o'-lantern");
  const auto& vocab = as<ast::label_file_stmt>(f[1]);
  CHECK(vocab.kind == graft::label_kind::labels);
  CHECK(vocab.name.text == "vocab");
  CHECK(vocab.path.text == "vocab.labels");
  CHECK(as<ast::label_file_stmt>(f[2]).kind == graft::label_kind::joints);
  const auto& m = as<ast::map_stmt>(f[3]);
  REQUIRE(m.entries.size() == 4);
  CHECK(as<ast::map_entry>(m.entries[0]).target.text == "great white shark");
  const auto& all = as<ast::map_entry>(m.entries[1]).source;
  CHECK(all.mean);
  REQUIRE(all.joints.size() == 1);
  CHECK(all.joints[0].text.empty());  // `*`
  const auto& zero = as<ast::map_fill>(m.entries[2]);
  CHECK(zero.kind == graft::fill_kind::zero);
  CHECK(zero.labels.at(1).text == "z z");
  CHECK(as<ast::map_entry>(m.entries[3]).target.text.empty());
  const auto& keep_all = as<ast::map_fill>(as<ast::map_stmt>(f[4]).entries.at(0));
  CHECK(keep_all.kind == graft::fill_kind::keep);
  CHECK(keep_all.labels.at(0).text.empty());
}

TEST_CASE("label sets: a label set needs '= [...]' or from \"file\"", "[dsl][parse]") {
  CHECK_THROWS_WITH(graft::dsl::parse("l.graft", "labels pets frm \"x.labels\"\n"),
                    test::Contains("expected '= [labels]' or 'from \"file\"'"));
  CHECK_THROWS_WITH(graft::dsl::parse("l.graft", "labels pets = [a, *]\n"),
                    test::Contains("expected a label (a name or a quoted string)"));
}
