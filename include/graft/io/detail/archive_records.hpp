#pragma once
/// \file
/// The small records of a torch.save zip archive besides data.pkl and data/ (internal): `byteorder`
/// (PyTorch >= 1.10: "little" or "big"), `.format_version` (PyTorch 2.x: the order of the storage
/// records and whether `.storage_alignment` is there — neither changes what a reader that finds records
/// by name sees), and the byte swapping of a big-endian archive's storages into host order (little-endian).

#include <graft/error.hpp>
#include <graft/io/byte_span.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/pickle/value.hpp>
#include <graft/io/zip.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace graft::io::detail {

/// The newest `.format_version` graft knows (2: `.storage_alignment` is a record).
inline constexpr int max_format_version = 2;

/// Checks the archive's `byteorder` and `.format_version` records; true for a big-endian archive. A
/// missing `byteorder` (PyTorch < 1.10) means little-endian, as torch.load assumes.
inline bool check_archive_records(const zip_reader& zip, const std::string& prefix, const std::string& path) {
  if (const zip_entry* v = zip.find(prefix + ".format_version")) {
    auto b = zip.bytes(*v);
    const std::string text(as_chars(b.data, b.size));
    if (text.empty() || text.size() > 4 || text.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(text) < 1 || std::stoi(text) > max_format_version)
      throw checkpoint_error(path + ": .format_version is " + quote_name(text) +
                             "; graft reads torch.save archives of format versions 1 to " +
                             std::to_string(max_format_version));
  }
  const zip_entry* bo = zip.find(prefix + "byteorder");
  if (bo == nullptr) return false;
  auto b = zip.bytes(*bo);
  const std::string order(as_chars(b.data, b.size));
  if (order != "little" && order != "big")
    throw checkpoint_error(path + ": byteorder is " + quote_name(order) + "; expected \"little\" or \"big\"");
  return order == "big";
}

/// The width of the units a storage's bytes are swapped in: its element size (a complex element: each
/// part's). An untyped storage is swapped as the dtype its tensors view it as (1: not viewed).
inline std::size_t swap_width(const storage_ref& s) noexcept {
  const dtype t = s.untyped ? s.viewed_as.value_or(dtype::uint8) : s.type;
  const std::size_t size = dtype_size(t);
  return dtype_info(t).kind == dtype_kind::complex ? size / 2 : size;
}

/// Copies `n` bytes, reversing each `width`-byte unit (a trailing partial unit is copied as it is).
inline void copy_swapped(const std::byte* in, std::byte* out, std::size_t n, std::size_t width) noexcept {
  std::size_t i = 0;
  if (width > 1)
    for (; i + width <= n; i += width)
      for (std::size_t k = 0; k < width; ++k) out[i + k] = in[i + width - 1 - k];
  for (; i < n; ++i) out[i] = in[i];
}

/// Owns byte-swapped copies of a big-endian archive's storages, and keeps the file alive.
struct swapped_storages {
  std::shared_ptr<const void> file;          ///< the mapped archive
  std::vector<std::vector<std::byte>> data;  ///< one buffer per storage, in host order
};

/// A host-order copy of a big-endian storage's bytes, owned by `owner`.
inline byte_span swap_storage(swapped_storages& owner, const storage_ref& s, byte_span bytes) {
  owner.data.emplace_back(bytes.size);
  std::vector<std::byte>& out = owner.data.back();
  copy_swapped(bytes.data, out.data(), bytes.size, swap_width(s));
  return {out.data(), out.size()};
}

}  // namespace graft::io::detail
