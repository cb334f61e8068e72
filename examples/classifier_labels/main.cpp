// Not only pose: a classifier head moved between label sets by class name, with the same
// joints/map machinery. A 20-class animal classifier becomes a 10-class pets classifier whose classes
// are in a different order, two of them new; the logits of the 8 shared classes stay identical.
//
//   classifier_labels

#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>
#include <graft/torch/apply.hpp>

#include <cstdio>
#include <iostream>

int main() {
  try {
    graft::rules::load_options options;
    options.use_installed_rules = false;
    const auto rules = graft::rules::load_rules_text("labels.graft", R"(
# A "joint set" is any ordered list of named channels: here, class labels.
joints animals = [tabby_cat, tiger_cat, persian_cat, siamese_cat, egyptian_cat, beagle, pug, golden_retriever,
                  labrador, poodle, hamster, guinea_pig, rabbit, goldfish, parrot, canary, turtle, lizard, snake, frog]
joints pets = [beagle, pug, poodle, tabby_cat, siamese_cat, hamster, goldfish, parrot, ferret, hedgehog]

# ferret and hedgehog are new classes: their rows keep the fresh initialisation (and `keep` says so:
# a strict plan refuses a destination label without a source that the map does not acknowledge).
map animals -> pets { keep ferret, hedgehog }
reshape "fc.{weight,bias}" { dim 0 = animals -> pets }
expect mapped "fc.weight", "fc.bias"
expect copied "features.**"
)",
                                                     options);

    at::manual_seed(0);
    std::vector<std::pair<std::string, at::Tensor>> source = {
        {"features.weight", at::randn({64, 128})}, {"fc.weight", at::randn({20, 64})}, {"fc.bias", at::randn({20})}};
    std::vector<std::pair<std::string, at::Tensor>> destination = {
        {"features.weight", at::zeros({64, 128})}, {"fc.weight", at::randn({10, 64})}, {"fc.bias", at::zeros({10})}};

    const auto plan = graft::make_plan(rules, graft::tensor_set_of(source), graft::tensor_set_of(destination));
    std::cout << graft::format_report(plan);
    if (!plan.ok()) return 1;
    graft::apply(
        plan, [&](std::size_t i) { return source[i].second; }, destination);

    auto logits = [](const auto& model, const at::Tensor& x) {
      return at::linear(at::linear(x, model[0].second).relu(), model[1].second, model[2].second);
    };
    const at::Tensor x = at::randn({4, 128});
    const at::Tensor before = logits(source, x), after = logits(destination, x);
    const auto* animals = rules.find_set("animals");
    const auto* pets = rules.find_set("pets");
    int shared = 0, identical = 0;
    for (std::size_t d = 0; d < pets->size(); ++d) {
      auto s = animals->index_of(pets->joints[d]);
      if (!s) continue;
      ++shared;
      const bool same = at::allclose(after.select(1, static_cast<long>(d)), before.select(1, static_cast<long>(*s)));
      identical += same;
      std::printf("%-12s logits %s\n", pets->joints[d].c_str(), same ? "identical" : "DIFFERENT");
    }
    std::printf("%d of %d shared classes identical\n", identical, shared);
    return identical == shared && shared == 8 ? 0 : 1;
  } catch (const graft::error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
}
