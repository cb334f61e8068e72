// Expanded tensors (strides that repeat elements, as torch.save writes `x.expand(...)`) are never
// materialised beyond expanded_factor x their storage + expanded_floor: copied into a .pth they keep
// their storage, offset and strides (one storage record per shared storage); converting, reordering
// or writing one to safetensors above that size is refused with the reason.

#include <graft/apply/records.hpp>
#include <graft/io/checkpoint.hpp>
#include <graft/io/pth_writer.hpp>
#include <graft/io/safetensors.hpp>

#include "security/scratch.hpp"
#include "support/catch.hpp"

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace graft::io;
using test::Contains;
namespace fs = std::filesystem;

namespace {

/// A float32 record of `shape` and `strides` over `storage` (kept alive by the record).
tensor_record expanded(const std::string& name, std::shared_ptr<std::vector<float>> storage, graft::shape_t shape,
                       std::vector<std::int64_t> strides, std::int64_t offset = 0) {
  tensor_record r;
  r.name = name;
  r.shape = std::move(shape);
  r.strides = std::move(strides);
  r.storage_offset = offset;
  r.storage = {reinterpret_cast<const std::byte*>(storage->data()), storage->size() * sizeof(float)};
  r.owner = storage;
  return r;
}

float element(const tensor_record& r, std::int64_t k) {  // k-th element of a 1-d record
  float f;
  std::memcpy(&f, r.first() + static_cast<std::size_t>(k * r.strides[0]) * sizeof(float), sizeof f);
  return f;
}

/// `f` throws the refusal of the 2^28-element tensor 'pos.expanded' over a 4-byte storage.
template <class F>
void refused_as_expanded(F&& f) {
  CHECK_THROWS_WITH(f(), Contains("tensor 'pos.expanded' [268435456] is expanded (strides [0])") &&
                             Contains("1073741824 bytes, more than 64 x its storage's 4 bytes + 64 MiB"));
}

}  // namespace

TEST_CASE("security expanded: a stride-0 tensor of 2^28 and 2^40 elements is written to .pth as saved") {
  const fs::path dir = security_test::fresh_folder("expanded", "as_saved");
  auto one = std::make_shared<std::vector<float>>(std::vector<float>{1.5f, -2.0f});
  std::vector<tensor_record> records{
      expanded("gigabyte", one, {std::int64_t{1} << 28}, {0}),      // 1 GiB laid out whole
      expanded("terabytes", one, {std::int64_t{1} << 40}, {0}, 1),  // 4 TiB laid out whole
      expanded("rows", one, {3, 2}, {0, 1}),                        // 24 bytes over 8: the same storage
      expanded("plain", std::make_shared<std::vector<float>>(4, 7.0f), {4}, {1})};
  CHECK(records[0].is_expanded());
  CHECK_FALSE(records[3].is_expanded());
  const std::string out = (dir / "out.pth").string();
  write_pth(out, records);
  CHECK(fs::file_size(out) < 4096);  // was 1 GiB (2^28 streamed), and 2^40 could not be written at all

  const checkpoint back = read_checkpoint(out);
  REQUIRE(back.tensors.size() == 4);
  const auto& g = back.tensors[0];
  CHECK(g.shape == graft::shape_t{std::int64_t{1} << 28});
  CHECK(g.strides == std::vector<std::int64_t>{0});
  CHECK(g.storage.size == 8);
  CHECK(element(g, 0) == 1.5f);
  CHECK(element(g, (std::int64_t{1} << 28) - 1) == 1.5f);
  const auto& t = back.tensors[1];
  CHECK(t.storage_offset == 1);
  CHECK(element(t, 12345) == -2.0f);
  CHECK(back.tensors[2].strides == std::vector<std::int64_t>{0, 1});
  CHECK(back.tensors[2].contiguous_bytes() == records[2].contiguous_bytes());
  CHECK(g.storage.data == t.storage.data);  // one storage record for the three views of one storage
  CHECK(g.storage.data == back.tensors[2].storage.data);
  CHECK(back.tensors[3].contiguous_bytes() == records[3].contiguous_bytes());
  CHECK(back.tensors[3].storage.data != g.storage.data);
}

TEST_CASE("security expanded: materialising a huge expanded tensor is refused with the reason") {
  const fs::path dir = security_test::fresh_folder("expanded", "refused");
  auto one = std::make_shared<std::vector<float>>(1, 0.25f);
  const tensor_record huge = expanded("pos.expanded", one, {std::int64_t{1} << 28}, {0});
  refused_as_expanded([&] { (void)huge.contiguous_bytes(); });

  const std::string st = (dir / "out.safetensors").string();
  CHECK_THROWS_AS(write_safetensors(st, {huge}, {}), graft::checkpoint_error);
  refused_as_expanded([&] { write_safetensors(st, {huge}, {}); });
  CHECK_FALSE(fs::exists(st));
  CHECK(fs::is_empty(dir));  // no temporary file left

  tensor_record as_half = huge;  // a plan that converts it to float16 would have to lay it out
  as_half.type = graft::dtype::float16;
  refused_as_expanded([&] { (void)graft::copied_record(huge, as_half); });

  // within the limit (64 x 4 bytes + 64 MiB) it is laid out as before
  const tensor_record small = expanded("small", one, {std::int64_t{1} << 24}, {0});
  CHECK(small.contiguous_bytes().size() == std::size_t{64} << 20);
}
