// The LibTorch edge: records ↔ at::Tensor without copies (the io tests that need LibTorch).

#include <graft/io/checkpoint.hpp>
#include <graft/torch/tensor.hpp>

#include "io/util.hpp"

using namespace graft;

namespace {

std::vector<std::byte> bytes_of(const at::Tensor& t) {
  at::Tensor c = t.contiguous();
  auto p = static_cast<const std::byte*>(c.data_ptr());
  return {p, p + c.numel() * c.element_size()};
}

}  // namespace

TEST_CASE("torch edge: records become tensors bit-exactly and zero-copy") {
  for (const char* name : {"all_kinds_zip.pth", "all_kinds_legacy.pth", "all_kinds.safetensors"}) {
    auto path = io_test::fixture(name);
    std::vector<at::Tensor> tensors;
    std::vector<std::string> names;
    {
      auto ck = io::read_checkpoint(path);
      for (const auto& r : ck.tensors) {
        at::Tensor t = to_tensor(r);
        if (r.numel() > 0) CHECK(t.data_ptr() == static_cast<const void*>(r.first()));
        CHECK(std::vector<std::int64_t>(t.strides().begin(), t.strides().end()) == r.strides);
        tensors.push_back(t);
        names.push_back(r.name);
      }
    }  // the checkpoint is gone; the tensors keep the mapping alive
    auto want = io_test::load_expected(path);
    REQUIRE(want.size() == tensors.size());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      INFO(name << " " << names[i]);
      CHECK(std::string(c10::toString(tensors[i].scalar_type())) != "");
      CHECK(io_test::hex(bytes_of(tensors[i])) == want[i].hex);
      CHECK(io_test::shape_csv(shape_t(tensors[i].sizes().begin(), tensors[i].sizes().end())) == want[i].shape);
    }
  }
}

TEST_CASE("torch edge: in-place changes never reach the file") {
  auto dir = io_test::scratch("torch-cow");
  auto path = (dir / "p.pth").string();
  std::filesystem::copy_file(io_test::fixture("params_zip.pth"), path);
  auto before = io_test::read_bytes(path);
  {
    auto ck = io::read_checkpoint(path);
    at::Tensor t = to_tensor(ck.tensors[0]);
    t.add_(1.0);
    CHECK(t[0].item<float>() == 1.0f);
  }
  CHECK(io_test::read_bytes(path) == before);
}

TEST_CASE("torch edge: tensors become records that write and read back") {
  auto base = at::arange(24, at::kFloat).reshape({4, 6});
  std::vector<io::tensor_record> records;
  records.push_back(to_record(base, "base", tensor_role::param));
  records.push_back(to_record(base.t(), "transposed"));
  records.push_back(to_record(base.slice(1, 1, 5, 2), "strided"));
  records.push_back(to_record(at::ones({3}, at::kBFloat16), "bf16"));
  records.push_back(to_record(at::arange(2, at::kLong).eq(0), "mask"));
  records.push_back(to_record(at::scalar_tensor(7, at::kLong), "scalar"));
  CHECK(records[1].storage.data == records[0].storage.data);
  CHECK_THROWS_AS(to_record(at::quantize_per_tensor(at::zeros({2}), 0.5, 0, at::kQInt8), "q"), graft::usage_error);
  auto dir = io_test::scratch("torch-write");
  for (const char* file : {"out.pth", "out.safetensors"}) {
    auto path = (dir / file).string();
    if (std::string(file).find("pth") != std::string::npos)
      io::write_pth(path, records);
    else
      io::write_safetensors(path, records);
    auto back = io::read_checkpoint(path);
    REQUIRE(back.tensors.size() == records.size());
    std::vector<at::Tensor> originals = {base,
                                         base.t(),
                                         base.slice(1, 1, 5, 2),
                                         at::ones({3}, at::kBFloat16),
                                         at::arange(2, at::kLong).eq(0),
                                         at::scalar_tensor(7, at::kLong)};
    for (std::size_t i = 0; i < records.size(); ++i) {
      INFO(file << " " << records[i].name);
      at::Tensor t = to_tensor(back.tensors[i]);
      CHECK(t.scalar_type() == originals[i].scalar_type());
      CHECK(t.sizes() == originals[i].sizes());
      CHECK(io_test::hex(bytes_of(t)) == io_test::hex(bytes_of(originals[i])));
    }
  }
}

TEST_CASE("torch edge: every dtype LibTorch has maps both ways, and one it lacks is a clear error naming the tensor") {
  const io::checkpoint ck = io::read_checkpoint(io_test::fixture("torch2.6/new_dtypes_zip.pth"));
  std::size_t mapped = 0;
  for (const auto& r : ck.tensors) {
    INFO(r.name);
    if (auto s = scalar_type_of(r.type)) {
      CHECK(from_scalar_type(*s) == r.type);
      const at::Tensor t = to_tensor(r);
      CHECK(t.scalar_type() == *s);
      const bool same_bytes = to_record(t, r.name).contiguous_bytes() == r.contiguous_bytes();
      CHECK(same_bytes);
      ++mapped;
    } else {
      CHECK_THROWS_WITH(to_tensor(r), test::Contains("tensor '" + r.name + "': dtype " +
                                                     std::string(dtype_name(r.type)) + " needs LibTorch") &&
                                          test::Contains("graft is linked with LibTorch " TORCH_VERSION));
      CHECK_THROWS_AS(to_scalar_type(r.type), usage_error);
    }
  }
  CHECK(mapped >= 6);  // complex32/64/128, bool, bfloat16, float16, int64 in every LibTorch graft builds with
#if !GRAFT_TORCH_AT_LEAST(2, 3)
  CHECK_FALSE(scalar_type_of(dtype::uint16).has_value());
#endif
}
