#pragma once
/// \file
/// Labels in a plan: where each destination label's rows come from, read off the plan's index lists
/// (for `expect labels` and graft/testing.hpp), and the per-map summary the report and JSON show.

#include <graft/plan/plan.hpp>
#include <graft/rules/joints.hpp>
#include <graft/rules/layout.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

namespace graft {

/// The selection an entry makes on dimension `dim`, if a layout covers it.
inline const rules::dim_selection* selection_on(const plan_entry& e, std::int64_t dim) {
  for (const auto& sel : e.selections)
    if (sel.dim == dim) return &sel;
  return nullptr;
}

namespace detail {

/// For each destination row of a selection, the source rows it takes, sorted (one: a copy; several:
/// a mean; none: kept).
inline std::vector<std::vector<std::int64_t>> row_sources(const rules::dim_selection& sel) {
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(sel.destination_size));
  for (std::size_t i = 0; i < sel.source_index.size() && i < sel.destination_index.size(); ++i)
    out[static_cast<std::size_t>(sel.destination_index[i])] = {sel.source_index[i]};
  for (const auto& m : sel.means) {
    auto& rows = out[static_cast<std::size_t>(m.destination)];
    rows = sel.sources_of(m);
    std::sort(rows.begin(), rows.end());
  }
  return out;
}

/// "coco 'nose'", "coco 'nose' channel 2" or "source row 7": what source row `row` is in `span`.
inline std::string source_row_text(const rules::joint_span& span, std::int64_t row, std::int64_t channel) {
  const auto& map = *span.map;
  const auto na = static_cast<std::int64_t>(map.from_joints.size());
  const std::int64_t at = row - span.source_begin;
  if (at < 0 || at >= na * span.repeat) return "source row " + std::to_string(row);
  const std::int64_t label = span.block_major ? at % na : at / span.repeat;
  const std::int64_t c = span.block_major ? at / na : at % span.repeat;
  std::string out = map.from + " '" + map.from_joints[static_cast<std::size_t>(label)] + "'";
  if (c != channel) out += " channel " + std::to_string(c);
  return out;
}

/// "no source (kept)", "no source (zeroed)", "coco 'nose'" or "mean(coco 'a', coco 'b')".
inline std::string sources_text(const rules::joint_span& span, const std::vector<std::int64_t>& rows,
                                std::int64_t channel, bool zeroed = false) {
  if (rows.empty()) return zeroed ? "no source (zeroed)" : "no source (kept)";
  if (rows.size() == 1) return source_row_text(span, rows[0], channel);
  std::string out;
  for (auto r : rows) out += (out.empty() ? "" : ", ") + source_row_text(span, r, channel);
  return "mean(" + out + ")";
}

}  // namespace detail

/// Compares every joint segment of a selection with what `expected_of(span)` says (a map between the
/// segment's two label sets: for each destination label, the source labels its rows should take; none
/// = kept). Reads the selection's index lists, not the map that made them. One message per label that
/// differs.
template <class ExpectedOf>
std::vector<std::string> label_mismatches(const rules::dim_selection& sel, ExpectedOf expected_of) {
  std::vector<std::string> out;
  const auto rows = detail::row_sources(sel);
  std::vector<bool> zeroed(rows.size(), false);
  for (auto z : sel.zeroed) zeroed[static_cast<std::size_t>(z)] = true;
  for (const auto& span : sel.joint_spans) {
    const rules::joint_mapping& expected = expected_of(span);
    const auto na = static_cast<std::int64_t>(span.map->from_joints.size());
    const auto nb = static_cast<std::int64_t>(span.map->to_joints.size());
    const auto row = [&](std::int64_t begin, std::int64_t labels, std::int64_t label, std::int64_t c) {
      return rules::joint_row(span.block_major, span.repeat, begin, labels, label, c);
    };
    for (std::int64_t j = 0; j < nb && j < static_cast<std::int64_t>(expected.targets.size()); ++j) {
      for (std::int64_t c = 0; c < span.repeat; ++c) {
        const std::int64_t d = row(span.destination_begin, nb, j, c);
        const auto& target = expected.targets[static_cast<std::size_t>(j)];
        std::vector<std::int64_t> want;
        for (auto s : expected.sources_of(static_cast<std::size_t>(j)))
          want.push_back(row(span.source_begin, na, static_cast<std::int64_t>(s), c));
        std::sort(want.begin(), want.end());
        const bool want_zero = target.how == rules::joint_source::kind::none && target.fill == fill_kind::zero;
        const auto& got = rows[static_cast<std::size_t>(d)];
        const bool got_zero = zeroed[static_cast<std::size_t>(d)];
        if (got == want && got_zero == want_zero) continue;
        out.push_back(span.map->to + " '" + span.map->to_joints[static_cast<std::size_t>(j)] + "' (row " +
                      std::to_string(d) + ") takes " + detail::sources_text(span, got, c, got_zero) + ", expected " +
                      detail::sources_text(span, want, c, want_zero));
        break;  // one message a label
      }
    }
  }
  return out;
}

using rules::label_list;

/// "coco -> crowdpose: 12 of 14 joints; head, neck kept; coco joints dropped: nose, ...": one line of
/// the report's labels section (the dropped list cut to `limit` names; 0: all).
inline std::string label_map_line(const rules::joint_mapping& m, std::size_t limit = 10) {
  std::string out = m.from + " -> " + m.to + ": " + m.summary();
  const auto dropped = m.dropped();
  if (!dropped.empty())
    out +=
        "; " + m.from + " " + rules::label_word(m.from_kind) + " dropped: " + label_list(m.from_joints, dropped, limit);
  return out;
}

}  // namespace graft
