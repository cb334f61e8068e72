#pragma once
/// \file
/// A minimal zip reader and writer for torch.save archives, zip64 aware. The reader maps stored
/// (uncompressed) entries zero-copy and inflates deflated ones only for small records (read_small:
/// TorchScript source); the writer writes stored entries, 64-byte aligned so tensors can be mapped.

#include <graft/error.hpp>
#include <graft/io/byte_span.hpp>
#include <graft/io/crc32.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/detail/inflate.hpp>
#include <graft/io/file_sink.hpp>
#include <graft/io/mapped_file.hpp>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sys/types.h>

namespace graft::io {

/// One entry of a zip archive, as its central directory declares it.
struct zip_entry {
  std::string name;               ///< path inside the archive
  std::uint64_t offset = 0;       ///< offset of the entry's data in the archive
  std::uint64_t size = 0;         ///< size of the data in bytes
  std::uint32_t crc32 = 0;        ///< CRC-32 declared in the central directory
  std::uint16_t method = 0;       ///< compression method (0: stored; 8: deflated, read by read_small only)
  bool encrypted = false;         ///< encrypted entries cannot be read
  std::uint64_t stored_size = 0;  ///< bytes the entry occupies in the archive
};

/// Reads the central directory of an in-memory zip archive; entries are views into that memory.
class zip_reader {
public:
  /// Parses the archive in [data, data+size); `label` (the file name) prefixes every error message.
  zip_reader(const std::byte* data, std::size_t size, std::string label)
      : data_(data), size_(size), label_(std::move(label)) {
    parse();
  }

  /// All entries, in central-directory order.
  const std::vector<zip_entry>& entries() const noexcept { return entries_; }

  /// The entry called `name`, or nullptr.
  const zip_entry* find(std::string_view name) const {
    auto it = index_.find(std::string(name));
    return it == index_.end() ? nullptr : &entries_[it->second];
  }

  /// The bytes of an entry; throws checkpoint_error for compressed or encrypted entries.
  byte_span bytes(const zip_entry& e) const {
    if (e.encrypted)
      fail("entry " + detail::quote_name(e.name) + " is encrypted; encrypted archives are not supported");
    if (e.method != 0)
      fail("entry " + detail::quote_name(e.name) + " is compressed (method " + std::to_string(e.method) +
           "); only stored (uncompressed) entries, as torch.save writes them, are supported");
    return {data_ + e.offset, static_cast<std::size_t>(e.size)};
  }

  /// A copy of a small entry's contents, inflating it if it is deflated (method 8) and checking its
  /// CRC-32. For metadata and source records only; tensor data is always read through bytes().
  std::string read_small(const zip_entry& e, std::size_t max_size = 64u << 20) const {
    if (e.encrypted)
      fail("entry " + detail::quote_name(e.name) + " is encrypted; encrypted archives are not supported");
    if (e.size > max_size) fail("entry " + detail::quote_name(e.name) + " is too large to read");
    std::string out;
    if (e.method == 8) {
      out = detail::inflate({data_ + e.offset, static_cast<std::size_t>(e.stored_size)},
                            static_cast<std::size_t>(e.size), label_ + ": " + e.name);
    } else {
      auto b = bytes(e);
      out.assign(detail::as_chars(b.data, b.size));
    }
    if (crc32_update(0, out.data(), out.size()) != e.crc32)
      fail("entry " + detail::quote_name(e.name) + " fails its CRC-32 check");
    return out;
  }

  /// Throws checkpoint_error when an entry's bytes do not match its declared CRC-32.
  void verify_crc(const zip_entry& e) const {
    auto b = bytes(e);
    if (crc32_update(0, b.data, b.size) != e.crc32)
      fail("entry " + detail::quote_name(e.name) + " fails its CRC-32 check");
  }

private:
  [[noreturn]] void fail(const std::string& what) const { throw checkpoint_error(label_ + ": zip: " + what); }

  /// Whether [off, off + n) lies inside the file.
  bool inside(std::uint64_t off, std::uint64_t n) const noexcept { return off <= size_ && n <= size_ - off; }
  [[noreturn]] void beyond_end(const std::string& what) const {
    fail(what + " lies beyond the end of the file (truncated?)");
  }
  void need(std::uint64_t off, std::uint64_t n, const char* what) const {
    if (!inside(off, n)) beyond_end(what);
  }

  void parse() {
    constexpr std::uint32_t eocd_sig = 0x06054b50, loc64_sig = 0x07064b50, eocd64_sig = 0x06064b50, cd_sig = 0x02014b50,
                            local_sig = 0x04034b50;
    if (size_ < 22) fail("file too small to be a zip archive");
    std::uint64_t pos = size_ - 22;
    std::uint64_t lowest = size_ - 22 > 65535 ? size_ - 22 - 65535 : 0;
    bool found = false;
    for (;;) {
      if (detail::load_u32(data_ + pos) == eocd_sig && pos + 22 + detail::load_u16(data_ + pos + 20) <= size_) {
        found = true;
        break;
      }
      if (pos == lowest) break;
      --pos;
    }
    if (!found) fail("end of central directory record not found (truncated or not a zip file)");
    const std::byte* e = data_ + pos;
    std::uint64_t disk = detail::load_u16(e + 4), cd_disk = detail::load_u16(e + 6);
    std::uint64_t count_disk = detail::load_u16(e + 8), count = detail::load_u16(e + 10);
    std::uint64_t cd_size = detail::load_u32(e + 12), cd_off = detail::load_u32(e + 16);
    if (count == 0xffff || count_disk == 0xffff || cd_size == 0xffffffff || cd_off == 0xffffffff) {
      if (pos < 20 || detail::load_u32(data_ + pos - 20) != loc64_sig)
        fail("zip64 end of central directory locator missing");
      std::uint64_t off64 = detail::load_u64(data_ + pos - 20 + 8);
      need(off64, 56, "zip64 end of central directory record");
      const std::byte* z = data_ + off64;
      if (detail::load_u32(z) != eocd64_sig) fail("zip64 end of central directory record has a bad signature");
      disk = detail::load_u32(z + 16);
      cd_disk = detail::load_u32(z + 20);
      count_disk = detail::load_u64(z + 24);
      count = detail::load_u64(z + 32);
      cd_size = detail::load_u64(z + 40);
      cd_off = detail::load_u64(z + 48);
    }
    if (disk != 0 || cd_disk != 0 || count_disk != count) fail("multi-disk archives are not supported");
    need(cd_off, cd_size, "central directory");
    if (count > cd_size / 46)
      fail("central directory declares " + std::to_string(count) + " entries, more than fit in it");
    entries_.reserve(static_cast<std::size_t>(count));
    std::uint64_t p = cd_off, cd_end = cd_off + cd_size;
    for (std::uint64_t i = 0; i < count; ++i) {
      if (p + 46 > cd_end) fail("central directory truncated");
      const std::byte* h = data_ + p;
      if (detail::load_u32(h) != cd_sig) fail("central directory entry " + std::to_string(i) + " has a bad signature");
      std::uint16_t flags = detail::load_u16(h + 8), method = detail::load_u16(h + 10);
      std::uint32_t crc = detail::load_u32(h + 16);
      std::uint64_t csize = detail::load_u32(h + 20), usize = detail::load_u32(h + 24);
      std::uint64_t nlen = detail::load_u16(h + 28), elen = detail::load_u16(h + 30), clen = detail::load_u16(h + 32);
      std::uint64_t lho = detail::load_u32(h + 42);
      if (p + 46 + nlen + elen + clen > cd_end)
        fail("central directory entry " + std::to_string(i) + " runs past the directory");
      std::string name(detail::as_chars(h + 46, nlen));
      // zip64 extended information
      const std::byte* x = h + 46 + nlen;
      const std::byte* xend = x + elen;
      while (xend - x >= 4) {
        std::uint16_t id = detail::load_u16(x), len = detail::load_u16(x + 2);
        if (static_cast<std::uint64_t>(xend - x - 4) < len)
          fail("entry " + detail::quote_name(name) + " has a truncated extra field");
        if (id == 0x0001) {
          const std::byte* q = x + 4;
          const std::byte* qend = q + len;
          auto take = [&](std::uint64_t& v) {
            if (v != 0xffffffff) return;
            if (qend - q < 8) fail("entry " + detail::quote_name(name) + " has a short zip64 extra field");
            v = detail::load_u64(q);
            q += 8;
          };
          take(usize);
          take(csize);
          take(lho);
        }
        x += 4 + len;
      }
      if (method == 0 && csize != usize)
        fail("entry " + detail::quote_name(name) + " is stored but its compressed and uncompressed sizes differ");
      if (!inside(lho, 30)) beyond_end("local header of " + detail::quote_name(name));
      const std::byte* l = data_ + lho;
      if (detail::load_u32(l) != local_sig)
        fail("local header of entry " + detail::quote_name(name) + " has a bad signature");
      std::uint64_t lnlen = detail::load_u16(l + 26), lelen = detail::load_u16(l + 28);
      if (!inside(lho + 30, lnlen + lelen)) beyond_end("local header of " + detail::quote_name(name));
      if (detail::as_chars(l + 30, lnlen) != name)
        fail("local header name of entry " + detail::quote_name(name) + " differs from the central directory");
      std::uint64_t doff = lho + 30 + lnlen + lelen;
      if (doff > size_ || csize > size_ - doff)
        fail("entry " + detail::quote_name(name) + " declares " + std::to_string(csize) +
             " bytes, beyond the end of the file (truncated?)");
      if (!index_.emplace(name, entries_.size()).second) fail("duplicate entry " + detail::quote_name(name));
      entries_.push_back({std::move(name), doff, usize, crc, method, (flags & 0x1) != 0, csize});
      p += 46 + nlen + elen + clen;
    }
  }

  const std::byte* data_;
  std::size_t size_;
  std::string label_;
  std::vector<zip_entry> entries_;
  std::unordered_map<std::string, std::size_t> index_;
};

/// Writes a zip archive of stored entries to a seekable FILE*, data 64-byte aligned as torch.save does.
/// Sizes are declared up front; the CRC is computed while streaming (or given: carry_crc) and patched
/// in afterwards.
class zip_writer {
public:
  /// Writes through `out` (nothing appended yet); `label` names the file in errors. `force_zip64`
  /// writes zip64 records even when not needed (used by tests).
  zip_writer(file_sink& out, std::string label, bool force_zip64 = false)
      : out_(&out), label_(std::move(label)), force64_(force_zip64) {}
  /// Writes into `f` from its start (by its descriptor: `f`'s own position and buffer are left alone).
  zip_writer(std::FILE* f, std::string label, bool force_zip64 = false)
      : owned_(std::make_unique<file_sink>(::fileno(f), label)),
        out_(owned_.get()),
        label_(std::move(label)),
        force64_(force_zip64) {}

  /// Starts an entry of exactly `size` bytes.
  void begin_entry(const std::string& name, std::uint64_t size) {
    if (open_) fail("begin_entry while an entry is open");
    if (name.size() > 0xffff) fail("entry name too long");
    cur_ = {name, pos(), size, 0, 0, false, size};
    bool z64 = force64_ || size >= 0xffffffffu || pos() >= 0xffffffffu;
    cur64_ = z64;
    std::string h;
    detail::store_le<4>(h, 0x04034b50);
    detail::store_le<2>(h, z64 ? 45 : 20);
    detail::store_le<2>(h, 0);     // flags
    detail::store_le<2>(h, 0);     // stored
    detail::store_le<2>(h, 0);     // time
    detail::store_le<2>(h, 0x21);  // date 1980-01-01
    detail::store_le<4>(h, 0);     // crc, patched later
    detail::store_le<4>(h, z64 ? 0xffffffffu : size);
    detail::store_le<4>(h, z64 ? 0xffffffffu : size);
    std::uint64_t z64len = z64 ? 20 : 0;
    std::uint64_t base = pos() + 30 + name.size() + z64len + 4;
    std::uint64_t pad = (64 - base % 64) % 64;
    detail::store_le<2>(h, name.size());
    detail::store_le<2>(h, z64len + 4 + pad);
    h += name;
    if (z64) {
      detail::store_le<2>(h, 0x0001);
      detail::store_le<2>(h, 16);
      detail::store_le<8>(h, size);
      detail::store_le<8>(h, size);
    }
    detail::store_le<2>(h, 0x4246);  // "FB" padding field, as PyTorch's writer uses
    detail::store_le<2>(h, pad);
    h.append(static_cast<std::size_t>(pad), 'Z');
    put(h.data(), h.size());
    cur_.offset = pos();  // remember where the data starts; local header is at header_pos_
    header_pos_ = pos() - h.size();
    written_ = 0;
    crc_ = 0;
    carried_.reset();
    open_ = true;
  }

  /// Appends bytes to the open entry.
  void write(const void* p, std::size_t n) {
    if (!open_) fail("write without an open entry");
    if (n > cur_.size - written_) fail("entry " + detail::quote_name(cur_.name) + " is larger than declared");
    crc_ = crc32_update(crc_, p, n);
    put(p, n);
    written_ += n;
  }

  /// Appends up to `n` bytes at `from` to the open entry, copied by the kernel (kernel_copy); returns
  /// how many it copied (the caller writes the rest). They are not read: the caller adds them to the
  /// entry's CRC-32 (add_to_crc) or gives the entry's CRC-32 (carry_crc).
  std::size_t copy_in_kernel(const file_location& from, std::size_t n) {
    if (!open_) fail("copy_in_kernel without an open entry");
    if (n > cur_.size - written_) fail("entry " + detail::quote_name(cur_.name) + " is larger than declared");
    const std::size_t k = out_->copy_in_kernel(from, n);
    written_ += k;
    return k;
  }
  /// Adds bytes copy_in_kernel appended (the same bytes, read from memory) to the open entry's CRC-32.
  void add_to_crc(const void* p, std::size_t n) noexcept { crc_ = crc32_update(crc_, p, n); }
  /// The open entry's CRC-32 is `crc`, whatever its bytes give: the declared CRC-32 of a source record
  /// the entry copies whole, unread, so that a corrupt record stays detectably corrupt.
  void carry_crc(std::uint32_t crc) noexcept { carried_ = crc; }

  /// Finishes the open entry (its size must match the declared one).
  void end_entry() {
    if (!open_) fail("end_entry without an open entry");
    if (written_ != cur_.size) fail("entry " + detail::quote_name(cur_.name) + " is smaller than declared");
    const std::uint32_t crc = carried_.value_or(crc_);
    std::string c;
    detail::store_le<4>(c, crc);
    out_->patch(header_pos_ + 14, c.data(), 4);
    cur_.crc32 = crc;
    done_.push_back({cur_, header_pos_, cur64_});
    open_ = false;
  }

  /// Adds a whole entry at once.
  void add(const std::string& name, const void* p, std::size_t n) {
    begin_entry(name, n);
    write(p, n);
    end_entry();
  }

  /// Writes the central directory and flushes; the archive is complete afterwards (the file stays open).
  void finish() {
    if (open_) fail("finish while an entry is open");
    std::string cd;
    for (const auto& d : done_) {
      bool z64 = d.zip64 || d.header >= 0xffffffffu;
      detail::store_le<4>(cd, 0x02014b50);
      detail::store_le<2>(cd, z64 ? 45 : 20);  // made by
      detail::store_le<2>(cd, z64 ? 45 : 20);  // needed
      detail::store_le<2>(cd, 0);
      detail::store_le<2>(cd, 0);
      detail::store_le<2>(cd, 0);
      detail::store_le<2>(cd, 0x21);
      detail::store_le<4>(cd, d.entry.crc32);
      detail::store_le<4>(cd, z64 ? 0xffffffffu : d.entry.size);
      detail::store_le<4>(cd, z64 ? 0xffffffffu : d.entry.size);
      detail::store_le<2>(cd, d.entry.name.size());
      detail::store_le<2>(cd, z64 ? 28 : 0);
      detail::store_le<2>(cd, 0);  // comment
      detail::store_le<2>(cd, 0);  // disk
      detail::store_le<2>(cd, 0);  // internal attributes
      detail::store_le<4>(cd, 0);  // external attributes
      detail::store_le<4>(cd, z64 ? 0xffffffffu : d.header);
      cd += d.entry.name;
      if (z64) {
        detail::store_le<2>(cd, 0x0001);
        detail::store_le<2>(cd, 24);
        detail::store_le<8>(cd, d.entry.size);
        detail::store_le<8>(cd, d.entry.size);
        detail::store_le<8>(cd, d.header);
      }
    }
    std::uint64_t cd_off = pos(), cd_size = cd.size(), n = done_.size();
    bool z64 = force64_ || n >= 0xffff || cd_off >= 0xffffffffu || cd_size >= 0xffffffffu;
    if (z64) {
      std::uint64_t rec = cd_off + cd_size;
      detail::store_le<4>(cd, 0x06064b50);
      detail::store_le<8>(cd, 44);
      detail::store_le<2>(cd, 45);
      detail::store_le<2>(cd, 45);
      detail::store_le<4>(cd, 0);
      detail::store_le<4>(cd, 0);
      detail::store_le<8>(cd, n);
      detail::store_le<8>(cd, n);
      detail::store_le<8>(cd, cd_size);
      detail::store_le<8>(cd, cd_off);
      detail::store_le<4>(cd, 0x07064b50);
      detail::store_le<4>(cd, 0);
      detail::store_le<8>(cd, rec);
      detail::store_le<4>(cd, 1);
    }
    detail::store_le<4>(cd, 0x06054b50);
    detail::store_le<2>(cd, 0);
    detail::store_le<2>(cd, 0);
    detail::store_le<2>(cd, z64 ? 0xffff : n);
    detail::store_le<2>(cd, z64 ? 0xffff : n);
    detail::store_le<4>(cd, z64 ? 0xffffffffu : cd_size);
    detail::store_le<4>(cd, z64 ? 0xffffffffu : cd_off);
    detail::store_le<2>(cd, 0);
    put(cd.data(), cd.size());
    out_->flush();
  }

private:
  struct done_entry {
    zip_entry entry;
    std::uint64_t header;
    bool zip64;
  };

  [[noreturn]] void fail(const std::string& what) const { throw checkpoint_error(label_ + ": zip writer: " + what); }
  void put(const void* p, std::size_t n) { out_->write(p, n); }
  /// Where the next byte lands in the file.
  std::uint64_t pos() const noexcept { return out_->size(); }

  std::unique_ptr<file_sink> owned_;  // the FILE* constructor's
  file_sink* out_;
  std::string label_;
  bool force64_;
  std::uint64_t header_pos_ = 0;
  std::uint64_t written_ = 0;
  std::uint32_t crc_ = 0;
  std::optional<std::uint32_t> carried_;
  bool open_ = false;
  bool cur64_ = false;
  zip_entry cur_;
  std::vector<done_entry> done_;
};

}  // namespace graft::io
