#pragma once
/// \file
/// write_record: how one tensor's bytes reach an output (a .pth's zip entry, a safetensors file's
/// data). Where they lie whole in a mapped input and write_options::kernel_copy allows, the kernel
/// copies them from the input's file to the output's (kernel_copy), in pieces of write_piece_bytes;
/// otherwise, or where the kernel declines, they go through tensor_record::write_contiguous.
///
/// CRC-32s, so that a corrupt torch.save storage record is never laundered (written under a fresh,
/// valid CRC, or into a format without CRCs): a zip entry that is exactly a storage record copied
/// whole by the kernel takes the record's declared CRC-32, unread, and stays detectably corrupt when
/// the record is; any other copied bytes are checked against their record's CRC-32 first
/// (tensor_record::check_source), and a zip entry's CRC-32 is computed from the mapped bytes.

#include <graft/io/atomic_file.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/io/zip.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <vector>

namespace graft::io {

/// Writes `r`'s elements in C order to `out` (a zip_writer with an entry of r.nbytes() open, or an
/// atomic_file), reporting them to `meter`; `scratch` is write_contiguous's buffer.
template <class Sink>
void write_record(Sink& out, const tensor_record& r, const write_options& options, progress_meter& meter,
                  std::vector<std::byte>& scratch) {
  constexpr bool zip_entry = std::is_same_v<Sink, zip_writer>;
  const bool release = options.release_read_pages;
  const auto write = [&](const std::byte* p, std::size_t n) {
    out.write(p, n);
    meter.wrote(n);
  };
  const std::optional<file_location> at = options.kernel_copy ? r.file_bytes() : std::nullopt;
  if (!at) return r.write_contiguous(scratch, write, release);
  std::optional<std::uint32_t> carried;
  if constexpr (zip_entry) carried = r.whole_source_crc();
  if (!carried) r.check_source(release);  // before any of its bytes is copied
  const std::byte* bytes = r.first();
  const std::size_t n = r.nbytes();
  std::size_t done = 0;
  while (done < n) {
    const std::size_t len = std::min(write_piece_bytes, n - done);
    const std::size_t k = out.copy_in_kernel({at->fd, at->offset + done}, len);
    if (k == 0 && done == 0) return r.write_contiguous(scratch, write, release);  // the kernel declines
    if constexpr (zip_entry) {
      if (!carried) {
        out.add_to_crc(bytes + done, k);
        if (release) mapped_file::release_resident(bytes + done, k);
      }
    }
    meter.wrote(k, k);
    done += k;
    if (k < len) break;  // the kernel stopped part-way (the input ended?): the rest goes through memory
  }
  if constexpr (zip_entry) {
    if (carried) out.carry_crc(*carried);
  }
  write_in_pieces(bytes + done, n - done, release, write);
}

}  // namespace graft::io
