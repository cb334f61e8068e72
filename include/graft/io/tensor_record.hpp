#pragma once
/// \file
/// tensor_record: a named tensor's description plus a zero-copy view of its bytes in a checkpoint.

#include <graft/detail/utf8.hpp>
#include <graft/error.hpp>
#include <graft/io/byte_span.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/source_crc.hpp>
#include <graft/tensor_meta.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__)
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "graft's checkpoint I/O maps little-endian tensor bytes directly; big-endian hosts are not supported");
#endif

namespace graft::io {

/// A tensor in a checkpoint: name, dtype, shape and role (tensor_meta), its layout in a storage,
/// and the storage's bytes (little-endian), kept alive by `owner` (usually the mapped file).
struct tensor_record : tensor_meta {
  std::vector<std::int64_t> strides;  ///< strides in elements, one per dimension
  std::int64_t storage_offset = 0;    ///< first element's index in the storage
  byte_span storage;                  ///< the whole storage's bytes (shared by views of one storage)
  std::shared_ptr<const void> owner;  ///< keeps `storage` valid
  /// The CRC-checked record `storage` was read from (a torch.save zip's data/<key>), or null: checked
  /// when the bytes are first copied (copy_contiguous, write_contiguous, check_source).
  std::shared_ptr<const source_crc> source;

  /// Number of elements.
  std::int64_t numel() const noexcept { return graft::numel(shape); }
  /// Bytes of the tensor's elements when laid out contiguously.
  std::size_t nbytes() const noexcept { return static_cast<std::size_t>(numel()) * dtype_size(type); }
  /// True when the elements are stored in C order without gaps (size-1 dims' strides ignored).
  bool is_contiguous() const noexcept {
    std::int64_t expect = 1;
    for (std::size_t i = shape.size(); i-- > 0;) {
      if (shape[i] == 0) return true;
      if (shape[i] != 1 && strides[i] != expect) return false;
      expect *= shape[i];
    }
    return true;
  }
  /// True when the elements take more bytes than the whole storage holds: strides that repeat
  /// elements (an `expand`ed, stride-0 tensor), which materialising would multiply.
  bool is_expanded() const noexcept { return nbytes() > storage.size; }
  /// Throws checkpoint_error unless the elements may be laid out contiguously (converted, reordered,
  /// written where strides cannot be kept): an expanded tensor may take at most
  /// expanded_factor x its storage's bytes + expanded_floor; any other tensor always may.
  /// `label` (the file being written, say) prefixes the message when given.
  void check_materialisable(const std::string& label = "") const;
  /// Pointer to the first element (the storage start plus the offset).
  const std::byte* first() const noexcept {
    return storage.data + static_cast<std::size_t>(storage_offset) * dtype_size(type);
  }
  /// Checks the source record's CRC-32 (once per record; a no-op without `source`): before the bytes are
  /// used. `release_pages`: as source_crc::check.
  void check_source(bool release_pages = false) const {
    if (source) source->check(release_pages);
  }
  /// Copies the elements in C order into `out` (nbytes() bytes), after check_source().
  void copy_contiguous(std::byte* out) const {
    const std::size_t es = dtype_size(type);
    if (numel() == 0) return;
    check_source();
    if (is_contiguous()) {
      std::memcpy(out, first(), nbytes());
      return;
    }
    for_each_element([&](std::size_t k, const std::byte* src) { std::memcpy(out + k * es, src, es); });
  }
  /// Passes the elements in C order to `write(const std::byte*, std::size_t)`: the tensor's own bytes
  /// when contiguous, else copies made in `scratch`, at most 1 MiB at a time (an expanded, stride-0
  /// tensor of any size is streamed, never materialised whole). The source record's CRC-32 is checked
  /// first (check_source), or, when the tensor is that whole record, as the bytes stream (no extra pass):
  /// then a mismatch throws after the last write, before the caller commits its output.
  /// `release_pages`: the mapped pages read are dropped from the resident set once written
  /// (write_options::release_read_pages).
  template <class Write>
  void write_contiguous(std::vector<std::byte>& scratch, Write&& write, bool release_pages = false) const {
    check_materialisable();
    if (numel() == 0) return;
    if (source && !source->checked() && is_whole_source()) {
      std::uint32_t crc = 0;
      write_in_pieces(first(), nbytes(), release_pages, [&](const std::byte* p, std::size_t n) {
        crc = crc32_update(crc, p, n);
        write(p, n);
      });
      source->expect(crc);
      return;
    }
    check_source(release_pages);
    if (is_contiguous()) {
      write_in_pieces(first(), nbytes(), release_pages, write);
      return;
    }
    const std::size_t es = dtype_size(type);
    const std::size_t per_chunk = std::max<std::size_t>(1, (std::size_t{1} << 20) / es);
    scratch.resize(std::min(nbytes(), per_chunk * es));
    std::size_t filled = 0;
    for_each_element([&](std::size_t, const std::byte* src) {
      std::memcpy(scratch.data() + filled, src, es);
      filled += es;
      if (filled == scratch.size()) {
        write(scratch.data(), filled);
        filled = 0;
      }
    });
    if (filled != 0) write(scratch.data(), filled);
    if (release_pages) mapped_file::release_resident(storage.data, storage.size);
  }
  /// Where the C-order bytes lie in a live mapped input's file, for the kernel to copy (kernel_copy):
  /// when the tensor is contiguous, not empty, and its bytes are all in one mapped_file.
  std::optional<file_location> file_bytes() const noexcept {
    if (numel() == 0 || !is_contiguous()) return std::nullopt;
    return mapped_file::locate(first(), nbytes());
  }
  /// The CRC-32 the source record declares, when the C-order bytes are exactly that record's bytes
  /// (unchecked: see source_crc::checked()); nothing otherwise.
  std::optional<std::uint32_t> whole_source_crc() const noexcept {
    if (!source || !is_whole_source()) return std::nullopt;
    return source->declared();
  }
  /// The elements in C order (copies).
  std::vector<std::byte> contiguous_bytes() const {
    check_materialisable();
    std::vector<std::byte> out(nbytes());
    copy_contiguous(out.data());
    return out;
  }

private:
  /// True when the tensor's C-order bytes are exactly its source record's bytes.
  bool is_whole_source() const noexcept {
    return is_contiguous() && first() == source->bytes().data && nbytes() == source->bytes().size;
  }
  /// Calls f(k, element) for each element in C order (k counts from 0).
  template <class F>
  void for_each_element(F&& f) const {
    const std::size_t es = dtype_size(type);
    const std::int64_t n = numel();
    const std::size_t nd = shape.size();
    std::vector<std::int64_t> idx(nd, 0);
    const std::byte* base = first();
    for (std::int64_t k = 0; k < n; ++k) {
      std::int64_t off = 0;
      for (std::size_t d = 0; d < nd; ++d) off += idx[d] * strides[d];
      f(static_cast<std::size_t>(k), base + static_cast<std::size_t>(off) * es);
      for (std::size_t d = nd; d-- > 0;) {
        if (++idx[d] < shape[d]) break;
        idx[d] = 0;
      }
    }
  }
};

using graft::contiguous_strides;  // C-order strides (graft/tensor_meta.hpp)

/// An expanded tensor (tensor_record::is_expanded) is materialised only up to this multiple of its
/// storage's bytes plus expanded_floor; above, graft refuses to convert, reorder or write it where its
/// strides cannot be kept (a .pth keeps them: write_pth writes such a tensor as it was saved).
inline constexpr std::size_t expanded_factor = 64;
/// See expanded_factor: 64 MiB.
inline constexpr std::size_t expanded_floor = std::size_t{64} << 20;

inline void tensor_record::check_materialisable(const std::string& label) const {
  if (!is_expanded()) return;
  const std::size_t limit = storage.size * expanded_factor + expanded_floor;
  if (nbytes() <= limit) return;
  std::string strides_text;
  for (std::size_t i = 0; i < strides.size() && i < 16; ++i)
    strides_text += (i ? ", " : "") + std::to_string(strides[i]);
  if (strides.size() > 16) strides_text += ", ...";
  throw checkpoint_error((label.empty() ? "" : label + ": ") + "tensor " + detail::quote_name(name) + " " +
                         shape_str(shape) + " is expanded (strides [" + strides_text +
                         "]): laid out whole it would take " + std::to_string(nbytes()) + " bytes, more than " +
                         std::to_string(expanded_factor) + " x its storage's " + std::to_string(storage.size) +
                         " bytes + 64 MiB; graft copies it unchanged into a .pth " +
                         "(storage and strides as saved) but does not convert, reorder or write it to safetensors");
}

/// Throws checkpoint_error (prefixed by `label`) unless the record's name is valid UTF-8, its shape,
/// strides and offset are sane and every element lies inside its storage bytes.
inline void validate_record(const tensor_record& r, const std::string& label) {
  if (auto problem = graft::detail::utf8_problem("tensor name", r.name); !problem.empty())
    throw checkpoint_error(label + ": " + problem + "; names must be UTF-8 (PyTorch cannot load others)");
  auto bad = [&](const std::string& what) {
    throw checkpoint_error(label + ": tensor " + detail::quote_name(r.name) + ": " + what);
  };
  if (r.strides.size() != r.shape.size()) bad("stride and size have different lengths");
  if (r.storage_offset < 0) bad("negative storage offset " + std::to_string(r.storage_offset));
  const std::int64_t es = static_cast<std::int64_t>(dtype_size(r.type));
  std::int64_t n = 1;
  for (std::size_t i = 0; i < r.shape.size(); ++i) {
    if (r.shape[i] < 0) bad("negative size in shape " + shape_str(r.shape));
    if (r.strides[i] < 0) bad("negative stride " + std::to_string(r.strides[i]));
    if (__builtin_mul_overflow(n, r.shape[i], &n)) bad("shape " + shape_str(r.shape) + " overflows");
  }
  std::int64_t bytes = 0;
  if (__builtin_mul_overflow(n, es, &bytes)) bad("shape " + shape_str(r.shape) + " overflows");
  if (n == 0) return;
  std::int64_t last = r.storage_offset;
  for (std::size_t i = 0; i < r.shape.size(); ++i) {
    std::int64_t step = 0;
    if (__builtin_mul_overflow(r.shape[i] - 1, r.strides[i], &step) || __builtin_add_overflow(last, step, &last))
      bad("strides overflow");
  }
  const std::int64_t storage_numel = static_cast<std::int64_t>(r.storage.size / static_cast<std::size_t>(es));
  if (last >= storage_numel)
    bad("shape " + shape_str(r.shape) + " with offset " + std::to_string(r.storage_offset) +
        " and its strides reaches element " + std::to_string(last) + " of a storage of " +
        std::to_string(storage_numel) + " elements");
}

}  // namespace graft::io
