// Applying plans to LibTorch tensors: the three pose families end to end, a functional check that the
// shared joints' outputs are unchanged, nn::Module and TorchScript destinations, synthesis, casts.

#include "plan/plan_helpers.hpp"
#include "support/pose_joints.hpp"

#include <graft/apply/records.hpp>
#include <graft/torch/apply.hpp>
#include <graft/torch/module.hpp>
#include <graft/torch/script_module.hpp>

#include "support/catch.hpp"

#include <torch/nn/modules/conv.h>

#include <map>
#include <tuple>

using graft::category;

namespace {

const std::vector<std::string>& crowdpose = test::crowdpose_joints;

/// COCO index of CrowdPose joint d, or -1 (computed from names, independently of graft).
long source_joint(std::size_t d) { return test::coco_index(crowdpose[d]); }

using named = std::vector<std::pair<std::string, at::Tensor>>;

named random_tensors(const graft::tensor_set& set, std::uint64_t seed) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  named out;
  for (const auto& m : set) {
    auto opts = at::TensorOptions().dtype(graft::to_scalar_type(m.type));
    out.emplace_back(m.name, graft::dtype_is_floating(m.type) ? at::randn(m.shape, gen, opts)
                                                              : at::randint(0, 1000, m.shape, gen, opts));
  }
  return out;
}

std::map<std::string, at::Tensor> as_map(const named& n) { return {n.begin(), n.end()}; }

named clone_all(const named& n) {
  named out;
  for (const auto& [k, v] : n) out.emplace_back(k, v.clone());
  return out;
}

graft::source_tensors source_of(const named& n) {
  return [&n](std::size_t i) { return n.at(i).second; };
}

/// Checks dim-0 blocks: `blocks` blocks of K joints with `per_joint` rows each, after `lead` pass-through rows.
void check_joint_rows(const at::Tensor& out, const at::Tensor& src, const at::Tensor& templ, long lead, int blocks,
                      long per_joint, bool block_major = false) {
  for (long i = 0; i < lead; ++i) REQUIRE(at::equal(out[i], src[i]));
  for (int b = 0; b < blocks; ++b)
    for (std::size_t d = 0; d < crowdpose.size(); ++d)
      for (long c = 0; c < per_joint; ++c) {
        const long drow = lead + b * 14 * per_joint + static_cast<long>(d) * per_joint + c;
        const long s = source_joint(d);
        INFO("destination row " << drow);
        if (s < 0) {
          REQUIRE(at::equal(out[drow], templ[drow]));
        } else {
          const long srow = lead + b * 17 * per_joint + s * per_joint + c;
          REQUIRE(at::equal(out[drow], src[srow]));
        }
      }
  (void)block_major;
}

struct transfer {
  graft::plan plan;
  named source, templ, out;
  std::map<std::string, at::Tensor> s, t, o;
};

transfer run(const std::string& rules, const std::string& from, const std::string& onto) {
  transfer x;
  auto src_set = test::manifest(from), dst_set = test::manifest(onto);
  x.plan = graft::make_plan(test::shipped(rules), src_set, dst_set);
  INFO(test::problems(x.plan));
  REQUIRE(x.plan.ok());
  x.source = random_tensors(src_set, 1);
  x.templ = random_tensors(dst_set, 2);
  x.out = clone_all(x.templ);
  auto summary = graft::apply(x.plan, source_of(x.source), x.out);
  CHECK(summary.copied == x.plan.count(category::copied));
  CHECK(summary.mapped == x.plan.count(category::mapped));
  x.s = as_map(x.source);
  x.t = as_map(x.templ);
  x.o = as_map(x.out);
  // Every copied tensor equals its source, bit for bit.
  for (const auto& e : x.plan.entries) {
    if (e.what != category::copied) continue;
    INFO(x.plan.name_of(e));
    REQUIRE(at::equal(x.o.at(x.plan.destination[*e.destination].name), x.s.at(x.plan.source[*e.source].name)));
  }
  return x;
}

}  // namespace

TEST_CASE("HigherHRNet: every head tensor carries the shared joints in CrowdPose order", "[torch][apply]") {
  auto x = run("pose/higherhrnet_coco_to_crowdpose.graft", "higherhrnet_w32_512_coco", "higherhrnet_w32_512_crowdpose");
  for (const char* n : {"final_layers.0.weight", "final_layers.0.bias"})
    check_joint_rows(x.o.at(n), x.s.at(n), x.t.at(n), 0, 2, 1);
  for (const char* n : {"final_layers.1.weight", "final_layers.1.bias"})
    check_joint_rows(x.o.at(n), x.s.at(n), x.t.at(n), 0, 1, 1);
  const char* deconv = "deconv_layers.0.0.0.weight";
  check_joint_rows(x.o.at(deconv), x.s.at(deconv), x.t.at(deconv), 32, 2, 1);
}

TEST_CASE("SWAHR: scale heads mapped on the joint axis", "[torch][apply]") {
  auto x = run("pose/swahr_coco_to_crowdpose.graft", "swahr_w32_512_coco", "swahr_w32_512_crowdpose");
  for (const char* n :
       {"conv_scale_layers.0.0.weight", "conv_scale_layers.1.1.running_mean", "conv_scale_layers.1.3.weight"})
    check_joint_rows(x.o.at(n), x.s.at(n), x.t.at(n), 0, 1, 1);
}

TEST_CASE("DEKR: heatmap head, 15 offset channels per joint, per-joint modules", "[torch][apply]") {
  auto x = run("pose/dekr_coco_to_crowdpose.graft", "dekr_w32_coco", "dekr_w32_crowdpose");
  const auto& hm = x.o.at("head_heatmap.1.weight");
  check_joint_rows(hm.narrow(0, 0, 14), x.s.at("head_heatmap.1.weight").narrow(0, 0, 17),
                   x.t.at("head_heatmap.1.weight").narrow(0, 0, 14), 0, 1, 1);
  CHECK(at::equal(hm[14], x.s.at("head_heatmap.1.weight")[17]));  // the person centre
  for (const char* n : {"transition_offset.0.weight", "transition_offset.1.bias", "transition_offset.1.running_var"})
    check_joint_rows(x.o.at(n), x.s.at(n), x.t.at(n), 0, 1, 15);
  for (std::size_t d = 0; d < crowdpose.size(); ++d) {
    const std::string out_name = "offset_feature_layers." + std::to_string(d) + ".1.adapt_conv.weight";
    const long s = source_joint(d);
    INFO(out_name);
    if (s < 0)
      CHECK(at::equal(x.o.at(out_name), x.t.at(out_name)));
    else
      CHECK(at::equal(x.o.at(out_name), x.s.at("offset_feature_layers." + std::to_string(s) + ".1.adapt_conv.weight")));
  }
}

TEST_CASE("functional: a 1x1-conv head gives identical outputs for the shared joints", "[torch][apply][functional]") {
  // A HigherHRNet-style final layer: 32 features -> K heatmaps.
  auto r = test::rules_text(R"(use "joints/coco_to_crowdpose.graft"
reshape "final_layers.1.{weight,bias}" { dim 0 = coco -> crowdpose })");
  at::manual_seed(7);
  const at::Tensor x = at::randn({2, 32, 16, 16});
  named source = {{"final_layers.1.weight", at::randn({17, 32, 1, 1})}, {"final_layers.1.bias", at::randn({17})}};
  const at::Tensor coco_out = at::conv2d(x, source[0].second, source[1].second);

  auto check = [&](const at::Tensor& crowd_out) {
    for (std::size_t d = 0; d < crowdpose.size(); ++d) {
      const long s = source_joint(d);
      if (s < 0) continue;
      INFO("joint " << crowdpose[d]);
      REQUIRE(at::allclose(crowd_out.select(1, static_cast<long>(d)), coco_out.select(1, s), 1e-6, 1e-6));
    }
  };

  SECTION("state dict") {
    named dst = {{"final_layers.1.weight", at::zeros({14, 32, 1, 1})}, {"final_layers.1.bias", at::zeros({14})}};
    auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(dst));
    REQUIRE(p.ok());
    graft::apply(p, source_of(source), dst);
    check(at::conv2d(x, dst[0].second, dst[1].second));
  }
  SECTION("torch::nn::Module") {
    struct head : torch::nn::Module {
      torch::nn::Conv2d conv{nullptr};
      head() { conv = register_module("1", torch::nn::Conv2d(torch::nn::Conv2dOptions(32, 14, 1))); }
    };
    struct model : torch::nn::Module {
      std::shared_ptr<head> final_layers;
      model() { final_layers = register_module("final_layers", std::make_shared<head>()); }
    } m;
    auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(m));
    INFO(test::problems(p));
    REQUIRE(p.ok());
    graft::apply(p, source_of(source), m);
    CHECK(m.final_layers->conv->weight.requires_grad());
    check(m.final_layers->conv->forward(x));
  }
  SECTION("torch::jit::Module") {
    torch::jit::Module head("__torch__.Head");
    head.register_parameter("weight", at::zeros({14, 32, 1, 1}), false);
    head.register_parameter("bias", at::zeros({14}), false);
    head.define("def forward(self, x):\n  return torch.conv2d(x, self.weight, self.bias)\n");
    torch::jit::Module layers("__torch__.Layers");
    layers.register_module("1", head);
    torch::jit::Module m("__torch__.Model");
    m.register_module("final_layers", layers);
    auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(m));
    INFO(test::problems(p));
    REQUIRE(p.ok());
    graft::apply(p, source_of(source), m);
    check(head.forward({x}).toTensor());
  }
}

TEST_CASE("synthesis: mean rows and mean per-joint tensors", "[torch][apply]") {
  auto r = test::rules_text(R"(joints a = [nose, ls, rs]
joints b = [ls, rs, head, neck]
map a -> b { head = nose; neck = mean(ls, rs) }
reshape "hm" { dim 0 = a -> b }
rename "off.<a>.w" -> "off.<b>.w"
)");
  named source = {{"hm", at::randn({3, 5})},
                  {"off.0.w", at::randn({2, 2})},
                  {"off.1.w", at::randn({2, 2})},
                  {"off.2.w", at::randn({2, 2})}};
  named dst = {{"hm", at::zeros({4, 5})},
               {"off.0.w", at::zeros({2, 2})},
               {"off.1.w", at::zeros({2, 2})},
               {"off.2.w", at::zeros({2, 2})},
               {"off.3.w", at::zeros({2, 2})}};
  auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(dst));
  INFO(test::problems(p));
  REQUIRE(p.ok());
  graft::apply(p, source_of(source), dst);
  const auto& hm = dst[0].second;
  CHECK(at::equal(hm[0], source[0].second[1]));
  CHECK(at::equal(hm[2], source[0].second[0]));
  CHECK(at::allclose(hm[3], (source[0].second[1] + source[0].second[2]) / 2));
  CHECK(at::equal(dst[1].second, source[2].second));  // ls <- off.1
  CHECK(at::equal(dst[3].second, source[1].second));  // head <- nose
  CHECK(at::allclose(dst[4].second, (source[2].second + source[3].second) / 2));
}

TEST_CASE("casts: float16 source into float32 destination, literal reshapes", "[torch][apply]") {
  auto r = test::rules_text("reshape \"fc\" { view }\nreshape \"k\" { permute 1 0 }\n");
  named source = {{"h", at::randn({4}).to(at::kHalf)}, {"fc", at::randn({3, 2, 1, 1})}, {"k", at::randn({2, 3})}};
  named dst = {{"h", at::zeros({4})}, {"fc", at::zeros({3, 2})}, {"k", at::zeros({3, 2})}};
  auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(dst));
  REQUIRE(p.ok());
  auto summary = graft::apply(p, source_of(source), dst);
  CHECK(summary.casts == 1);
  CHECK(dst[0].second.scalar_type() == at::kFloat);
  CHECK(at::equal(dst[0].second, source[0].second.to(at::kFloat)));
  CHECK(at::equal(dst[1].second, source[1].second.reshape({3, 2})));
  CHECK(at::equal(dst[2].second, source[2].second.t()));
}

TEST_CASE("apply refuses failed plans and tensors that do not match the plan", "[torch][apply]") {
  auto r = test::rules_text("");
  named source = {{"w", at::randn({2})}};
  named wrong = {{"w", at::randn({3})}};
  auto bad = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(wrong));
  CHECK_THROWS_AS(graft::apply(bad, source_of(source), wrong), graft::plan_error);
  named dst = {{"w", at::zeros({2})}};
  auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(dst));
  CHECK_THROWS_WITH(graft::apply(p, source_of(source), wrong),
                    test::Contains("'w' is [3], but the plan was made for [2]"));
  named other = {{"w", at::randn({5})}};
  CHECK_THROWS_AS(graft::apply(p, source_of(other), dst), graft::usage_error);
}

namespace {

std::vector<graft::io::tensor_record> records_of(const named& n) {
  std::vector<graft::io::tensor_record> out;
  for (const auto& [k, v] : n) out.push_back(graft::to_record(v, k, graft::tensor_role::param));
  return out;
}

/// graft::apply_records (host memory, no LibTorch) against graft::apply (LibTorch) on one plan:
/// the same values everywhere (means within float rounding), the same dtypes and shapes.
void check_host_equals_torch(const graft::plan& p, const named& source, const named& templ) {
  INFO(test::problems(p));
  REQUIRE(p.ok());
  named torch_out = clone_all(templ);
  const auto torch_summary = graft::apply(p, source_of(source), torch_out);
  graft::apply_summary host_summary;
  const auto host_out = graft::apply_records(p, records_of(source), records_of(templ), &host_summary);
  CHECK(host_summary.copied == torch_summary.copied);
  CHECK(host_summary.mapped == torch_summary.mapped);
  CHECK(host_summary.synthesized == torch_summary.synthesized);
  CHECK(host_summary.casts == torch_summary.casts);
  REQUIRE(host_out.size() == torch_out.size());
  for (std::size_t i = 0; i < host_out.size(); ++i) {
    INFO(torch_out[i].first);
    REQUIRE(host_out[i].name == torch_out[i].first);
    const at::Tensor h = graft::to_tensor(host_out[i]);
    REQUIRE(h.scalar_type() == torch_out[i].second.scalar_type());
    REQUIRE(h.sizes() == torch_out[i].second.sizes());
    if (at::equal(h, torch_out[i].second)) continue;
    REQUIRE(at::isFloatingType(h.scalar_type()));
    REQUIRE(at::allclose(h.to(at::kDouble), torch_out[i].second.to(at::kDouble), 1e-6, 1e-6));
  }
}

}  // namespace

TEST_CASE("host apply: the three pose transfers equal graft::apply tensor for tensor", "[torch][apply][host]") {
  for (const auto& [rules, from, onto] :
       {std::tuple<const char*, const char*, const char*>{"pose/higherhrnet_coco_to_crowdpose.graft",
                                                          "higherhrnet_w32_512_coco", "higherhrnet_w32_512_crowdpose"},
        {"pose/swahr_coco_to_crowdpose.graft", "swahr_w32_512_coco", "swahr_w32_512_crowdpose"},
        {"pose/dekr_coco_to_crowdpose.graft", "dekr_w32_coco", "dekr_w32_crowdpose"}}) {
    INFO(rules);
    auto src_set = test::manifest(from), dst_set = test::manifest(onto);
    check_host_equals_torch(graft::make_plan(test::shipped(rules), src_set, dst_set), random_tensors(src_set, 21),
                            random_tensors(dst_set, 22));
  }
}

TEST_CASE("host apply: means, casts, literal reshapes and integer rows equal graft::apply", "[torch][apply][host]") {
  SECTION("mean rows, mean per-joint tensors, a half-precision source") {
    auto r = test::rules_text(R"(joints a = [nose, ls, rs]
joints b = [ls, rs, head, neck]
map a -> b { head = nose; neck = mean(ls, rs) }
reshape "hm" { dim 1 = a -> b }
rename "off.<a>.w" -> "off.<b>.w"
)");
    named source = {{"hm", at::randn({2, 3, 5}).to(at::kHalf)},
                    {"off.0.w", at::randn({2, 2})},
                    {"off.1.w", at::randn({2, 2})},
                    {"off.2.w", at::randn({2, 2})}};
    named templ = {{"hm", at::randn({2, 4, 5})},
                   {"off.0.w", at::randn({2, 2})},
                   {"off.1.w", at::randn({2, 2})},
                   {"off.2.w", at::randn({2, 2})},
                   {"off.3.w", at::randn({2, 2})}};
    check_host_equals_torch(graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(templ)), source,
                            templ);
  }
  SECTION("fill rules: zero, keep, a copy, given means, mean(*) rows and tensors, `*`") {
    auto r = test::rules_text(R"(labels a = [the, cat, sat, on]
labels b = [cat, "new token", the, gone, stays, "sat again", both, on, x1, x2]
map a -> b {
  "new token" = mean(*); zero gone; keep stays; "sat again" = sat; both = mean(the, on); * = mean(*)
}
reshape "emb" { dim 0 = a -> b }
reshape "bias" { dim 0 = (a -> b) * 3 }
labels c = [p, q, r]
labels d = [q, fresh, nothing]
map c -> d { fresh = mean(*); zero nothing }
rename "head.<c>.w" -> "head.<d>.w"
)");
    named source = {{"emb", at::randn({4, 6}).to(at::kBFloat16)},
                    {"bias", at::randn({12})},
                    {"head.0.w", at::randn({2, 2})},
                    {"head.1.w", at::randn({2, 2})},
                    {"head.2.w", at::randn({2, 2})}};
    named templ = {{"emb", at::randn({10, 6})},
                   {"bias", at::randn({30})},
                   {"head.0.w", at::randn({2, 2})},
                   {"head.1.w", at::randn({2, 2})}};
    check_host_equals_torch(graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(templ)), source,
                            templ);
  }
  SECTION("kept rows in two dimensions of one tensor, integer values") {
    auto r = test::rules_text(R"(joints a = [x, y, z]
joints b = [z, w, x]
map a -> b { keep w }
reshape "t" { dim 0 = a -> b; dim 1 = a -> b }
)");
    named source = {{"t", at::randint(0, 1000, {3, 3, 2}, at::TensorOptions().dtype(at::kLong))}};
    named templ = {{"t", at::randint(0, 1000, {3, 3, 2}, at::TensorOptions().dtype(at::kLong))}};
    check_host_equals_torch(graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(templ)), source,
                            templ);
  }
  SECTION("literal reshapes and a bfloat16 -> float32 cast") {
    auto r =
        test::rules_text("reshape \"fc\" { view }\nreshape \"k\" { permute 2 0 1 }\nreshape \"u\" { unsqueeze 0 }\n");
    named source = {{"h", at::randn({4}).to(at::kBFloat16)},
                    {"fc", at::randn({3, 2, 1, 1})},
                    {"k", at::randn({2, 3, 4})},
                    {"u", at::randn({5})}};
    named templ = {
        {"h", at::zeros({4})}, {"fc", at::zeros({3, 2})}, {"k", at::zeros({4, 2, 3})}, {"u", at::zeros({1, 5})}};
    check_host_equals_torch(graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(templ)), source,
                            templ);
  }
}

namespace {

named on_device(const named& n, const at::Device& device) {
  named out;
  for (const auto& [k, v] : n) out.emplace_back(k, v.to(device));
  return out;
}

/// The same transfer onto CPU and onto `device` destinations: every tensor must match bit for bit
/// (means within float rounding: the GPU may sum in another order) and stay on its device.
void check_same_on_device(const std::string& rules, const std::string& from, const std::string& onto,
                          const at::Device& device, bool source_on_device) {
  auto src_set = test::manifest(from), dst_set = test::manifest(onto);
  auto p = graft::make_plan(test::shipped(rules), src_set, dst_set);
  INFO(test::problems(p));
  REQUIRE(p.ok());
  const named source = random_tensors(src_set, 11), templ = random_tensors(dst_set, 12);
  named cpu_out = clone_all(templ);
  graft::apply(p, source_of(source), cpu_out);
  const named device_source = source_on_device ? on_device(source, device) : source;
  named device_out = on_device(templ, device);
  auto summary = graft::apply(p, source_of(device_source), device_out);
  CHECK(summary.copied == p.count(category::copied));
  CHECK(summary.mapped == p.count(category::mapped));
  for (std::size_t i = 0; i < cpu_out.size(); ++i) {
    INFO(cpu_out[i].first);
    REQUIRE(device_out[i].second.device() == device);
    REQUIRE(at::equal(device_out[i].second.cpu(), cpu_out[i].second));
  }
}

}  // namespace

TEST_CASE("the CUDA path: the pose transfers onto GPU destinations equal the CPU ones", "[torch][apply][cuda]") {
  if (!at::hasCUDA()) {
    WARN("no CUDA device: the CUDA path is compiled but not run here");
    return;
  }
  const at::Device gpu(at::kCUDA, 0);
  SECTION("HigherHRNet, CPU source") {
    check_same_on_device("pose/higherhrnet_coco_to_crowdpose.graft", "higherhrnet_w32_512_coco",
                         "higherhrnet_w32_512_crowdpose", gpu, false);
  }
  SECTION("SWAHR, GPU source") {
    check_same_on_device("pose/swahr_coco_to_crowdpose.graft", "swahr_w32_512_coco", "swahr_w32_512_crowdpose", gpu,
                         true);
  }
  SECTION("DEKR, CPU source") {
    check_same_on_device("pose/dekr_coco_to_crowdpose.graft", "dekr_w32_coco", "dekr_w32_crowdpose", gpu, false);
  }
}

TEST_CASE("the CUDA path: selections, means, casts and modules on the GPU", "[torch][apply][cuda]") {
  if (!at::hasCUDA()) {
    WARN("no CUDA device: the CUDA path is compiled but not run here");
    return;
  }
  const auto gpu = at::TensorOptions().device(at::kCUDA);
  SECTION("joint rows and synthesized means, half-precision source on the CPU") {
    auto r = test::rules_text(R"(joints a = [nose, ls, rs]
joints b = [ls, rs, head, neck]
map a -> b { head = nose; neck = mean(ls, rs) }
reshape "hm" { dim 0 = a -> b }
)");
    named source = {{"hm", at::randn({3, 5}).to(at::kHalf)}};
    named dst = {{"hm", at::zeros({4, 5}, gpu)}};
    auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(dst));
    INFO(test::problems(p));
    REQUIRE(p.ok());
    graft::apply(p, source_of(source), dst);
    const at::Tensor hm = dst[0].second;
    REQUIRE(hm.is_cuda());
    CHECK(hm.scalar_type() == at::kFloat);
    const at::Tensor s = source[0].second.to(at::kFloat);
    CHECK(at::equal(hm.cpu()[0], s[1]));
    CHECK(at::equal(hm.cpu()[2], s[0]));
    CHECK(at::allclose(hm.cpu()[3], (s[1] + s[2]) / 2));
  }
  SECTION("torch::nn::Module moved to the GPU: parameters stay there and keep requires_grad") {
    auto r = test::rules_text(R"(use "joints/coco_to_crowdpose.graft"
reshape "conv.{weight,bias}" { dim 0 = coco -> crowdpose })");
    struct model : torch::nn::Module {
      torch::nn::Conv2d conv{nullptr};
      model() { conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 14, 1))); }
    } m;
    m.to(at::Device(at::kCUDA, 0));
    named source = {{"conv.weight", at::randn({17, 8, 1, 1})}, {"conv.bias", at::randn({17})}};
    auto p = graft::make_plan(r, graft::tensor_set_of(source), graft::tensor_set_of(m));
    INFO(test::problems(p));
    REQUIRE(p.ok());
    graft::apply(p, source_of(source), m);
    REQUIRE(m.conv->weight.is_cuda());
    CHECK(m.conv->weight.requires_grad());
    for (std::size_t d = 0; d < crowdpose.size(); ++d) {
      const long s = source_joint(d);
      if (s < 0) continue;
      CHECK(at::equal(m.conv->weight.cpu()[static_cast<long>(d)], source[0].second[s]));
      CHECK(at::equal(m.conv->bias.cpu()[static_cast<long>(d)], source[1].second[s]));
    }
  }
}
