#pragma once
/// \file
/// Writing torch.save zip files (what PyTorch >= 1.6 writes): an OrderedDict of tensors pickled
/// with protocol 2, one 64-byte-aligned storage record per tensor (an expanded tensor: per storage, as
/// saved), written atomically. Tensors of the
/// dtypes PyTorch 1.x does not have (dtype_needs_torch2) are pickled as PyTorch 2.x does
/// (_rebuild_tensor_v3 on an UntypedStorage), the others as PyTorch 1.x reads them (_rebuild_tensor_v2 on
/// a typed storage), so a file loads in every PyTorch that knows its dtypes.

#include <graft/error.hpp>
#include <graft/io/atomic_file.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/pickle.hpp>
#include <graft/io/pickle/emitter.hpp>
#include <graft/io/record_writer.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/zip.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
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
/// (temp file, fsync, rename). Each tensor gets its own contiguous storage (an expanded one keeps its
/// storage and strides, see tensor_record::is_expanded); parameters are saved
/// as plain tensors, as `model.state_dict()` does. Readable by torch.load in PyTorch >= 1.6 (tensors of the dtypes
/// dtype_needs_torch2 names: in the PyTorch of dtype_row::since and later).
inline void write_pth(const std::string& path, const std::vector<tensor_record>& records,
                      const pth_write_options& options = {}) {
  std::set<std::string_view> names;
  for (const auto& r : records) {
    if (!names.insert(r.name).second) throw usage_error(path + ": duplicate tensor name " + detail::quote_name(r.name));
    validate_record(r, path);
  }
  // One storage record per tensor, holding its elements contiguously; an expanded tensor
  // (tensor_record::is_expanded) keeps its storage, offset and strides instead, one record per
  // storage it shares, as torch.save wrote it.
  struct storage_slot {
    std::size_t record;  // the first record that writes it
    bool as_saved;       // the record's whole storage (expanded), else its elements contiguously
  };
  std::vector<storage_slot> slots;
  std::vector<std::size_t> slot_of(records.size());
  std::map<std::tuple<const std::byte*, std::size_t, dtype>, std::size_t> shared;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (!r.is_expanded()) {
      slot_of[i] = slots.size();
      slots.push_back({i, false});
      continue;
    }
    auto [it, fresh] = shared.try_emplace({r.storage.data, r.storage.size, r.type}, slots.size());
    if (fresh) slots.push_back({i, true});
    slot_of[i] = it->second;
  }
  const auto slot_bytes = [&](const storage_slot& s) {
    const auto& r = records[s.record];
    return s.as_saved ? r.storage.size / dtype_size(r.type) * dtype_size(r.type) : r.nbytes();
  };
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
    const storage_slot& slot = slots[slot_of[i]];
    const auto bytes = static_cast<std::int64_t>(slot_bytes(slot));
    p.str(std::to_string(slot_of[i]));
    p.str("cpu");
    // an untyped storage counts bytes, a typed one elements
    p.integer(v3 ? bytes : bytes / static_cast<std::int64_t>(dtype_size(r.type)));
    p.op(pickle_op::tuple);
    p.op(pickle_op::binpersid);
    p.integer(slot.as_saved ? r.storage_offset : 0);
    p.int_tuple(r.shape);
    p.int_tuple(slot.as_saved ? r.strides : contiguous_strides(r.shape));
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
  zip_writer zip(out.sink(), path, options.force_zip64);
  const std::string pre = options.archive_name + "/";
  zip.add(pre + "data.pkl", p.out.data(), p.out.size());
  zip.add(pre + "byteorder", "little", 6);
  std::uint64_t total = 0;
  for (const auto& slot : slots) total += slot_bytes(slot);
  progress_meter meter(options, total);
  std::vector<std::byte> buf;
  for (std::size_t k = 0; k < slots.size(); ++k) {
    const auto& r = records[slots[k].record];
    zip.begin_entry(pre + "data/" + std::to_string(k), slot_bytes(slots[k]));
    if (slots[k].as_saved) {
      r.check_source(options.release_read_pages);  // the source record's CRC-32, as every copied byte
      write_in_pieces(r.storage.data, slot_bytes(slots[k]), options.release_read_pages,
                      [&](const std::byte* bytes, std::size_t n) {
                        zip.write(bytes, n);
                        meter.wrote(n);
                      });
    } else {
      write_record(zip, r, options, meter, buf);
    }
    zip.end_entry();
  }
  zip.add(pre + "version", "3\n", 2);
  zip.finish();
  out.commit();
  meter.committed();
}

}  // namespace graft::io
