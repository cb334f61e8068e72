#pragma once
/// \file
/// apply_records(): executes a plan on checkpoint records in host memory, without LibTorch (the apply
/// layer: plan × io records → records; graft/torch/apply.hpp is its LibTorch counterpart). Copied
/// tensors stay zero-copy views of the source; mapped and synthesized ones get their own buffers. The
/// same semantics as graft::apply (graft/torch/apply.hpp), which tests/torch/apply.cpp checks tensor by
/// tensor; means are computed in float32 (float64 for float64 sources) as there.

#include <graft/apply/detail/elements.hpp>
#include <graft/apply/summary.hpp>
#include <graft/error.hpp>
#include <graft/io/tensor_record.hpp>
#include <graft/plan/plan.hpp>
#include <graft/plan/shape_steps.hpp>
#include <graft/plan/visit.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace graft {

namespace detail::host {

using io::tensor_record;

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

/// One dimension's selection: copies, means and zeros (zeroed rows, and kept rows until they are restored from
/// the template).
inline dense select(const dense& cur, const rules::dim_selection& sel) {
  const auto dim = static_cast<std::size_t>(sel.dim);
  const bool fractional = dtype_is_floating(cur.type) || dtype_is_complex(cur.type);  // means keep its type
  const dtype type = !sel.means.empty() && !fractional ? dtype::float32 : cur.type;
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
      std::byte* to = next.at((o * rows_out + static_cast<std::size_t>(m.destination)) * inner);
      if (m.same_as >= 0) {  // the mean of the same rows, computed already
        const auto first = static_cast<std::size_t>(sel.means[static_cast<std::size_t>(m.same_as)].destination);
        std::memcpy(to, next.at((o * rows_out + first) * inner), inner * dtype_size(type));
        continue;
      }
      std::vector<const std::byte*> rows;
      for (auto s : m.sources) rows.push_back(cur.at((o * rows_in + static_cast<std::size_t>(s)) * inner));
      mean_elements(rows, cur.type, to, type, inner);
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

/// A mapped entry through literal reshape steps (the shape algebra of graft/plan/shape_steps.hpp).
inline dense apply_steps(const plan_entry& e, const tensor_record& source, const tensor_record& templ) {
  tensor_record view = source;  // the steps change shape and strides only
  dense materialised;
  for (const auto& step : e.steps) {
    if (step.what == shape_op_kind::view) {  // a view needs contiguous elements: materialise them first
      materialised = dense_of(view);
      view.strides = contiguous_strides(view.shape);
      view.storage_offset = 0;
      view.storage = {materialised.bytes.data(), materialised.bytes.size()};
    }
    strided_shape t{view.shape, view.strides};
    if (auto why = apply_step(step, t, templ.shape))
      throw plan_error("'" + templ.name + "': " + step.text() + ": " + *why);
    view.shape = std::move(t.shape);
    view.strides = std::move(t.strides);
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
    type = mean_type(type, parts.back().type);
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

/// The host executor of one plan entry (see visit_entry): the output record for destination `templ`.
struct executor {
  const std::vector<tensor_record>& sources;
  const tensor_record& templ;

  tensor_record keep(const plan_entry&) const { return templ; }
  tensor_record copy(const plan_entry& e) const;  // defined below copied_record()
  tensor_record select(const plan_entry& e) const {
    return record_of(apply_selections(e, sources.at(*e.source), templ), templ);
  }
  tensor_record reshape(const plan_entry& e) const {
    return record_of(apply_steps(e, sources.at(*e.source), templ), templ);
  }
  tensor_record mean(const plan_entry& e) const { return record_of(synthesize(e, sources, templ), templ); }
};

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

inline io::tensor_record detail::host::executor::copy(const plan_entry& e) const {
  return copied_record(sources.at(*e.source), templ);
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
    out.push_back(visit_entry(p, e, detail::host::executor{source, templ}));
  }
  if (summary) *summary = counts;
  return out;
}

}  // namespace graft
