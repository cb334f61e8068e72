#pragma once
/// \file
/// parse(): rules-file text → syntax tree, or a graft::parse_error that says "expected X, saw Y".

#include <graft/dsl/ast.hpp>
#include <graft/dsl/grammar.hpp>
#include <graft/error.hpp>
#include <graft/source.hpp>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <memory>
#include <string>

namespace graft::dsl {

namespace detail {

/// The grammar's white space (" \t\n\v\f\r"), whatever the locale.
inline bool is_space_char(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

/// Moves past spaces, line breaks and comments, as the grammar's skipper does.
inline const char* skip_blanks(const char* p, const char* end) {
  while (p != end) {
    if (is_space_char(*p)) {
      ++p;
    } else if (*p == '#') {
      while (p != end && *p != '\n') ++p;
    } else {
      break;
    }
  }
  return p;
}

/// An ASCII letter, digit or '_' (the grammar's name characters, whatever the locale).
inline bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/// A short description of the token at p, for "saw Y".
inline std::string describe_token(const char* p, const char* end) {
  if (p == end) return "end of file";
  const char c = *p;
  if (c == '\n' || c == '\r') return "end of line";
  constexpr std::size_t max_len = 40;
  auto clip = [&](const char* from, const char* to) {
    std::string s(from, to);
    if (s.size() > max_len) s = s.substr(0, max_len) + "...";
    return s;
  };
  if (c == '"') {
    const char* q = p + 1;
    while (q != end && *q != '"' && *q != '\n') q += (*q == '\\' && q + 1 != end) ? 2 : 1;
    if (q != end && *q == '"') ++q;
    return clip(p, q);
  }
  if (is_name_char(c) || ((c == '-' || c == '+') && p + 1 != end && (p[1] >= '0' && p[1] <= '9'))) {
    const char* q = p + 1;
    while (q != end && is_name_char(*q)) ++q;
    return "'" + clip(p, q) + "'";
  }
  if ((c >= 0x20 && c < 0x7f)) {
    if (c == '-' && p + 1 != end && p[1] == '>') return "'->'";
    return std::string("'") + c + "'";
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "byte 0x%02x", static_cast<unsigned>(static_cast<unsigned char>(c)));
  return buf;
}

/// Just after the last token before `where` (past strings, comments and blanks), or `where` when no
/// token precedes it: an error at the end of the file points there, not at the empty line after it.
inline const char* end_of_last_token(const char* begin, const char* where) {
  const char* after = where;
  bool any = false;
  for (const char* p = begin; p < where;) {
    if (is_space_char(*p)) {
      ++p;
    } else if (*p == '#') {
      while (p < where && *p != '\n') ++p;
    } else if (*p == '"') {  // a string, as describe_token reads one (it may hold '#')
      ++p;
      while (p < where && *p != '"' && *p != '\n') p += (*p == '\\' && p + 1 < where) ? 2 : 1;
      if (p < where && *p == '"') ++p;
      after = p;
      any = true;
    } else {
      after = ++p;
      any = true;
    }
  }
  return any ? after : where;
}

/// True for expectations raised inside a token (a string), where blanks are significant.
inline bool inside_token(const std::string& which) {
  return which.rfind("a closing '\"'", 0) == 0 || which.rfind("an escape", 0) == 0;
}

}  // namespace detail

/// Parses the text of one rules file. Throws graft::parse_error (file:line:col, line, caret), or
/// graft::rules_error for a number too large for 64 bits.
inline ast::file parse(const std::shared_ptr<const source_text>& source) {
  namespace x3 = boost::spirit::x3;
  const char* const begin = source->text().data();
  const char* const end = begin + source->text().size();
  const char* first = begin;
  ast::file result;
  try {
    const bool ok =
        x3::phrase_parse(first, end, x3::with<grammar::text_begin_tag>(begin)[grammar::file], grammar::skipper, result);
    first = detail::skip_blanks(first, end);
    if (!ok || first != end) {
      const char* at = first == end ? detail::end_of_last_token(begin, end) : first;
      throw parse_error(
          source_location(source, static_cast<std::size_t>(at - begin)),
          std::string("expected ") + grammar::statement.name + ", saw " + detail::describe_token(first, end));
    }
  } catch (const grammar::number_out_of_range& n) {
    const auto limit = n.negative ? std::to_string(std::numeric_limits<std::int64_t>::min())
                                  : std::to_string(std::numeric_limits<std::int64_t>::max());
    throw rules_error(source_location(source, n.offset), std::string(n.what) + " " + n.text + " is too " +
                                                             (n.negative ? "small (at least " : "large (at most ") +
                                                             limit + ")");
  } catch (const x3::expectation_failure<const char*>& failure) {
    const char* where = failure.where();
    if (!detail::inside_token(failure.which())) where = detail::skip_blanks(where, end);
    const char* at = where == end ? detail::end_of_last_token(begin, end) : where;
    throw parse_error(source_location(source, static_cast<std::size_t>(at - begin)),
                      "expected " + failure.which() + ", saw " + detail::describe_token(where, end));
  }
  return result;
}

/// Parses `text` as the contents of a rules file named `path` (used in messages).
inline ast::file parse(std::string path, std::string text) {
  return parse(std::make_shared<const source_text>(std::move(path), std::move(text)));
}

}  // namespace graft::dsl
