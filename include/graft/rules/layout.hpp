#pragma once
/// \file
/// Dimension layouts (`dim D = keep, coco -> crowdpose, ...`) and the index lists they resolve to.

#include <graft/error.hpp>
#include <graft/rules/joints.hpp>
#include <graft/source.hpp>
#include <graft/vocabulary.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace graft::rules {

/// The most rows a layout may name on either side of a dimension (each segment, their sum, an inferred
/// keep): 16,777,216, far above the channels, classes or vocabulary a layout selects, and low enough
/// that the lengths add up without overflow and the planner's index lists stay small.
inline constexpr std::int64_t max_layout_rows = std::int64_t{1} << 24;

/// Row `channel` of joint `joint` in a joint segment of `joints` joints that starts at row `begin` and
/// repeats `repeat` times: `k * (A -> B)` (block-major) stores k blocks of all joints, `(A -> B) * k`
/// k consecutive rows per joint. The one formula of both layouts, for the planner and for readers of
/// its row lists.
inline std::int64_t joint_row(bool block_major, std::int64_t repeat, std::int64_t begin, std::int64_t joints,
                              std::int64_t joint, std::int64_t channel) {
  return block_major ? begin + channel * joints + joint : begin + joint * repeat + channel;
}

/// One segment of a dimension layout, with joint maps resolved.
struct layout_segment {
  enum class kind {
    keep,           ///< `keep N`: N channels passed through
    keep_inferred,  ///< `keep`: whatever length is left (same on both sides)
    drop,           ///< `drop N`: N source channels discarded
    fresh,          ///< `new N`: N destination channels with no source
    joints          ///< `A -> B`, `(A -> B) * k`, `k * (A -> B)`
  };
  kind what = kind::keep;
  std::int64_t count = 0;                    ///< for keep/drop/fresh
  std::shared_ptr<const joint_mapping> map;  ///< for joints
  std::int64_t repeat = 1;                   ///< k (1 for plain A -> B)
  bool block_major = false;                  ///< `k * (A -> B)` (else joint-major)
  source_location where;                     ///< the segment in the rules file

  /// The segment as written ("keep 1", "(coco -> crowdpose) * 15").
  std::string text() const {
    switch (what) {
      case kind::keep: return "keep " + std::to_string(count);
      case kind::keep_inferred: return "keep";
      case kind::drop: return std::string(row_of(count_table, count_kind::drop).word) + " " + std::to_string(count);
      case kind::fresh: return std::string(row_of(count_table, count_kind::fresh).word) + " " + std::to_string(count);
      case kind::joints: {
        std::string arrow = map->from + " -> " + map->to;
        if (repeat == 1 && !block_major) return arrow;
        return block_major ? std::to_string(repeat) + " * (" + arrow + ")"
                           : "(" + arrow + ") * " + std::to_string(repeat);
      }
    }
    return "?";
  }
  /// Source length (nullopt for an inferred keep).
  std::optional<std::int64_t> source_length() const {
    switch (what) {
      case kind::keep:
      case kind::drop: return count;
      case kind::fresh: return 0;
      case kind::keep_inferred: return std::nullopt;
      case kind::joints: return repeat * static_cast<std::int64_t>(map->from_joints.size());
    }
    return 0;
  }
  /// Destination length (nullopt for an inferred keep).
  std::optional<std::int64_t> destination_length() const {
    switch (what) {
      case kind::keep:
      case kind::fresh: return count;
      case kind::drop: return 0;
      case kind::keep_inferred: return std::nullopt;
      case kind::joints: return repeat * static_cast<std::int64_t>(map->to_joints.size());
    }
    return 0;
  }
};

/// `dim D = seg, ...`.
struct dim_layout {
  std::int64_t dim = 0;
  std::vector<layout_segment> segments;
  source_location where;

  /// "keep, coco -> crowdpose, coco -> crowdpose".
  std::string text() const {
    std::string out;
    for (const auto& s : segments) out += (out.empty() ? "" : ", ") + s.text();
    return out;
  }
};

/// A destination row synthesized as the mean of source rows.
struct mean_row {
  std::int64_t destination = 0;
  std::vector<std::int64_t> sources;  ///< empty when same_as is set
  /// The index of an earlier row of dim_selection::means with the same sources (the rows of mean(*)
  /// share one list), or -1: executors compute that mean once and copy it.
  std::int64_t same_as = -1;
};

/// Where one joint segment lies in a dimension (for reports and policy tests).
struct joint_span {
  std::shared_ptr<const joint_mapping> map;  ///< the joints and where each destination joint comes from
  std::int64_t source_begin = 0;             ///< first source row of the segment
  std::int64_t destination_begin = 0;        ///< first destination row of the segment
  std::int64_t repeat = 1;                   ///< channels per joint (k)
  bool block_major = false;                  ///< k blocks of all joints, else k rows per joint
};

/// What a layout does to one dimension: copy pairs, means, kept and dropped rows.
struct dim_selection {
  std::int64_t dim = 0;
  std::int64_t source_size = 0;
  std::int64_t destination_size = 0;
  std::vector<std::int64_t> source_index;       ///< copies: source_index[i] → destination_index[i]
  std::vector<std::int64_t> destination_index;  ///< (same length as source_index)
  std::vector<mean_row> means;                  ///< synthesized destination rows
  std::vector<std::int64_t> kept;               ///< destination rows left as initialised
  std::vector<std::int64_t> zeroed;             ///< destination rows set to zero (`zero` in the map)
  std::vector<std::int64_t> dropped;            ///< source rows not used
  std::vector<std::string> joint_summaries;     ///< one per joint segment ("12 of 14 joints; ...")
  std::vector<joint_span> joint_spans;          ///< one per joint segment

  /// The source rows mean row `m` averages (its own list, or the one it shares).
  const std::vector<std::int64_t>& sources_of(const mean_row& m) const {
    return m.same_as < 0 ? m.sources : means[static_cast<std::size_t>(m.same_as)].sources;
  }

  /// True when every destination row i is a copy of source row i.
  bool is_identity() const {
    if (source_size != destination_size || !means.empty() || !kept.empty() || !zeroed.empty()) return false;
    if (static_cast<std::int64_t>(source_index.size()) != destination_size) return false;
    for (std::size_t i = 0; i < source_index.size(); ++i)
      if (source_index[i] != static_cast<std::int64_t>(i) || destination_index[i] != static_cast<std::int64_t>(i))
        return false;
    return true;
  }
};

/// Resolves a layout against the tensors' sizes on its dimension. `context` names the tensor and
/// its shapes for the message. Throws graft::rules_error when the lengths do not add up.
inline dim_selection resolve_layout(const dim_layout& layout, std::int64_t source_size, std::int64_t destination_size,
                                    const std::string& context) {
  std::int64_t known_src = 0, known_dst = 0;
  int inferred = 0;
  for (const auto& seg : layout.segments) {
    if (seg.what == layout_segment::kind::keep_inferred) {
      ++inferred;
      continue;
    }
    known_src += *seg.source_length();
    known_dst += *seg.destination_length();
  }
  const std::int64_t inferred_src = source_size - known_src;  // no overflow: the compiler bounds known_*
  const std::int64_t inferred_dst = destination_size - known_dst;
  if (inferred && inferred_src > max_layout_rows)  // a manifest's claim: no index lists that long
    throw rules_error(layout.where, "dim " + std::to_string(layout.dim) + " layout does not fit " + context +
                                        ": its inferred keep would be " + std::to_string(inferred_src) +
                                        " rows, more than a layout takes (at most " + std::to_string(max_layout_rows) +
                                        ")");
  const bool fits =
      inferred == 0 ? (inferred_src == 0 && inferred_dst == 0) : (inferred_src == inferred_dst && inferred_src >= 0);
  if (!fits) {
    std::string segments;
    for (const auto& seg : layout.segments) {
      segments += segments.empty() ? "" : ", ";
      if (seg.what == layout_segment::kind::keep_inferred)
        segments += "keep = (inferred)";
      else
        segments += seg.text() + " = " + std::to_string(*seg.source_length()) + " -> " +
                    std::to_string(*seg.destination_length());
    }
    std::string expected = std::to_string(known_src) + " -> " + std::to_string(known_dst);
    if (inferred) expected += " plus an inferred keep of equal length on both sides";
    throw rules_error(layout.where, "dim " + std::to_string(layout.dim) + " layout does not fit " + context +
                                        ": the tensors have " + std::to_string(source_size) + " -> " +
                                        std::to_string(destination_size) + " rows, the segments give " + expected +
                                        " (" + segments + ")");
  }

  dim_selection out;
  out.dim = layout.dim;
  out.source_size = source_size;
  out.destination_size = destination_size;
  std::int64_t src = 0, dst = 0;
  auto copy = [&](std::int64_t s, std::int64_t d) {
    out.source_index.push_back(s);
    out.destination_index.push_back(d);
  };
  for (const auto& seg : layout.segments) {
    switch (seg.what) {
      case layout_segment::kind::keep:
      case layout_segment::kind::keep_inferred: {
        const std::int64_t n = seg.what == layout_segment::kind::keep ? seg.count : inferred_src;
        for (std::int64_t i = 0; i < n; ++i) copy(src + i, dst + i);
        src += n;
        dst += n;
        break;
      }
      case layout_segment::kind::drop:
        for (std::int64_t i = 0; i < seg.count; ++i) out.dropped.push_back(src + i);
        src += seg.count;
        break;
      case layout_segment::kind::fresh:
        for (std::int64_t i = 0; i < seg.count; ++i) out.kept.push_back(dst + i);
        dst += seg.count;
        break;
      case layout_segment::kind::joints: {
        const joint_mapping& map = *seg.map;
        const auto na = static_cast<std::int64_t>(map.from_joints.size());
        const auto nb = static_cast<std::int64_t>(map.to_joints.size());
        const std::int64_t k = seg.repeat;
        // Row of joint j, channel c, in a set of n joints.
        auto row = [&](std::int64_t base, std::int64_t n, std::int64_t joint, std::int64_t c) {
          return joint_row(seg.block_major, k, base, n, joint, c);
        };
        std::vector<bool> used(static_cast<std::size_t>(na), false);
        std::vector<std::int64_t> mean_of_all(static_cast<std::size_t>(k), -1);  // per channel: its row in means
        bool all_used = false;                                                   // a mean(*) takes every row
        for (std::int64_t j = 0; j < nb; ++j) {
          const joint_source& t = map.targets[static_cast<std::size_t>(j)];
          for (std::int64_t c = 0; c < k; ++c) {
            const std::int64_t d = row(dst, nb, j, c);
            auto& shared = mean_of_all[static_cast<std::size_t>(c)];
            if (t.how == joint_source::kind::none) {
              (t.fill == fill_kind::zero ? out.zeroed : out.kept).push_back(d);
            } else if (t.how == joint_source::kind::mean_of_all && na == 1) {
              copy(row(src, na, 0, c), d);
            } else if (t.how == joint_source::kind::mean_of_all && shared >= 0) {
              out.means.push_back({d, {}, shared});
            } else if (t.how == joint_source::kind::mean_of_all) {
              mean_row m{d, {}};
              for (std::int64_t a = 0; a < na; ++a) m.sources.push_back(row(src, na, a, c));
              shared = static_cast<std::int64_t>(out.means.size());
              out.means.push_back(std::move(m));
            } else if (t.how == joint_source::kind::mean && t.sources.size() > 1) {
              mean_row m{d, {}};
              for (auto s : t.sources) m.sources.push_back(row(src, na, static_cast<std::int64_t>(s), c));
              out.means.push_back(std::move(m));
            } else {
              copy(row(src, na, static_cast<std::int64_t>(t.sources[0]), c), d);
            }
          }
          for (auto s : t.sources) used[s] = true;
          all_used = all_used || t.how == joint_source::kind::mean_of_all;
        }
        for (std::int64_t a = 0; a < na && !all_used; ++a)
          if (!used[static_cast<std::size_t>(a)])
            for (std::int64_t c = 0; c < k; ++c) out.dropped.push_back(row(src, na, a, c));
        out.joint_summaries.push_back(map.summary());
        out.joint_spans.push_back({seg.map, src, dst, k, seg.block_major});
        src += k * na;
        dst += k * nb;
        break;
      }
    }
  }
  return out;
}

}  // namespace graft::rules
