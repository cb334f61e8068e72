// graft/torch/tensor.hpp against a LibTorch 2.x (Debian 13's, through tests/torch/libtorch2.sh; no Catch2):
// every tensor of a checkpoint maps to its ATen scalar type, becomes a tensor and a record again bit-exactly.
// Compiles the GRAFT_TORCH_AT_LEAST branches that LibTorch 1.13 leaves out.
//   libtorch2_check CHECKPOINT
#include <graft/io/checkpoint.hpp>
#include <graft/torch/tensor.hpp>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: libtorch2_check CHECKPOINT\n";
    return 2;
  }
  const auto ck = graft::io::read_checkpoint(argv[1]);
  int bad = 0;
  for (const auto& r : ck.tensors) {
    auto s = graft::scalar_type_of(r.type);
    if (!s) {
      std::cout << r.name << ": no scalar type in LibTorch " << TORCH_VERSION << "\n";
      ++bad;
      continue;
    }
    at::Tensor t = graft::to_tensor(r);
    auto back = graft::to_record(t, r.name);
    const bool same = back.contiguous_bytes() == r.contiguous_bytes() && graft::from_scalar_type(*s) == r.type;
    std::cout << r.name << " " << c10::toString(t.scalar_type()) << (same ? " ok" : " DIFFERS") << "\n";
    if (!same) ++bad;
  }
  return bad == 0 ? 0 : 1;
}
