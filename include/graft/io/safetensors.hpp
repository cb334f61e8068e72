#pragma once
/// \file
/// Reading and writing safetensors files: an 8-byte little-endian header length, a JSON header
/// (name → dtype, shape, data_offsets; optional "__metadata__" string map), then the raw bytes.
/// Its format entry: safetensors_format.

#include <graft/error.hpp>
#include <graft/io/atomic_file.hpp>
#include <graft/io/detail/bytes.hpp>
#include <graft/io/detail/json.hpp>
#include <graft/io/format.hpp>
#include <graft/io/mapped_file.hpp>
#include <graft/io/record_writer.hpp>
#include <graft/io/tensor_record.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace graft::io {

/// The contents of a safetensors file.
struct safetensors_contents {
  std::vector<tensor_record> tensors;  ///< in header order; bytes point into the mapped file
  metadata_t metadata;                 ///< "__metadata__", in header order
};

namespace detail {

/// Largest header graft accepts (the format's reference implementation uses the same limit).
inline constexpr std::uint64_t max_safetensors_header = 100u * 1000u * 1000u;

/// The dtype of a safetensors dtype name ("F32"), if graft handles it.
inline std::optional<dtype> safetensors_dtype(std::string_view s) noexcept {
  return find_dtype(&dtype_row::safetensors, s);
}

/// The safetensors name of a dtype.
inline std::string_view safetensors_dtype_name(dtype t) noexcept { return dtype_info(t).safetensors; }

}  // namespace detail

/// Reads a mapped safetensors file, validating the header: sane length, well-formed JSON, known
/// dtypes, offsets inside the data and not overlapping, dtype × shape matching each span.
inline safetensors_contents read_safetensors(std::shared_ptr<const mapped_file> file) {
  const std::string& path = file->path();
  auto fail = [&](const std::string& what) -> void { throw checkpoint_error(path + ": safetensors: " + what); };
  const std::size_t size = file->size();
  if (size < 8) fail("file too small for a header length");
  const std::uint64_t hlen = detail::load_u64(file->data());
  if (hlen > size - 8)
    fail("header length " + std::to_string(hlen) + " exceeds the file (" + std::to_string(size) + " bytes)");
  if (hlen > detail::max_safetensors_header) fail("header length " + std::to_string(hlen) + " is implausibly large");
  detail::json header;
  try {
    header = detail::parse_json(detail::as_chars(file->data() + 8, static_cast<std::size_t>(hlen)));
  } catch (const detail::json_budget_error& e) {
    fail(std::string("header of ") + std::to_string(hlen) + " bytes refused: " + e.what());
  } catch (const detail::json_error& e) {
    fail(std::string("malformed JSON header: ") + e.what());
  }
  if (header.k != detail::json::kind::object) fail("header is not a JSON object");
  const std::byte* data = file->data() + 8 + hlen;
  const std::uint64_t data_size = size - 8 - hlen;
  safetensors_contents out;
  struct span_use {
    std::uint64_t begin, end;
    std::string name;
  };
  std::vector<span_use> used;
  for (const auto& member : header.members) {
    const std::string& name = member.first;
    const detail::json& v = member.second;
    if (name == "__metadata__") {
      if (v.k != detail::json::kind::object) fail("__metadata__ is not an object");
      for (const auto& [mk, mv] : v.members) {
        if (mv.k != detail::json::kind::string)
          fail("__metadata__ value " + detail::quote_name(mk) + " is not a string");
        out.metadata.emplace_back(mk, mv.text);
      }
      continue;
    }
    auto bad = [&](const std::string& what) { fail("tensor " + detail::quote_name(name) + ": " + what); };
    if (v.k != detail::json::kind::object) bad("entry is not an object");
    const detail::json* dt = v.find("dtype");
    const detail::json* shape = v.find("shape");
    const detail::json* offs = v.find("data_offsets");
    if (!dt || dt->k != detail::json::kind::string) bad("missing or non-string \"dtype\"");
    if (!shape || shape->k != detail::json::kind::array) bad("missing or non-array \"shape\"");
    if (!offs || offs->k != detail::json::kind::array || offs->items.size() != 2) bad("\"data_offsets\" is not a pair");
    auto type = detail::safetensors_dtype(dt->text);
    if (!type) bad("unknown or unsupported dtype " + detail::quote_name(dt->text));
    tensor_record r;
    r.name = name;
    r.type = *type;
    std::uint64_t n = 1;
    for (const auto& d : shape->items) {
      auto x = d.as_uint();
      if (!x || *x > static_cast<std::uint64_t>(INT64_MAX))
        bad("shape holds something other than a non-negative int64");
      r.shape.push_back(static_cast<std::int64_t>(*x));
      if (__builtin_mul_overflow(n, *x, &n)) bad("shape " + shape_str(r.shape) + " overflows");
    }
    auto b = offs->items[0].as_uint(), e = offs->items[1].as_uint();
    if (!b || !e) bad("data_offsets are not non-negative integers");
    if (*b > *e) bad("data_offsets are reversed");
    if (*e > data_size)
      bad("data_offsets [" + std::to_string(*b) + ", " + std::to_string(*e) + "] lie outside the " +
          std::to_string(data_size) + " data bytes");
    std::uint64_t nbytes = 0;
    if (__builtin_mul_overflow(n, static_cast<std::uint64_t>(dtype_size(r.type)), &nbytes) || nbytes != *e - *b)
      bad(std::string(dtype_name(r.type)) + " " + shape_str(r.shape) + " needs " +
          (nbytes == 0 && n != 0 ? std::string("too many") : std::to_string(nbytes)) + " bytes but data_offsets span " +
          std::to_string(*e - *b));
    r.strides = contiguous_strides(r.shape);
    r.storage = {data + *b, static_cast<std::size_t>(nbytes)};
    r.owner = file;
    used.push_back({*b, *e, name});
    out.tensors.push_back(std::move(r));
  }
  std::sort(used.begin(), used.end(), [](const span_use& a, const span_use& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (std::size_t i = 1; i < used.size(); ++i)
    if (used[i].begin < used[i - 1].end)
      fail("tensors " + detail::quote_name(used[i - 1].name) + " and " + detail::quote_name(used[i].name) + " overlap");
  return out;
}

/// Reads the safetensors file at `path`.
inline safetensors_contents read_safetensors(const std::string& path) {
  return read_safetensors(mapped_file::open(path));
}

/// Writes `records` (any strides; written C-order) to a safetensors file at `path`, atomically,
/// with an optional "__metadata__" map; the header is padded with spaces to a multiple of 8 bytes.
inline void write_safetensors(const std::string& path, const std::vector<tensor_record>& records,
                              const metadata_t& metadata = {}, const write_options& options = {}) {
  std::string h = "{";
  bool first = true;
  if (!metadata.empty()) {
    h += "\"__metadata__\":{";
    for (std::size_t i = 0; i < metadata.size(); ++i) {
      if (i) h += ',';
      detail::json_quote(h, metadata[i].first);
      h += ':';
      detail::json_quote(h, metadata[i].second);
    }
    h += '}';
    first = false;
  }
  std::set<std::string_view> names;
  std::uint64_t off = 0;
  for (const auto& r : records) {
    if (r.name == "__metadata__") throw usage_error(path + ": a tensor cannot be called \"__metadata__\"");
    if (!names.insert(r.name).second) throw usage_error(path + ": duplicate tensor name " + detail::quote_name(r.name));
    validate_record(r, path);
    r.check_materialisable(path);  // safetensors has no strides: an expanded tensor is laid out whole
    if (detail::safetensors_dtype_name(r.type).empty())
      throw usage_error(path + ": tensor " + detail::quote_name(r.name) + " is " + std::string(dtype_name(r.type)) +
                        ", which safetensors has no dtype for; write a .pth instead");
    if (!first) h += ',';
    first = false;
    detail::json_quote(h, r.name);
    h += ":{\"dtype\":\"";
    h += detail::safetensors_dtype_name(r.type);
    h += "\",\"shape\":[";
    for (std::size_t i = 0; i < r.shape.size(); ++i) h += (i ? "," : "") + std::to_string(r.shape[i]);
    std::uint64_t n = r.nbytes();
    h += "],\"data_offsets\":[" + std::to_string(off) + "," + std::to_string(off + n) + "]}";
    off += n;
  }
  h += '}';
  h.append((8 - h.size() % 8) % 8, ' ');
  atomic_file out(path, options.inputs);
  std::string len;
  detail::store_le<8>(len, h.size());
  out.write(len.data(), len.size());
  out.write(h.data(), h.size());
  progress_meter meter(options, off);
  std::vector<std::byte> buf;
  for (const auto& r : records) write_record(out, r, options, meter, buf);
  out.commit();
  meter.committed();
}

namespace detail {

/// The one safetensors file a folder input stands for: its only *.safetensors file, when it holds no index.
inline std::optional<std::string> lone_safetensors(const std::string& folder) noexcept {
  auto files = files_ending_in(folder, ".safetensors");
  if (files.size() != 1 || !files_ending_in(folder, ".safetensors.index.json").empty()) return std::nullopt;
  return std::move(files[0]);
}

inline checkpoint read_safetensors_checkpoint(const format_probe& probe, const std::optional<std::string>&);

}  // namespace detail

/// safetensors files: a JSON header at byte 8, or a name ending in .safetensors; or a folder holding
/// exactly one *.safetensors file and no *.safetensors.index.json.
inline constexpr checkpoint_format safetensors_format{
    "safetensors",
    "safetensors file",
    ".safetensors",
    [](const format_probe& p) noexcept {
      if (p.folder) return detail::lone_safetensors(p.path).has_value();
      return detail::ends_with(p.path, ".safetensors") || (p.size() >= 9 && p.data()[8] == std::byte{'{'});
    },
    detail::read_safetensors_checkpoint,
    [](const std::string& path, const std::vector<tensor_record>& records, const checkpoint_write_options& options) {
      write_safetensors(path, records, options.metadata, options);
    }};

/// The reader of safetensors_format.
inline checkpoint detail::read_safetensors_checkpoint(const format_probe& probe, const std::optional<std::string>&) {
  std::shared_ptr<const mapped_file> file = probe.file;
  if (probe.folder) {
    auto lone = lone_safetensors(probe.path);
    if (!lone) throw checkpoint_error(probe.path + ": the folder no longer holds exactly one .safetensors file");
    file = mapped_file::open(*lone);
  }
  checkpoint out = start_checkpoint(probe, safetensors_format);
  out.files = {file->path()};
  safetensors_contents sc = read_safetensors(std::move(file));
  out.tensors = std::move(sc.tensors);
  out.metadata = std::move(sc.metadata);
  return out;
}

}  // namespace graft::io
