#pragma once
/// \file
/// apply_records(): executes a plan on checkpoint records in host memory, without LibTorch (the apply
/// layer: plan × io records → records; graft/torch/apply.hpp is its LibTorch counterpart). Copied
/// tensors stay zero-copy views of the source; mapped and synthesized ones get their own buffers. The
/// same semantics as graft::apply (graft/torch/apply.hpp), which tests/torch/apply.cpp checks tensor by
/// tensor; means are computed in float32 (float64 for float64 sources) as there.

#include <graft/apply/summary.hpp>
#include <graft/error.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/plan/plan.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace graft {

namespace detail::host {

using io::contiguous_strides;
using io::tensor_record;

/// The same bits as another type of the same size (std::bit_cast before C++20).
template <class To, class From>
To bit_cast(const From& from) noexcept {
  static_assert(sizeof(To) == sizeof(From));
  To to;
  std::memcpy(&to, &from, sizeof to);
  return to;
}

/// float16 bits -> float (exact).
inline float half_to_float(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  std::uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu, bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf / nan
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {  // subnormal: normalise
    exp = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
  }
  return bit_cast<float>(bits);
}

/// float -> float16 bits, rounding to nearest even (as c10::Half does).
inline std::uint16_t float_to_half(float f) noexcept {
  const auto x = bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
  const std::uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return sign | (abs > 0x7f800000u ? 0x7e00u : 0x7c00u);  // nan / inf
  if (abs >= 0x477ff000u) return sign | 0x7c00u;                                  // rounds to inf
  if (abs < 0x38800000u) {                                                        // subnormal or zero
    if (abs < 0x33000000u) return sign;                                           // below half the smallest
    // value = mant * 2^(exp - 150); in units of the smallest subnormal (2^-24): mant >> (126 - exp).
    const std::uint32_t exp = abs >> 23, mant = (abs & 0x7fffffu) | 0x800000u;
    const std::uint32_t shift = 126 - exp;  // 14..24
    std::uint32_t half = mant >> shift;
    const std::uint32_t rest = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rest > mid || (rest == mid && (half & 1u))) ++half;
    return sign | static_cast<std::uint16_t>(half);
  }
  std::uint32_t h = ((abs >> 13) - (112u << 10));
  const std::uint32_t rest = abs & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
  return sign | static_cast<std::uint16_t>(h);
}

/// bfloat16 bits -> float (exact).
inline float bfloat16_to_float(std::uint16_t b) noexcept {
  return bit_cast<float>(static_cast<std::uint32_t>(b) << 16);
}

/// float -> bfloat16 bits, rounding to nearest even (as c10::BFloat16 does).
inline std::uint16_t float_to_bfloat16(float f) noexcept {
  auto x = bit_cast<std::uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return 0x7fc0u;  // nan
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<std::uint16_t>(x >> 16);
}

template <class T>
T load_as(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void store_as(std::byte* p, T v) noexcept {
  std::memcpy(p, &v, sizeof v);
}

/// One element as a double (exact for every dtype but int64 beyond 2^53).
inline double load_element(const std::byte* p, dtype t) noexcept {
  switch (t) {
    case dtype::float32: return load_as<float>(p);
    case dtype::float16: return half_to_float(load_as<std::uint16_t>(p));
    case dtype::bfloat16: return bfloat16_to_float(load_as<std::uint16_t>(p));
    case dtype::float64: return load_as<double>(p);
    case dtype::int8: return load_as<std::int8_t>(p);
    case dtype::int16: return load_as<std::int16_t>(p);
    case dtype::int32: return load_as<std::int32_t>(p);
    case dtype::int64: return static_cast<double>(load_as<std::int64_t>(p));
    case dtype::uint8: return load_as<std::uint8_t>(p);
    case dtype::bool_: return load_as<std::uint8_t>(p) != 0 ? 1.0 : 0.0;
  }
  return 0;
}

/// One element as a float32, rounded once from its own type (as PyTorch's casts to float32 do; going
/// through double would round int64 values beyond 2^53 twice).
inline float load_float(const std::byte* p, dtype t) noexcept {
  switch (t) {
    case dtype::int64: return static_cast<float>(load_as<std::int64_t>(p));
    case dtype::float64: return static_cast<float>(load_as<double>(p));
    default: return static_cast<float>(load_element(p, t));  // exact: every other dtype fits a double
  }
}

/// Stores a value as one element of dtype `t` (floats round to nearest even through float32, as PyTorch's
/// float -> half/bfloat16 conversions do; integers truncate).
inline void store_element(std::byte* p, dtype t, double v) noexcept {
  switch (t) {
    case dtype::float32: store_as(p, static_cast<float>(v)); return;
    case dtype::float16: store_as(p, float_to_half(static_cast<float>(v))); return;
    case dtype::bfloat16: store_as(p, float_to_bfloat16(static_cast<float>(v))); return;
    case dtype::float64: store_as(p, v); return;
    case dtype::int8: store_as(p, static_cast<std::int8_t>(v)); return;
    case dtype::int16: store_as(p, static_cast<std::int16_t>(v)); return;
    case dtype::int32: store_as(p, static_cast<std::int32_t>(v)); return;
    case dtype::int64: store_as(p, static_cast<std::int64_t>(v)); return;
    case dtype::uint8: store_as(p, static_cast<std::uint8_t>(v)); return;
    case dtype::bool_: store_as(p, static_cast<std::uint8_t>(v != 0)); return;
  }
}

/// Converts `n` contiguous elements (integers to integers exactly, through int64).
inline void convert_elements(const std::byte* in, dtype from, std::byte* out, dtype to, std::size_t n) {
  const std::size_t si = dtype_size(from), so = dtype_size(to);
  if (from == to) {
    std::memcpy(out, in, n * si);
    return;
  }
  const bool ints = !dtype_is_floating(from) && !dtype_is_floating(to) && to != dtype::bool_;
  for (std::size_t i = 0; i < n; ++i, in += si, out += so) {
    if (ints && from != dtype::bool_) {
      std::int64_t v = 0;
      switch (from) {
        case dtype::int8: v = load_as<std::int8_t>(in); break;  // NOLINT(bugprone-signed-char-misuse): int8 is signed
        case dtype::int16: v = load_as<std::int16_t>(in); break;
        case dtype::int32: v = load_as<std::int32_t>(in); break;
        case dtype::int64: v = load_as<std::int64_t>(in); break;
        case dtype::uint8: v = load_as<std::uint8_t>(in); break;
        default: break;
      }
      switch (to) {
        case dtype::int8: store_as(out, static_cast<std::int8_t>(v)); break;
        case dtype::int16: store_as(out, static_cast<std::int16_t>(v)); break;
        case dtype::int32: store_as(out, static_cast<std::int32_t>(v)); break;
        case dtype::int64: store_as(out, v); break;
        case dtype::uint8: store_as(out, static_cast<std::uint8_t>(v)); break;
        default: break;
      }
    } else if (to == dtype::float64) {
      store_element(out, to, load_element(in, from));
    } else if (dtype_is_floating(to)) {
      store_element(out, to, load_float(in, from));  // float32/16/bf16: one rounding to float first
    } else {
      store_element(out, to, load_element(in, from));
    }
  }
}

/// A tensor's elements in C order, in host memory.
struct dense {
  dtype type = dtype::float32;
  shape_t shape;
  std::vector<std::byte> bytes;

  std::size_t element_size() const noexcept { return dtype_size(type); }
  std::byte* at(std::size_t element) noexcept { return bytes.data() + element * element_size(); }
  const std::byte* at(std::size_t element) const noexcept { return bytes.data() + element * element_size(); }
};

inline std::size_t count_of(const shape_t& s, std::size_t from, std::size_t to) noexcept {
  std::size_t n = 1;
  for (std::size_t i = from; i < to; ++i) n *= static_cast<std::size_t>(s[i]);
  return n;
}

inline dense dense_of(const tensor_record& r) { return {r.type, r.shape, r.contiguous_bytes()}; }

inline dense converted(dense d, dtype to) {
  if (d.type == to) return d;
  dense out{to, d.shape, std::vector<std::byte>(d.bytes.size() / d.element_size() * dtype_size(to))};
  convert_elements(d.bytes.data(), d.type, out.bytes.data(), to, d.bytes.size() / d.element_size());
  return out;
}

/// The dtype means are computed in: float64 for float64, float32 otherwise.
inline dtype mean_type(dtype t) noexcept { return t == dtype::float64 ? dtype::float64 : dtype::float32; }

/// Writes the mean of `rows` elements (each `n` elements of `type`) as `to`, accumulating in mean_type.
inline void mean_elements(const std::vector<const std::byte*>& rows, dtype type, std::byte* out, dtype to,
                          std::size_t n) {
  const std::size_t es = dtype_size(type), eo = dtype_size(to);
  const bool wide = mean_type(type) == dtype::float64;
  for (std::size_t k = 0; k < n; ++k) {
    if (wide) {
      double sum = 0;
      for (const std::byte* r : rows) sum += load_element(r + k * es, type);
      store_element(out + k * eo, to, sum / static_cast<double>(rows.size()));
    } else {
      float sum = 0;
      for (const std::byte* r : rows) sum += load_float(r + k * es, type);
      store_element(out + k * eo, to, sum / static_cast<float>(rows.size()));
    }
  }
}

/// One dimension's selection: copies, means and zeros (kept rows are restored from the template later).
inline dense select(const dense& cur, const rules::dim_selection& sel) {
  const auto dim = static_cast<std::size_t>(sel.dim);
  const dtype type = !sel.means.empty() && !dtype_is_floating(cur.type) ? dtype::float32 : cur.type;
  dense next{type, cur.shape, {}};
  next.shape[dim] = sel.destination_size;
  const std::size_t outer = count_of(cur.shape, 0, dim), inner = count_of(cur.shape, dim + 1, cur.shape.size());
  const auto rows_in = static_cast<std::size_t>(cur.shape[dim]);
  const auto rows_out = static_cast<std::size_t>(sel.destination_size);
  next.bytes.assign(outer * rows_out * inner * dtype_size(type), std::byte{0});
  for (std::size_t o = 0; o < outer; ++o) {
    for (std::size_t i = 0; i < sel.source_index.size(); ++i) {
      const auto s = static_cast<std::size_t>(sel.source_index[i]);
      const auto d = static_cast<std::size_t>(sel.destination_index[i]);
      convert_elements(cur.at((o * rows_in + s) * inner), cur.type, next.at((o * rows_out + d) * inner), type, inner);
    }
    for (const auto& m : sel.means) {
      std::vector<const std::byte*> rows;
      for (auto s : m.sources) rows.push_back(cur.at((o * rows_in + static_cast<std::size_t>(s)) * inner));
      mean_elements(rows, cur.type, next.at((o * rows_out + static_cast<std::size_t>(m.destination)) * inner), type,
                    inner);
    }
  }
  return next;
}

/// A mapped entry through per-dimension selections; kept rows keep the template's values.
inline dense apply_selections(const plan_entry& e, const tensor_record& source, const tensor_record& templ) {
  dense cur = dense_of(source);
  std::vector<std::vector<bool>> kept(source.shape.size());
  bool any_kept = false;
  for (const auto& sel : e.selections) {
    cur = select(cur, sel);
    if (sel.kept.empty()) continue;
    any_kept = true;
    auto& k = kept[static_cast<std::size_t>(sel.dim)];
    k.assign(static_cast<std::size_t>(sel.destination_size), false);
    for (auto row : sel.kept) k[static_cast<std::size_t>(row)] = true;
  }
  dense out = converted(std::move(cur), templ.type);
  if (!any_kept) return out;
  const dense t = dense_of(templ);
  const std::size_t n = t.bytes.size() / t.element_size(), es = t.element_size(), nd = t.shape.size();
  std::vector<std::int64_t> idx(nd, 0);
  for (std::size_t k = 0; k < n; ++k) {
    bool keep = false;
    for (std::size_t d = 0; d < nd && !keep; ++d) keep = !kept[d].empty() && kept[d][static_cast<std::size_t>(idx[d])];
    if (keep) std::memcpy(out.at(k), t.at(k), es);
    for (std::size_t d = nd; d-- > 0;) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/// A mapped entry through literal reshape steps (view, permute, transpose, squeeze, unsqueeze).
inline dense apply_steps(const plan_entry& e, const tensor_record& source, const tensor_record& templ) {
  tensor_record view = source;  // the steps change shape and strides only
  dense materialised;
  const auto norm = [](std::int64_t d, std::size_t n) {
    return static_cast<std::size_t>(d < 0 ? d + std::int64_t(n) : d);
  };
  for (const auto& step : e.steps) {
    using k = dsl::ast::shape_op_kind;
    const std::size_t nd = view.shape.size();
    switch (step.what) {
      case k::view: {
        materialised = dense_of(view);
        view.shape = templ.shape;
        view.strides = contiguous_strides(view.shape);
        view.storage_offset = 0;
        view.storage = {materialised.bytes.data(), materialised.bytes.size()};
        break;
      }
      case k::permute: {
        shape_t shape(nd), strides(nd);
        for (std::size_t i = 0; i < nd; ++i) {
          shape[i] = view.shape[norm(step.args.at(i), nd)];
          strides[i] = view.strides[norm(step.args.at(i), nd)];
        }
        view.shape = std::move(shape);
        view.strides = std::move(strides);
        break;
      }
      case k::transpose: {
        const std::size_t a = norm(step.args.at(0), nd), b = norm(step.args.at(1), nd);
        std::swap(view.shape[a], view.shape[b]);
        std::swap(view.strides[a], view.strides[b]);
        break;
      }
      case k::squeeze: {
        const std::size_t d = norm(step.args.at(0), nd);
        if (view.shape[d] == 1) {
          view.shape.erase(view.shape.begin() + static_cast<std::ptrdiff_t>(d));
          view.strides.erase(view.strides.begin() + static_cast<std::ptrdiff_t>(d));
        }
        break;
      }
      case k::unsqueeze: {
        const std::size_t d = norm(step.args.at(0), nd + 1);
        const std::int64_t stride = d < nd ? view.strides[d] * view.shape[d] : 1;
        view.shape.insert(view.shape.begin() + static_cast<std::ptrdiff_t>(d), 1);
        view.strides.insert(view.strides.begin() + static_cast<std::ptrdiff_t>(d), stride);
        break;
      }
    }
  }
  if (view.shape != templ.shape)
    throw plan_error("'" + templ.name + "': the reshape steps give " + shape_str(view.shape) + ", not " +
                     shape_str(templ.shape));
  return converted(dense_of(view), templ.type);
}

/// The mean (or, for one tensor, a copy) of whole source tensors, as the destination's dtype.
inline dense synthesize(const plan_entry& e, const std::vector<tensor_record>& sources, const tensor_record& templ) {
  if (e.mean_of.size() == 1) return converted(dense_of(sources.at(e.mean_of[0])), templ.type);
  std::vector<dense> parts;
  dtype type = dtype::float32;
  for (auto s : e.mean_of) {
    parts.push_back(dense_of(sources.at(s)));
    if (parts.back().type == dtype::float64) type = dtype::float64;
  }
  std::vector<const std::byte*> rows;
  for (auto& part : parts) {
    part = converted(std::move(part), type);
    rows.push_back(part.bytes.data());
  }
  dense out{templ.type, templ.shape, std::vector<std::byte>(templ.nbytes())};
  mean_elements(rows, type, out.bytes.data(), templ.type, static_cast<std::size_t>(templ.numel()));
  return out;
}

/// A record owning `d`'s bytes, named and typed as the template.
inline tensor_record record_of(dense&& d, const tensor_record& templ) {
  auto bytes = std::make_shared<std::vector<std::byte>>(std::move(d.bytes));
  tensor_record r;
  static_cast<tensor_meta&>(r) = static_cast<const tensor_meta&>(templ);
  r.type = d.type;
  r.shape = d.shape;
  r.strides = contiguous_strides(r.shape);
  r.storage = {bytes->data(), bytes->size()};
  r.owner = std::move(bytes);
  return r;
}

}  // namespace detail::host

/// A copied tensor's output record: the source's bytes under the destination's name and role, zero-copy
/// when the dtypes agree, converted (exactly as graft::apply would) when the plan casts.
inline io::tensor_record copied_record(const io::tensor_record& source, const io::tensor_record& destination) {
  if (source.type != destination.type)
    return detail::host::record_of(detail::host::converted(detail::host::dense_of(source), destination.type),
                                   destination);
  io::tensor_record r = source;  // zero-copy: the source bytes go straight out
  r.name = destination.name;
  r.role = destination.role;
  return r;
}

/// Runs a plan on host memory: `source` and `destination` are the records the plan was made from, in
/// plan order (`destination` is the freshly initialised model: its values stay wherever the plan keeps
/// them). Returns one record per destination tensor, in order; copied tensors view the source's bytes.
/// Throws plan_error for a plan with errors, usage_error for records that do not match the plan.
inline std::vector<io::tensor_record> apply_records(const plan& p, const std::vector<io::tensor_record>& source,
                                                    const std::vector<io::tensor_record>& destination,
                                                    apply_summary* summary = nullptr) {
  if (!p.ok()) throw plan_error("refusing to apply a plan with errors (run `graft plan` to see them)");
  const auto check = [](const tensor_set& planned, const std::vector<io::tensor_record>& records, const char* side) {
    if (records.size() != planned.size())
      throw usage_error(std::string("the plan was made for ") + std::to_string(planned.size()) + " " + side +
                        " tensors, but " + std::to_string(records.size()) + " were given");
    for (std::size_t i = 0; i < records.size(); ++i)
      if (records[i].name != planned[i].name || records[i].shape != planned[i].shape ||
          records[i].type != planned[i].type)
        throw usage_error(std::string(side) + " tensor '" + records[i].name + "' " + shape_str(records[i].shape) + " " +
                          std::string(dtype_name(records[i].type)) + " does not match the plan's '" + planned[i].name +
                          "' " + shape_str(planned[i].shape) + " " + std::string(dtype_name(planned[i].type)));
  };
  check(p.source, source, "source");
  check(p.destination, destination, "destination");

  std::vector<const plan_entry*> by_destination(destination.size(), nullptr);
  for (const auto& e : p.entries)
    if (e.destination) by_destination.at(*e.destination) = &e;
  std::vector<io::tensor_record> out;
  out.reserve(destination.size());
  apply_summary counts;
  for (std::size_t d = 0; d < destination.size(); ++d) {
    const io::tensor_record& templ = destination[d];
    if (!by_destination[d]) throw plan_error("destination tensor '" + templ.name + "' has no plan entry");
    const plan_entry& e = *by_destination[d];
    counts.count(e);
    switch (e.what) {
      case category::kept:
      case category::excluded:
      case category::unused: out.push_back(templ); continue;
      case category::conflict: throw plan_error("cannot apply a conflict entry ('" + p.name_of(e) + "'): " + e.note);
      case category::copied: out.push_back(copied_record(source.at(*e.source), templ)); continue;
      case category::mapped: {
        const io::tensor_record& s = source.at(*e.source);
        out.push_back(detail::host::record_of(!e.selections.empty() ? detail::host::apply_selections(e, s, templ)
                                                                    : detail::host::apply_steps(e, s, templ),
                                              templ));
        continue;
      }
      case category::synthesized:
        out.push_back(detail::host::record_of(detail::host::synthesize(e, source, templ), templ));
        continue;
    }
  }
  if (summary) *summary = counts;
  return out;
}

}  // namespace graft
