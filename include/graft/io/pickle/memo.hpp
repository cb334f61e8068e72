#pragma once
/// \file
/// The unpickler's memo: entries 0, 1, 2, ... (what torch.save and MEMOIZE write) in a vector,
/// 8 bytes each; any other index in a hash map. Each new entry is charged to the memory budget.

#include <graft/io/pickle/value.hpp>

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace graft::io::detail {

/// Memo index → value, bounded by `max` entries and charged to a value_builder.
class pickle_memo {
public:
  /// What one hashed entry costs (a hash node and its bucket).
  static constexpr std::size_t hashed_entry_bytes = 64;

  /// Forgets every entry.
  void clear() {
    dense_.clear();
    hashed_.clear();
  }
  /// Number of entries (the index MEMOIZE writes to).
  std::size_t size() const noexcept { return dense_.size() + hashed_.size(); }
  /// memo[idx] = v; a new entry beyond `max` entries fails through `b`.
  void put(std::uint64_t idx, pickle_value* v, std::size_t max, value_builder& b) {
    if (idx < dense_.size()) {
      dense_[idx] = v;
      return;
    }
    if (idx == dense_.size()) {
      const bool moved = hashed_.erase(idx) != 0;  // a hashed entry that is now the next dense one
      if (!moved && size() >= max) b.fail("memo too large");
      b.charge(sizeof(pickle_value*));
      dense_.push_back(v);
      return;
    }
    auto [it, fresh] = hashed_.emplace(idx, v);
    if (!fresh) {
      it->second = v;
      return;
    }
    if (size() > max) b.fail("memo too large");
    b.charge(hashed_entry_bytes);
  }
  /// memo[idx], or nullptr when it is not defined.
  pickle_value* get(std::uint64_t idx) const {
    if (idx < dense_.size()) return dense_[idx];
    auto it = hashed_.find(idx);
    return it == hashed_.end() ? nullptr : it->second;
  }

private:
  std::vector<pickle_value*> dense_;                         ///< entries 0 .. n-1
  std::unordered_map<std::uint64_t, pickle_value*> hashed_;  ///< the other entries
};

}  // namespace graft::io::detail
