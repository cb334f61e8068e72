#pragma once
/// \file
/// Name globs, compiled once: `*` (within a segment), `**` (any number of segments), `{a,b}`, `<set>`.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace graft::rules {

/// A malformed pattern or template; `offset` is the byte offset inside the pattern text.
struct pattern_syntax_error : std::runtime_error {
  pattern_syntax_error(std::size_t at, const std::string& message) : std::runtime_error(message), offset(at) {}
  std::size_t offset;
};

/// What one wildcard of a pattern matched.
struct capture {
  std::string text;                        ///< the matched characters (dots around `**` excluded)
  std::string joint_set;                   ///< for `<set>` captures: the set's name
  std::optional<std::size_t> joint_index;  ///< for `<set>` captures: the index matched
  std::size_t position = 0;                ///< where the capture starts in the name
};

/// Looks up the size of a joint set by name (nullopt: unknown set).
using joint_set_sizes = std::function<std::optional<std::size_t>(std::string_view)>;

/// A compiled, anchored glob over dotted tensor names.
class pattern {
public:
  pattern() = default;

  /// Compiles `text`; `sizes` resolves `<set>` names. Throws pattern_syntax_error.
  static pattern compile(std::string text, const joint_set_sizes& sizes = {}) {
    pattern p;
    p.text_ = std::move(text);
    p.parse(sizes);
    return p;
  }

  /// The pattern as written.
  const std::string& text() const noexcept { return text_; }
  /// Number of captures ($1..$N) the pattern produces.
  std::size_t capture_count() const noexcept { return captures_; }
  /// True when the pattern has no wildcard at all.
  bool is_literal() const noexcept { return tokens_.size() == 1 && tokens_[0].kind == token_kind::literal; }
  /// The joint sets named by `<set>` wildcards, in order.
  std::vector<std::string> joint_sets() const {
    std::vector<std::string> out;
    for (const auto& t : tokens_)
      if (t.kind == token_kind::joint) out.push_back(t.text);
    return out;
  }

  /// The first dot-separated segment of every name the pattern matches, when the pattern fixes it: it
  /// starts with a literal that holds a dot, or with a dotless literal followed by `.**` or by nothing.
  /// nullopt otherwise (`**.x`, `stage*.x`, `stage{2,3}.x`). Lets callers index patterns by segment.
  std::optional<std::string_view> first_segment() const noexcept {
    if (prefix_.empty()) return std::nullopt;
    const std::string_view p = prefix_;
    if (const std::size_t dot = p.find('.'); dot != std::string_view::npos) return p.substr(0, dot);
    if (tokens_.size() == 1) return p;
    if (tokens_[1].kind == token_kind::globstar && tokens_[1].lead_dot) return p;
    return std::nullopt;
  }

  /// Whole-name match; fills `out` (when given) with the captures in order.
  bool match(std::string_view name, std::vector<capture>* out = nullptr) const {
    if (is_literal()) {  // the common case: a plain name
      if (name != prefix_) return false;
      if (out) out->clear();
      return true;
    }
    span_buffer buffer(captures_);
    const span_capture* caps = buffer.data();
    if (!match_spans(name, buffer.data())) return false;
    if (out) {
      out->clear();
      out->reserve(captures_);
      for (std::size_t k = 0; k < captures_; ++k) {
        const span_capture& c = caps[k];
        capture cap;
        cap.text = std::string(name.substr(c.begin, c.size));
        if (c.joint) {
          cap.joint_set = tokens_[c.token].text;
          cap.joint_index = c.joint_index;
        }
        cap.position = c.position;
        out->push_back(std::move(cap));
      }
    }
    return true;
  }

  /// One `{a,b}` alternative: its text and its byte offset in the pattern text.
  struct alternative {
    std::string text;        ///< the alternative as written
    std::size_t offset = 0;  ///< where it starts in text()
  };
  /// Every `{a,b}` alternative, group after group, in the order written (empty: the pattern has none).
  const std::vector<alternative>& alternatives() const noexcept { return alternatives_; }

  /// Matches `name` like match() and sets `used[k]` for every alternative k (an index into
  /// alternatives(); `used` has that many elements) the match takes. False, `used` untouched, when
  /// `name` does not match. Meant to run only after match() succeeded, while some alternative is unused.
  bool mark_alternatives(std::string_view name, std::vector<bool>& used) const {
    if (alternatives_.empty()) return match(name);
    span_buffer buffer(captures_);
    if (!match_spans(name, buffer.data())) return false;
    for (const auto& t : tokens_) {
      if (t.kind != token_kind::alternatives) continue;
      const span_capture& c = buffer.data()[t.slot];
      const std::string_view taken = name.substr(c.begin, c.size);
      for (std::size_t k = 0; k < t.alternatives.size(); ++k)
        if (t.alternatives[k] == taken) {
          used.at(t.first_alternative + k) = true;
          break;
        }
    }
    return true;
  }

private:
  enum class token_kind { literal, star, globstar, alternatives, joint };
  // For globstar: whether a '.' before / after it belongs to it (so `a.**` also matches `a`).
  struct token {
    token_kind kind = token_kind::literal;
    std::string text;                       // literal text, or joint set name
    std::vector<std::string> alternatives;  // {a,b}
    bool lead_dot = false, trail_dot = false;
    std::size_t joint_count = 0;                         // size of the joint set (0 = unbounded)
    std::size_t slot = 0;                                // capture number (0-based) of a wildcard token
    std::size_t first_alternative = 0;                   // alternatives: the index of its first one in alternatives_
    std::vector<std::vector<std::size_t>> borders = {};  // literal, alternatives: borders_of() each text
  };
  // A capture as offsets into the matched name.
  struct span_capture {
    std::size_t position = 0;         // where the wildcard's span starts
    std::size_t begin = 0, size = 0;  // the captured text
    std::size_t token = 0;            // the token that captured it
    bool joint = false;               // a `<set>` capture
    std::size_t joint_index = 0;
  };
  // Room for a match's captures: on the stack for up to 8, else on the heap.
  class span_buffer {
  public:
    explicit span_buffer(std::size_t n) {
      if (n > 8) heap_.resize(n);
    }
    span_capture* data() noexcept { return heap_.empty() ? local_ : heap_.data(); }

  private:
    span_capture local_[8];
    std::vector<span_capture> heap_;
  };

  /// A whole-name match of a pattern with wildcards, recording captures as offsets into `name` in `caps`.
  /// O(tokens x name length): one backward pass fills, for every token and position, whether the rest
  /// of the pattern can match the rest of the name (`reach`); a forward walk then takes, token by token,
  /// the first choice (longest span, first alternative) that can still finish: the captures a greedy
  /// backtracking search finds, without its O(tokens x length^2) retries.
  bool match_spans(std::string_view name, span_capture* caps) const {
    // Cheap rejections first: most names fail on their length, literal prefix or literal suffix.
    if (name.size() < min_size_) return false;
    if (!prefix_.empty() && name.substr(0, prefix_.size()) != prefix_) return false;
    if (!suffix_.empty() && name.substr(name.size() - suffix_.size()) != suffix_) return false;
    reach_table reach(tokens_.size() + 1, name.size() + 1);
    fill(reach, name);
    if (!reach.get(0, 0)) return false;
    std::size_t pos = 0;
    for (std::size_t ti = 0; ti < tokens_.size(); ++ti) pos = take(ti, name, pos, reach, caps);
    return true;
  }

  // Bits (token, position): tokens ti.. match name[position..] exactly; rows 0..tokens (the last row
  // is the end of the pattern). Small tables live on the stack.
  class reach_table {
  public:
    reach_table(std::size_t rows, std::size_t positions) : words_((positions + 63) / 64) {
      const std::size_t n = rows * words_;
      if (n > sizeof(local_) / sizeof(local_[0])) heap_.assign(n, 0);
      bits_ = heap_.empty() ? local_ : heap_.data();
      std::fill(bits_, bits_ + n, std::uint64_t{0});
    }
    reach_table(const reach_table&) = delete;
    reach_table& operator=(const reach_table&) = delete;
    bool get(std::size_t row, std::size_t at) const noexcept {
      return (bits_[row * words_ + at / 64] >> (at % 64)) & 1U;
    }
    void set(std::size_t row, std::size_t at) noexcept {
      bits_[row * words_ + at / 64] |= std::uint64_t{1} << (at % 64);
    }

  private:
    std::size_t words_;
    std::uint64_t local_[32];
    std::vector<std::uint64_t> heap_;
    std::uint64_t* bits_ = nullptr;
  };

  /// The Knuth-Morris-Pratt table of `word`: entry i is the longest proper border of word[0..i].
  static std::vector<std::size_t> borders_of(std::string_view word) {
    std::vector<std::size_t> border(word.size(), 0);
    for (std::size_t i = 1, k = 0; i < word.size(); ++i) {
      while (k > 0 && word[i] != word[k]) k = border[k - 1];
      if (word[i] == word[k]) ++k;
      border[i] = k;
    }
    return border;
  }

  /// Calls `found(p)` for every p where `word` (whose borders_of() is `border`) occurs in `name`:
  /// O(name + word).
  template <class Found>
  static void occurrences(std::string_view name, std::string_view word, const std::vector<std::size_t>& border,
                          Found found) {
    if (word.empty()) {
      for (std::size_t p = 0; p <= name.size(); ++p) found(p);
      return;
    }
    for (std::size_t i = 0, k = 0; i < name.size(); ++i) {
      while (k > 0 && name[i] != word[k]) k = border[k - 1];
      if (name[i] == word[k]) ++k;
      if (k == word.size()) {
        found(i + 1 - word.size());
        k = border[k - 1];
      }
    }
  }

  /// Fills the reach table of `name`, last token first; each row costs O(name length) (literals and
  /// alternatives: O(name length + their text)).
  void fill(reach_table& reach, std::string_view name) const {
    const std::size_t n = name.size();
    reach.set(tokens_.size(), n);
    const auto dot = [&](std::size_t p) { return p < n && name[p] == '.'; };
    for (std::size_t ti = tokens_.size(); ti-- > 0;) {
      const token& t = tokens_[ti];
      const std::size_t next = ti + 1;
      const auto after = [&](std::size_t p, std::size_t len) { return p + len <= n && reach.get(next, p + len); };
      switch (t.kind) {
        case token_kind::literal:
          occurrences(name, t.text, t.borders.front(), [&](std::size_t p) {
            if (after(p, t.text.size())) reach.set(ti, p);
          });
          break;
        case token_kind::alternatives:
          for (std::size_t k = 0; k < t.alternatives.size(); ++k)
            occurrences(name, t.alternatives[k], t.borders[k], [&](std::size_t p) {
              if (after(p, t.alternatives[k].size())) reach.set(ti, p);
            });
          break;
        case token_kind::star:  // any run without a dot
          for (std::size_t p = n + 1; p-- > 0;)
            if (reach.get(next, p) || (p < n && name[p] != '.' && reach.get(ti, p + 1))) reach.set(ti, p);
          break;
        case token_kind::joint:  // 1..9 digits, no leading zero, below the set's size
          for (std::size_t p = 0; p < n; ++p) {
            span_capture cap;
            for (std::size_t len = 1; len <= 9 && p + len <= n; ++len)
              if (after(p, len) && accepts(t, name.substr(p, len), p, cap)) {
                reach.set(ti, p);
                break;
              }
          }
          break;
        case token_kind::globstar: {
          // Scanning down, `later` holds for p+1 and p+2 whether some span end at or after there fits
          // the token's closing dot ("x.y." ends after a dot; ".x.y" may end anywhere).
          bool later1 = false, later2 = false;
          for (std::size_t p = n + 1; p-- > 0;) {
            bool ok = false, here = false;
            if (t.lead_dot && t.trail_dot) {  // "." or ".x.y.": ends right after a dot
              ok = dot(p) && (reach.get(next, p + 1) || later2);
              here = dot(p) && reach.get(next, p + 1);
            } else if (t.lead_dot) {  // "" or ".x.y"
              ok = reach.get(next, p) || (dot(p) && later2);
              here = reach.get(next, p);
            } else if (t.trail_dot) {  // "" or "x.y."
              ok = reach.get(next, p) || later2;
              here = p > 0 && name[p - 1] == '.' && reach.get(next, p);
            } else {  // any characters
              ok = reach.get(next, p) || (p < n && reach.get(ti, p + 1));
            }
            if (ok) reach.set(ti, p);
            later2 = later1;
            later1 = later1 || here;
          }
          break;
        }
      }
    }
  }

  /// Token `ti` of a match that reaches the end from `pos`: takes its first choice that still can
  /// (recording its capture in `caps`) and returns where the next token starts.
  std::size_t take(std::size_t ti, std::string_view name, std::size_t pos, const reach_table& reach,
                   span_capture* caps) const {
    const token& t = tokens_[ti];
    const std::string_view rest = name.substr(pos);
    if (t.kind == token_kind::literal) return pos + t.text.size();
    span_capture& cap = caps[t.slot];
    if (t.kind == token_kind::alternatives) {
      for (const auto& alt : t.alternatives)
        if (rest.substr(0, alt.size()) == alt && reach.get(ti + 1, pos + alt.size())) {
          cap = span_capture{pos, pos, alt.size(), ti, false, 0};
          return pos + alt.size();
        }
      return name.size();  // not reached: reach.get(ti, pos) holds
    }
    // Variable-length wildcard: longest first (greedy).
    std::size_t max_len = rest.size();
    if (t.kind == token_kind::star) {
      max_len = std::min(max_len, rest.find('.'));
    } else if (t.kind == token_kind::joint) {  // only digits can match (at most 9 of them)
      max_len = std::min<std::size_t>(max_len, 9);
    }
    for (std::size_t len = max_len + 1; len-- > 0;) {
      cap = span_capture{pos, pos, 0, ti, false, 0};
      if (reach.get(ti + 1, pos + len) && accepts(t, rest.substr(0, len), pos, cap)) return pos + len;
    }
    return name.size();  // not reached: reach.get(ti, pos) holds
  }

  /// alternatives_ and each alternatives token's first index in it, from the tokens and the text.
  void index_alternatives() {
    std::size_t from = 0;
    for (auto& t : tokens_) {
      if (t.kind != token_kind::alternatives) continue;
      std::size_t at = text_.find('{', from) + 1;
      from = at;
      t.first_alternative = alternatives_.size();
      for (const auto& a : t.alternatives) {
        alternatives_.push_back({a, at});
        at += a.size() + 1;
      }
    }
  }

  void parse(const joint_set_sizes& sizes) {
    const std::string& s = text_;
    std::string literal;
    const auto push = [&](token t) {  // a wildcard token, after the literal before it
      if (!literal.empty()) tokens_.push_back(token{token_kind::literal, std::move(literal), {}, false, false, 0});
      literal.clear();
      if (t.kind != token_kind::literal) ++captures_;
      tokens_.push_back(std::move(t));
    };
    if (s.empty()) throw pattern_syntax_error(0, "empty pattern");
    for (std::size_t i = 0; i < s.size();) {
      const char c = s[i];
      if (c == '*' && i + 1 < s.size() && s[i + 1] == '*') {
        i = parse_globstar(i, literal, push);
      } else if (c == '*') {
        push(token{token_kind::star, {}, {}, false, false, 0});
        ++i;
      } else if (c == '{') {
        i = parse_alternatives(i, push);
      } else if (c == '<') {
        i = parse_joint(i, sizes, push);
      } else if (c == '}' || c == '>' || c == '$') {
        throw pattern_syntax_error(i, c == '}'   ? "'}' without '{'"
                                      : c == '>' ? "'>' without '<'"
                                                 : "'$' belongs in a rename template, not in a pattern");
      } else {
        literal += c;
        ++i;
      }
    }
    push(token{token_kind::literal, {}, {}, false, false, 0});  // flushes the last literal
    tokens_.pop_back();
    summarize();
    index_alternatives();
  }

  /// `**` at `i`: absorbs a dot on each side when it stands as whole segments. Returns the next index.
  template <class Push>
  std::size_t parse_globstar(std::size_t i, std::string& literal, Push& push) {
    const std::string& s = text_;
    if (i + 2 < s.size() && s[i + 2] == '*') throw pattern_syntax_error(i, "'***' is not a wildcard (use * or **)");
    token t{token_kind::globstar, {}, {}, false, false, 0};
    if (!literal.empty() && literal.back() == '.') {
      literal.pop_back();
      t.lead_dot = true;
    }  // otherwise ** glued to other characters: any characters, dots included
    const bool at_start = literal.empty() && tokens_.empty() && !t.lead_dot;
    std::size_t next = i + 2;
    if (next < s.size() && s[next] == '.' && (t.lead_dot || at_start)) {
      t.trail_dot = true;
      ++next;
    }
    push(std::move(t));
    return next;
  }

  /// `{a,b,...}` at `i` (literal alternatives). Returns the next index.
  template <class Push>
  std::size_t parse_alternatives(std::size_t i, Push& push) {
    const std::string& s = text_;
    const std::size_t close = s.find('}', i);
    if (close == std::string::npos) throw pattern_syntax_error(i, "unclosed '{'");
    token t{token_kind::alternatives, {}, {}, false, false, 0};
    std::string alt;
    for (std::size_t j = i + 1; j < close; ++j) {
      const char a = s[j];
      if (a == ',') {
        t.alternatives.push_back(std::move(alt));
        alt.clear();
      } else if (a == '*' || a == '{' || a == '<' || a == '>') {
        throw pattern_syntax_error(j,
                                   std::string("'") + a + "' is not allowed inside {...} (alternatives are literal)");
      } else {
        alt += a;
      }
    }
    t.alternatives.push_back(std::move(alt));
    push(std::move(t));
    return close + 1;
  }

  /// `<set>` at `i` (a joint of a known set). Returns the next index.
  template <class Push>
  std::size_t parse_joint(std::size_t i, const joint_set_sizes& sizes, Push& push) {
    const std::string& s = text_;
    const std::size_t close = s.find('>', i);
    if (close == std::string::npos) throw pattern_syntax_error(i, "unclosed '<'");
    std::string set = s.substr(i + 1, close - i - 1);
    if (set.empty()) throw pattern_syntax_error(i, "'<>' needs a joint set name, e.g. <coco>");
    token t{token_kind::joint, set, {}, false, false, 0};
    if (sizes) {
      auto n = sizes(set);
      if (!n) throw pattern_syntax_error(i + 1, "unknown label set '" + set + "'");
      t.joint_count = *n;
    }
    push(std::move(t));
    return close + 1;
  }

  /// Prefix, suffix, shortest match and slots, from the tokens; enforces the wildcard limit.
  void summarize() {
    if (!tokens_.empty() && tokens_[0].kind == token_kind::literal) prefix_ = tokens_[0].text;
    // A match ends with the last token: when it is a literal (and not also the prefix), a suffix.
    if (tokens_.size() > 1 && tokens_.back().kind == token_kind::literal) suffix_ = tokens_.back().text;
    // The shortest name any match can have (literal tokens never overlap in a match).
    std::size_t slot = 0;
    for (auto& t : tokens_) {
      switch (t.kind) {
        case token_kind::literal: min_size_ += t.text.size(); break;
        case token_kind::star: break;
        case token_kind::globstar: min_size_ += (t.lead_dot && t.trail_dot) ? 1 : 0; break;
        case token_kind::alternatives: {
          std::size_t shortest = t.alternatives.front().size();
          for (const auto& a : t.alternatives) shortest = std::min(shortest, a.size());
          min_size_ += shortest;
          break;
        }
        case token_kind::joint: min_size_ += 1; break;
      }
      if (t.kind != token_kind::literal) t.slot = slot++;
      if (t.kind == token_kind::literal) t.borders = {borders_of(t.text)};
      for (const auto& a : t.alternatives) t.borders.push_back(borders_of(a));
    }
    if (captures_ > max_wildcards)
      throw pattern_syntax_error(
          0, "too many wildcards (" + std::to_string(captures_) + "; at most " + std::to_string(max_wildcards) + ")");
  }

  static bool is_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return s.size() == 1 || s[0] != '0';
  }

  // Can token `t` match exactly `s` (which starts at `at` in the name)? Fills `cap`. O(1) but for
  // `<set>` (at most 9 digits); a star's `s` is never longer than the run before the next dot.
  static bool accepts(const token& t, std::string_view s, std::size_t at, span_capture& cap) {
    cap.begin = at;
    cap.size = s.size();
    switch (t.kind) {
      case token_kind::star: return true;  // `s` holds no dot: the caller stops at the first
      case token_kind::globstar: {
        if (t.lead_dot && t.trail_dot) {  // ".**." : "." or ".x.y."
          if (s == ".")
            cap.size = 0;
          else if (s.size() >= 3 && s.front() == '.' && s.back() == '.')
            cap.begin = at + 1, cap.size = s.size() - 2;
          else
            return false;
        } else if (t.lead_dot) {  // ".**" at the end: "" or ".x.y"
          if (s.empty())
            cap.size = 0;
          else if (s.size() >= 2 && s.front() == '.')
            cap.begin = at + 1, cap.size = s.size() - 1;
          else
            return false;
        } else if (t.trail_dot) {  // "**." at the start: "" or "x.y."
          if (s.empty())
            cap.size = 0;
          else if (s.size() >= 2 && s.back() == '.')
            cap.size = s.size() - 1;
          else
            return false;
        }
        return true;
      }
      case token_kind::joint: {
        if (!is_digits(s) || s.size() > 9) return false;
        std::size_t index = 0;
        for (char c : s) index = index * 10 + static_cast<std::size_t>(c - '0');
        if (t.joint_count && index >= t.joint_count) return false;
        cap.joint = true;
        cap.joint_index = index;
        return true;
      }
      default: return false;
    }
  }

  std::string text_;
  std::vector<token> tokens_;
  std::vector<alternative> alternatives_;  // every {a,b} alternative, in order
  std::string prefix_;
  std::string suffix_;        // the last literal token, when the pattern ends with one (and has others)
  std::size_t min_size_ = 0;  // no shorter name can match
  std::size_t captures_ = 0;
  static constexpr std::size_t max_wildcards = 256;  // bounds a match's reach table (tokens x length bits)
};

}  // namespace graft::rules
