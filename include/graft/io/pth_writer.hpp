#pragma once
/// \file
/// Writing torch.save zip files (what PyTorch >= 1.6 writes): an OrderedDict of tensors pickled
/// with protocol 2, one 64-byte-aligned storage record per tensor, written atomically. Tensors of the
/// dtypes PyTorch 1.x does not have (dtype_needs_torch2) are pickled as PyTorch 2.x does
/// (_rebuild_tensor_v3 on an UntypedStorage), the others as PyTorch 1.x reads them (_rebuild_tensor_v2 on
/// a typed storage), so a file loads in every PyTorch that knows its dtypes.

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

/// What a reader of write_pth's file must know: one line per dtype that only PyTorch 2.x loads ("note: 2
/// tensors (first 'w') are float8_e4m3fn, written as PyTorch 2.x writes them (torch._utils._rebuild_tensor_v3):
/// they load in PyTorch >= 2.1, not in 1.x\n"); "" when every tensor loads in PyTorch >= 1.6.
inline std::string torch2_note(const std::vector<tensor_record>& records) {
  std::string out;
  for (const dtype_row& row : dtype_table) {
    if (!dtype_needs_torch2(row.value)) continue;
    std::size_t n = 0;
    const tensor_record* first = nullptr;
    for (const auto& r : records)
      if (r.type == row.value && n++ == 0) first = &r;
    if (n == 0) continue;
    out += "note: " + std::to_string(n) + (n == 1 ? " tensor (" : " tensors (first ") +
           detail::quote_name(first->name) + ") " + (n == 1 ? "is " : "are ") + std::string(row.name) +
           ", written as PyTorch 2.x writes it (torch._utils._rebuild_tensor_v3): loads in PyTorch >= " +
           std::string(row.since) + ", not in 1.x\n";
  }
  return out;
}

/// Writes `records` as a torch.save zip file holding an OrderedDict name → tensor, atomically
/// (temp file, fsync, rename). Each tensor gets its own contiguous storage; parameters are saved
/// as plain tensors, as `model.state_dict()` does. Readable by torch.load in PyTorch >= 1.6 (tensors of the dtypes
/// dtype_needs_torch2 names: in the PyTorch of dtype_row::since and later).
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
    const bool v3 = dtype_needs_torch2(r.type);
    p.str(r.name);
    p.global("torch._utils", v3 ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2");
    p.mark();
    p.mark();
    p.str("storage");
    if (v3)
      p.global("torch.storage", detail::untyped_storage_class);
    else
      p.global("torch", detail::storage_class_name(r.type));
    p.str(std::to_string(i));
    p.str("cpu");
    p.integer(v3 ? static_cast<std::int64_t>(r.nbytes()) : r.numel());  // an untyped storage counts bytes
    p.op(pickle_op::tuple);
    p.op(pickle_op::binpersid);
    p.integer(0);
    p.int_tuple(r.shape);
    p.int_tuple(contiguous_strides(r.shape));
    p.op(pickle_op::newfalse);
    p.global("collections", "OrderedDict");
    p.op(pickle_op::empty_tuple);
    p.op(pickle_op::reduce);
    if (v3) p.global("torch", dtype_name(r.type));
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
