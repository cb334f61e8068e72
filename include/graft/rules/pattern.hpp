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
    std::size_t joint_count = 0;        // size of the joint set (0 = unbounded)
    std::size_t slot = 0;               // capture number (0-based) of a wildcard token
    std::size_t first_alternative = 0;  // alternatives: the index of its first one in alternatives_
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
  bool match_spans(std::string_view name, span_capture* caps) const {
    // Cheap rejections first: most names fail on their length, literal prefix or literal suffix.
    if (name.size() < min_size_) return false;
    if (!prefix_.empty() && name.substr(0, prefix_.size()) != prefix_) return false;
    if (!suffix_.empty() && name.substr(name.size() - suffix_.size()) != suffix_) return false;
    // With two or more variable-length wildcards, remember which (token, position) pairs already
    // failed: matching from there does not depend on earlier captures, so this bounds the work to
    // tokens x positions instead of exponential backtracking.
    std::vector<bool> failed;
    if (variable_tokens_ >= 2) failed.assign(tokens_.size() * (name.size() + 1), false);
    return match_from(0, name, 0, caps, failed.empty() ? nullptr : &failed);
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
      if (!n) throw pattern_syntax_error(i + 1, "unknown joint set '" + set + "'");
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
      if (t.kind != token_kind::literal && t.kind != token_kind::alternatives) ++variable_tokens_;
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

  // Can token `t` match exactly `s` (which starts at `at` in the name)? Fills `cap`.
  static bool accepts(const token& t, std::string_view s, std::size_t at, span_capture& cap) {
    cap.begin = at;
    cap.size = s.size();
    switch (t.kind) {
      case token_kind::star: return s.find('.') == std::string_view::npos;
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

  bool match_from(std::size_t ti, std::string_view name, std::size_t pos, span_capture* caps,
                  std::vector<bool>* failed) const {
    if (ti == tokens_.size()) return pos == name.size();
    const token& t = tokens_[ti];
    const std::string_view rest = name.substr(pos);
    if (t.kind == token_kind::literal) {
      if (rest.substr(0, t.text.size()) != t.text) return false;
      return match_from(ti + 1, name, pos + t.text.size(), caps, failed);
    }
    const std::size_t memo = ti * (name.size() + 1) + pos;
    if (failed && (*failed)[memo]) return false;
    if (t.kind == token_kind::alternatives) {
      for (const auto& alt : t.alternatives) {
        if (rest.substr(0, alt.size()) != alt) continue;
        span_capture& cap = caps[t.slot];
        cap = span_capture{pos, pos, alt.size(), ti, false, 0};
        if (match_from(ti + 1, name, pos + alt.size(), caps, failed)) return true;
      }
      if (failed) (*failed)[memo] = true;
      return false;
    }
    // Variable-length wildcard: longest first (greedy), backtracking to shorter.
    std::size_t max_len = rest.size();
    if (t.kind == token_kind::star) {
      const std::size_t dot = rest.find('.');
      if (dot != std::string_view::npos) max_len = dot;
    } else if (t.kind == token_kind::joint) {  // only digits can match (at most 9 of them)
      std::size_t digits = 0;
      while (digits < rest.size() && digits < 10 && rest[digits] >= '0' && rest[digits] <= '9') ++digits;
      max_len = digits;
    }
    for (std::size_t len = max_len + 1; len-- > 0;) {
      // The next literal token, if any, must follow right where this wildcard ends.
      if (ti + 1 < tokens_.size() && tokens_[ti + 1].kind == token_kind::literal) {
        const std::string& lit = tokens_[ti + 1].text;
        if (name.substr(pos + len, lit.size()) != lit) continue;
      } else if (ti + 1 == tokens_.size() && len != rest.size()) {
        continue;
      }
      span_capture& cap = caps[t.slot];
      cap = span_capture{pos, pos, 0, ti, false, 0};
      if (!accepts(t, rest.substr(0, len), pos, cap)) continue;
      if (match_from(ti + 1, name, pos + len, caps, failed)) return true;
    }
    if (failed) (*failed)[memo] = true;
    return false;
  }

  std::string text_;
  std::vector<token> tokens_;
  std::vector<alternative> alternatives_;  // every {a,b} alternative, in order
  std::string prefix_;
  std::string suffix_;        // the last literal token, when the pattern ends with one (and has others)
  std::size_t min_size_ = 0;  // no shorter name can match
  std::size_t captures_ = 0;
  std::size_t variable_tokens_ = 0;                  // *, ** and <set> tokens
  static constexpr std::size_t max_wildcards = 256;  // bounds match recursion depth
};

}  // namespace graft::rules
