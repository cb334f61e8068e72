// A vocabulary transfer with graft::core alone: a language model's token embedding and output
// projection moved to a new tokenizer's vocabulary by token, with every new token starting at the mean
// embedding. The example makes two small vocabularies (label files, a few hundred tokens: the new one
// reorders the old, drops some tokens and adds others, some with spaces, quotes or UTF-8), a "trained"
// model and a fresh one as .safetensors files, plans and applies the rules below, writes the result and
// checks it row by row against indices it computes itself from the token lists.
//
//   vocabulary_transfer [WORK_DIR]

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/safetensors.hpp>
#include <graft/plan/planner.hpp>
#include <graft/plan/report.hpp>
#include <graft/rules/load.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

constexpr std::int64_t width = 8;  // the embedding width

/// The rules: two label files, one map, one reshape for both tensors and the bias.
const char* rules_text = R"(# Move embeddings and output projection by token; new tokens start at the mean.
labels old_vocab from "old.labels"
labels new_vocab from "new.labels"
map old_vocab -> new_vocab { * = mean(*) }
reshape "{embed.weight,lm_head.weight,lm_head.bias}" { dim 0 = old_vocab -> new_vocab }
expect mapped "embed.weight", "lm_head.{weight,bias}"
expect copied "norm.weight"
)";

/// Token `i` of the synthetic tokenizers.
std::string token(int i) {
  switch (i % 4) {
    case 0: return "tok" + std::to_string(i);
    case 1: return "\xC4\xA0the" + std::to_string(i);  // GPT-2's "Ġ" space marker
    case 2: return "two words " + std::to_string(i);
    default: return "don't-" + std::to_string(i);
  }
}

void write_labels(const std::filesystem::path& path, const std::vector<std::string>& tokens) {
  std::ofstream out(path, std::ios::binary);
  out << "# one token per line, in row order\n";
  for (const auto& t : tokens) out << t << "\n";
}

/// An owning float32 record whose element i is fill(i).
template <class Fill>
graft::io::tensor_record make_tensor(std::string name, graft::shape_t shape, Fill fill) {
  auto values = std::make_shared<std::vector<float>>(static_cast<std::size_t>(graft::numel(shape)));
  for (std::size_t i = 0; i < values->size(); ++i) (*values)[i] = fill(i);
  graft::io::tensor_record r;
  r.name = std::move(name);
  r.type = graft::dtype::float32;
  r.shape = std::move(shape);
  r.role = graft::tensor_role::param;
  r.strides = graft::io::contiguous_strides(r.shape);
  r.storage = {reinterpret_cast<const std::byte*>(values->data()), values->size() * sizeof(float)};
  r.owner = values;
  return r;
}

std::vector<float> floats(const graft::io::tensor_record& r) {
  const auto bytes = r.contiguous_bytes();
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  if (argc > 2) {
    std::cerr << "usage: vocabulary_transfer [WORK_DIR]\n";
    return 2;
  }
  const fs::path work = argc == 2 ? fs::path(argv[1]) : fs::temp_directory_path() / "graft_vocabulary_transfer";
  try {
    fs::create_directories(work);
    // 1. Two tokenizers: old has tokens 0..299; new keeps every third-but-one of them in reverse order,
    //    drops the rest, and adds 40 tokens (300..339) spread through it.
    std::vector<std::string> old_tokens, new_tokens;
    for (int i = 0; i < 300; ++i) old_tokens.push_back(token(i));
    for (int i = 299, added = 300; i >= 0; --i) {
      if (i % 3 != 1) new_tokens.push_back(token(i));
      if (i % 5 == 0 && added < 340) new_tokens.push_back(token(added++));
    }
    write_labels(work / "old.labels", old_tokens);
    write_labels(work / "new.labels", new_tokens);
    std::ofstream(work / "vocab.graft") << rules_text;

    // 2. A "trained" model (row r holds 8 r + column, so every value is distinct and every sum exact in
    //    float32; bias r = -r) and a fresh one (all 0.5).
    const auto old_rows = static_cast<std::int64_t>(old_tokens.size());
    const auto new_rows = static_cast<std::int64_t>(new_tokens.size());
    const auto trained = [](std::size_t i) { return static_cast<float>(8 * (i / width) + i % width); };
    graft::io::write_safetensors((work / "old.safetensors").string(),
                                 {make_tensor("embed.weight", {old_rows, width}, trained),
                                  make_tensor("lm_head.weight", {old_rows, width}, trained),
                                  make_tensor("lm_head.bias", {old_rows}, [](std::size_t i) { return -float(i); }),
                                  make_tensor("norm.weight", {width}, [](std::size_t i) { return 1.f + i; })},
                                 {});
    const auto fresh = [](std::size_t) { return 0.5f; };
    graft::io::write_safetensors(
        (work / "new_init.safetensors").string(),
        {make_tensor("embed.weight", {new_rows, width}, fresh), make_tensor("lm_head.weight", {new_rows, width}, fresh),
         make_tensor("lm_head.bias", {new_rows}, fresh), make_tensor("norm.weight", {width}, fresh)},
        {});

    // 3. Plan, apply, write.
    graft::rules::load_options options;
    options.use_installed_rules = false;
    const auto rules = graft::rules::load_rules(work / "vocab.graft", options);
    const auto source = graft::io::read_checkpoint((work / "old.safetensors").string());
    const auto target = graft::io::read_checkpoint((work / "new_init.safetensors").string());
    const auto plan = graft::make_plan(rules, {source.tensors.begin(), source.tensors.end()},
                                       {target.tensors.begin(), target.tensors.end()});
    std::cout << graft::format_report(plan);
    if (!plan.ok()) return 1;
    const fs::path out = work / "new_from_old.safetensors";
    graft::io::write_safetensors(out.string(), graft::apply_records(plan, source.tensors, target.tensors), {});

    // 4. Row by row: a kept token's row is its old row (by name); a new token's is the mean of all.
    std::map<std::string, std::int64_t> old_index;
    for (std::int64_t i = 0; i < old_rows; ++i) old_index[old_tokens[static_cast<std::size_t>(i)]] = i;
    double mean_row = 0;  // the mean of 8 r over the old rows: the column is added below
    for (std::int64_t i = 0; i < old_rows; ++i) mean_row += 8.0 * static_cast<double>(i);
    mean_row /= static_cast<double>(old_rows);
    const auto written = graft::io::read_checkpoint(out.string());
    int failures = 0, moved = 0, added = 0;
    for (const auto& t : written.tensors) {
      const auto values = floats(t);
      for (std::int64_t r = 0; t.shape.size() == 2 && r < new_rows; ++r) {
        const auto it = old_index.find(new_tokens[static_cast<std::size_t>(r)]);
        for (std::int64_t c = 0; c < width; ++c) {
          const double want = it != old_index.end() ? 8.0 * static_cast<double>(it->second) + c : mean_row + c;
          if (values[static_cast<std::size_t>(r * width + c)] != static_cast<float>(want)) ++failures;
        }
        if (t.name == "embed.weight") ++(it != old_index.end() ? moved : added);
      }
      for (std::int64_t r = 0; t.name == "lm_head.bias" && r < new_rows; ++r) {
        const auto it = old_index.find(new_tokens[static_cast<std::size_t>(r)]);
        const double want = it != old_index.end() ? -static_cast<double>(it->second) : -mean_row / 8.0;
        if (values[static_cast<std::size_t>(r)] != static_cast<float>(want)) ++failures;
      }
      if (t.name == "norm.weight" && values != floats(source.tensors.at(3))) ++failures;
    }
    std::cout << moved << " tokens moved by name, " << added << " new tokens from the mean: "
              << (failures ? "MISMATCH (" + std::to_string(failures) + " values)\n" : "every row checked\n");
    return failures ? 1 : 0;
  } catch (const std::exception& e) {
    std::cerr << "vocabulary_transfer: " << e.what() << "\n";
    return 2;
  }
}
