// Every shipped rules file accepts the wrapped checkpoints of its family: DataParallel / DDP
// ("module."), HigherHRNet's FP16 nn.Sequential ("1."), torch.compile ("_orig_mod.") and their
// combinations. A wrapped source plans clean in strict mode, exactly as the flat one does (same
// category and same source tensor for every destination and every source), and applying the plans
// on host records gives the same bytes. Nested checkpoints ({"state_dict": ...}) are unwrapped by the
// readers (tests/io), so their name sets are the flat ones.

#include "plan/plan_helpers.hpp"

#include <graft/apply/records.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

using graft::category;

namespace {

struct family {
  const char* rules;
  const char* from;
  const char* onto;
};

// Each shipped rules file with the manifests of its family.
const std::vector<family> families = {
    {"pose/higherhrnet_coco_to_crowdpose.graft", "higherhrnet_w32_512_coco", "higherhrnet_w32_512_crowdpose"},
    {"pose/swahr_coco_to_crowdpose.graft", "swahr_w32_512_coco", "swahr_w32_512_crowdpose"},
    {"pose/dekr_coco_to_crowdpose.graft", "dekr_w32_coco", "dekr_w32_crowdpose"},
    {"backbones/hrnet.graft", "dekr_w32_coco", "dekr_w32_crowdpose"},
    {"backbones/hrnet.graft", "higherhrnet_w32_512_coco", "higherhrnet_w32_512_crowdpose"},
    {"backbones/hrnet_imagenet.graft", "hrnet_w32_imagenet", "higherhrnet_w32_512_crowdpose"},
    {"backbones/hrnet_imagenet.graft", "hrnet_w32_imagenet", "dekr_w32_coco"},
};

const std::vector<std::string> prefixes = {"module.",          "1.", "module.1.", "_orig_mod.", "module._orig_mod.",
                                           "_orig_mod.module."};

graft::tensor_set prefixed(graft::tensor_set set, const std::string& prefix) {
  for (auto& t : set) t.name = prefix + t.name;
  return set;
}

void require_clean(const graft::plan& p) {
  INFO(test::problems(p));
  REQUIRE(p.ok());
  REQUIRE(p.problems.empty());
}

/// The wrapped plan decides every tensor as the flat plan does (sources are in the same order).
void check_same_decisions(const graft::plan& flat, const graft::plan& wrapped) {
  REQUIRE(flat.entries.size() == wrapped.entries.size());
  for (std::size_t i = 0; i < flat.entries.size(); ++i) {
    const auto& a = flat.entries[i];
    const auto& b = wrapped.entries[i];
    INFO(flat.name_of(a));
    CHECK(a.what == b.what);
    CHECK(a.source == b.source);
    CHECK(a.destination == b.destination);
    CHECK(a.mean_of == b.mean_of);
    CHECK(a.steps.size() == b.steps.size());
    CHECK(a.selections.size() == b.selections.size());
    if (a.selections.size() == b.selections.size())
      for (std::size_t s = 0; s < a.selections.size(); ++s) {
        CHECK(a.selections[s].source_index == b.selections[s].source_index);
        CHECK(a.selections[s].destination_index == b.selections[s].destination_index);
      }
  }
}

/// Records for a name/shape set over one shared buffer, each tensor at its own offset (so every
/// tensor's values differ, without a buffer per tensor).
std::vector<graft::io::tensor_record> records(const graft::tensor_set& set, std::uint64_t seed) {
  std::int64_t largest = 0;
  for (const auto& m : set) largest = std::max(largest, graft::numel(m.shape));
  auto data = std::make_shared<std::vector<std::int64_t>>(static_cast<std::size_t>(largest) + set.size() + 1);
  for (std::size_t i = 0; i < data->size(); ++i) {
    const float f = static_cast<float>((i * 2654435761u + seed) % 1000) / 8.0f;  // exact in float32
    std::int64_t v = 0;
    std::memcpy(&v, &f, sizeof f);
    (*data)[i] = v;
  }
  std::vector<graft::io::tensor_record> out;
  for (std::size_t s = 0; s < set.size(); ++s) {
    graft::io::tensor_record r;
    static_cast<graft::tensor_meta&>(r) = set[s];
    r.strides = graft::io::contiguous_strides(r.shape);
    r.storage_offset = static_cast<std::int64_t>(s);
    r.storage = {reinterpret_cast<const std::byte*>(data->data()), data->size() * sizeof(std::int64_t)};
    r.owner = data;
    graft::io::validate_record(r, "test");
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("every shipped rules file plans wrapped sources of its family like flat ones", "[plan][wrappers]") {
  for (const auto& f : families) {
    const auto rules = test::shipped(f.rules);
    const auto source = test::manifest(f.from), destination = test::manifest(f.onto);
    const auto flat = graft::make_plan(rules, source, destination);
    INFO(f.rules << ": " << f.from << " -> " << f.onto);
    require_clean(flat);
    for (const auto& prefix : prefixes) {
      INFO(prefix);
      const auto wrapped = graft::make_plan(rules, prefixed(source, prefix), destination);
      require_clean(wrapped);
      check_same_decisions(flat, wrapped);
    }
  }
}

TEST_CASE("the torch.compile wrapper strips _orig_mod. around DataParallel either way", "[plan][wrappers]") {
  const auto rules = test::shipped("pose/higherhrnet_coco_to_crowdpose.graft");
  for (const auto& [prefix, steps] : {std::tuple<std::string, std::size_t>{"_orig_mod.", 1},
                                      {"module._orig_mod.", 2},
                                      {"_orig_mod.module.", 1},
                                      {"_orig_mod.1.", 2}}) {
    INFO(prefix);
    const auto p = graft::make_plan(rules, prefixed(test::manifest("higherhrnet_w32_512_coco"), prefix),
                                    test::manifest("higherhrnet_w32_512_crowdpose"));
    require_clean(p);
    const auto* conv1 = p.for_destination("conv1.weight");
    REQUIRE(conv1);
    CHECK(conv1->what == category::copied);
    CHECK(conv1->renames.size() == steps);
    CHECK(p.count(category::mapped) == 5);
  }
}

TEST_CASE("the DataParallel DEKR checkpoint drops the same COCO modules and passes its expect lines",
          "[plan][wrappers]") {
  const auto p =
      graft::make_plan(test::shipped("pose/dekr_coco_to_crowdpose.graft"),
                       prefixed(test::manifest("dekr_w32_coco"), "module."), test::manifest("dekr_w32_crowdpose"));
  require_clean(p);
  const auto* nose = p.for_source("module.offset_feature_layers.0.1.adapt_conv.weight");
  REQUIRE(nose);
  CHECK(nose->what == category::excluded);
  CHECK(p.count(category::excluded) == 5 * 24);
  CHECK(p.count(category::kept) == 2 * 24);
  const auto* shoulder = p.for_destination("offset_final_layer.0.weight");
  REQUIRE(shoulder);
  CHECK(p.source[*shoulder->source].name == "module.offset_final_layer.5.weight");
}

TEST_CASE("applying a pose transfer to a wrapped source gives the flat source's bytes", "[plan][wrappers][apply]") {
  for (const auto& f : {families[0], families[1], families[2]}) {
    INFO(f.rules);
    const auto rules = test::shipped(f.rules);
    const auto source = test::manifest(f.from), destination = test::manifest(f.onto);
    const auto templ = records(destination, 7);
    const auto flat_source = records(source, 3);
    const auto flat = graft::apply_records(graft::make_plan(rules, source, destination), flat_source, templ);
    for (const std::string prefix : {"module.", "1.", "_orig_mod."}) {
      INFO(prefix);
      auto wrapped_source = flat_source;
      for (auto& r : wrapped_source) r.name = prefix + r.name;
      const auto p = graft::make_plan(rules, prefixed(source, prefix), destination);
      require_clean(p);
      const auto out = graft::apply_records(p, wrapped_source, templ);
      REQUIRE(out.size() == flat.size());
      std::size_t differ = 0;
      for (std::size_t d = 0; d < out.size(); ++d) {
        CHECK(out[d].name == flat[d].name);
        if (out[d].contiguous_bytes() != flat[d].contiguous_bytes()) ++differ;
      }
      CHECK(differ == 0);
    }
  }
}
