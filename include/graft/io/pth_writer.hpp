#pragma once
/// \file
/// Writing torch.save zip files (what PyTorch >= 1.6 writes): an OrderedDict of tensors pickled
/// with protocol 2, one 64-byte-aligned storage record per tensor, written atomically.

#include <graft/error.hpp>
#include <graft/io/atomic_file.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/pickle.hpp>
#include <graft/io/pickle/emitter.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/zip.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace graft::io {

/// Options for write_pth.
struct pth_write_options : write_options {
  std::string archive_name = "archive";  ///< the folder inside the zip ("archive", as PyTorch >= 1.10 writes)
  bool force_zip64 = false;              ///< write zip64 records even when small (for tests)
};

/// Writes `records` as a torch.save zip file holding an OrderedDict name → tensor, atomically
/// (temp file, fsync, rename). Each tensor gets its own contiguous storage; parameters are saved
/// as plain tensors, as `model.state_dict()` does. Readable by torch.load in PyTorch >= 1.6.
inline void write_pth(const std::string& path, const std::vector<tensor_record>& records,
                      const pth_write_options& options = {}) {
  std::set<std::string_view> names;
  for (const auto& r : records) {
    if (!names.insert(r.name).second) throw usage_error(path + ": duplicate tensor name " + detail::quote_name(r.name));
    validate_record(r, path);
  }
  detail::pickle_emitter p;
  p.proto();
  p.global("collections", "OrderedDict");
  p.op(pickle_op::empty_tuple);
  p.op(pickle_op::reduce);
  if (!records.empty()) p.mark();
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    p.str(r.name);
    p.global("torch._utils", "_rebuild_tensor_v2");
    p.mark();
    p.mark();
    p.str("storage");
    p.global("torch", detail::storage_class_name(r.type));
    p.str(std::to_string(i));
    p.str("cpu");
    p.integer(r.numel());
    p.op(pickle_op::tuple);
    p.op(pickle_op::binpersid);
    p.integer(0);
    p.int_tuple(r.shape);
    p.int_tuple(contiguous_strides(r.shape));
    p.op(pickle_op::newfalse);
    p.global("collections", "OrderedDict");
    p.op(pickle_op::empty_tuple);
    p.op(pickle_op::reduce);
    p.op(pickle_op::tuple);
    p.op(pickle_op::reduce);
  }
  if (!records.empty()) p.op(pickle_op::setitems);
  p.op(pickle_op::stop);

  atomic_file out(path, options.inputs);
  zip_writer zip(out.file(), path, options.force_zip64);
  const std::string pre = options.archive_name + "/";
  zip.add(pre + "data.pkl", p.out.data(), p.out.size());
  zip.add(pre + "byteorder", "little", 6);
  std::vector<std::byte> buf;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    zip.begin_entry(pre + "data/" + std::to_string(i), r.nbytes());
    r.write_contiguous(buf, [&](const std::byte* bytes, std::size_t n) { zip.write(bytes, n); });
    zip.end_entry();
  }
  zip.add(pre + "version", "3\n", 2);
  zip.finish();
  out.commit();
}

}  // namespace graft::io
