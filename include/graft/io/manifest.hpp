#pragma once
/// \file
/// Name/shape manifests (`.tsv`: name, dtype, shape, param|buffer): a checkpoint's header without data.

#include <graft/detail/utf8.hpp>
#include <graft/error.hpp>
#include <graft/tensor_meta.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace graft::io {

namespace detail {
inline std::vector<std::string_view> split_view(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) break;
    start = at + 1;
  }
  return out;
}
}  // namespace detail

/// Parses manifest text; `origin` names the file in messages. Throws checkpoint_error naming file:line.
inline tensor_set parse_manifest(std::string_view text, const std::string& origin) {
  tensor_set out;
  std::set<std::string, std::less<>> seen;
  std::size_t line_no = 0;
  for (std::string_view line : detail::split_view(text, '\n')) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line[0] == '#') continue;
    auto fail = [&](const std::string& why) {
      throw checkpoint_error(origin + ":" + std::to_string(line_no) + ": " + why);
    };
    const auto fields = detail::split_view(line, '\t');
    if (fields.size() < 3 || fields.size() > 4)
      fail("expected 3 or 4 tab-separated fields (name, dtype, shape[, param|buffer]), found " +
           std::to_string(fields.size()));
    tensor_meta t;
    t.name = std::string(fields[0]);
    if (t.name.empty()) fail("empty tensor name");
    if (auto problem = graft::detail::utf8_problem("tensor name", t.name); !problem.empty()) fail(problem);
    if (!seen.insert(t.name).second) fail("tensor '" + t.name + "' is listed twice");
    auto type = parse_dtype(fields[1]);
    if (!type) fail("unknown dtype '" + std::string(fields[1]) + "' for '" + t.name + "'");
    t.type = *type;
    if (!fields[2].empty()) {
      for (std::string_view dim : detail::split_view(fields[2], ',')) {
        std::int64_t size = -1;
        auto [ptr, ec] = std::from_chars(dim.data(), dim.data() + dim.size(), size);
        if (ec != std::errc() || ptr != dim.data() + dim.size() || size < 0)
          fail("bad shape '" + std::string(fields[2]) + "' for '" + t.name + "' (sizes are whole numbers >= 0)");
        t.shape.push_back(size);
      }
      // Every count later computed from the shape (elements, bytes, strides) must fit in 64 bits.
      std::int64_t span = static_cast<std::int64_t>(dtype_size(t.type));
      for (auto size : t.shape)
        if (__builtin_mul_overflow(span, std::max<std::int64_t>(size, 1), &span))
          fail("shape '" + std::string(fields[2]) + "' of '" + t.name + "' is too large (more than 2^63-1 bytes)");
    }
    if (fields.size() == 4) {
      if (fields[3] == "param")
        t.role = tensor_role::param;
      else if (fields[3] == "buffer")
        t.role = tensor_role::buffer;
      else
        fail("fourth field must be 'param' or 'buffer', not '" + std::string(fields[3]) + "'");
    }
    out.push_back(std::move(t));
  }
  return out;
}

/// Reads a manifest file. Throws checkpoint_error (bad content) or usage_error (missing file).
inline tensor_set read_manifest(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw usage_error("cannot open manifest '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return parse_manifest(ss.str(), path.string());
}

}  // namespace graft::io
