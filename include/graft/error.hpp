#pragma once
/// \file
/// graft's exception hierarchy: one base, messages built in one place.

#include <graft/detail/text.hpp>
#include <graft/source.hpp>

#include <stdexcept>
#include <string>
#include <utility>

namespace graft {

/// Base of every error graft throws on bad input. The message is one line, safe to print: names read
/// from inputs may hold any byte, so control bytes (line breaks included) and bytes that are not UTF-8
/// are shown as `\xNN` (detail::printable).
class error : public std::runtime_error {
public:
  explicit error(const std::string& message) : std::runtime_error(detail::printable(message)) {}

protected:
  struct printable_text {
    const std::string& text;  ///< already safe to print (may span lines)
  };
  explicit error(printable_text safe) : std::runtime_error(safe.text) {}
};

/// An error at a place in a rules file; what() is "file:line:col: message", the line and a caret.
class located_error : public error {
public:
  located_error(source_location where, const std::string& message)
      : located_error(std::move(where), detail::printable(message), 0) {}

  /// Where the problem is.
  const source_location& where() const noexcept { return where_; }
  /// The rules file's name.
  std::string file() const { return where_.file(); }
  /// 1-based line.
  std::size_t line() const { return where_.line(); }
  /// 1-based column.
  std::size_t column() const { return where_.column(); }
  /// The message without position, line or caret (safe to print).
  const std::string& message() const noexcept { return message_; }

  /// The one-line form "file:line:col: message".
  std::string headline() const { return detail::printable(where_.str()) + ": " + message_; }

private:
  located_error(source_location where, std::string safe_message, int)
      : error(printable_text{format(where, safe_message)}),
        where_(std::move(where)),
        message_(std::move(safe_message)) {}

  static std::string format(const source_location& where, const std::string& safe_message) {
    std::string out = detail::printable(where.str()) + ": " + safe_message;
    std::string excerpt = where.excerpt();
    if (!excerpt.empty()) out += "\n" + excerpt;
    return out;
  }

  source_location where_;
  std::string message_;
};

/// A syntax error in a rules file ("expected X, saw Y").
class parse_error : public located_error {
public:
  using located_error::located_error;
};

/// A rules file that parses but does not make sense: unknown joint, import cycle, duplicate name.
class rules_error : public located_error {
public:
  using located_error::located_error;
};

/// A plan that cannot be made or violates policy (conflicts, strict-mode findings, failed expects).
class plan_error : public error {
public:
  using error::error;
};

/// An unreadable, malformed or refused checkpoint or manifest file.
class checkpoint_error : public error {
public:
  using error::error;
};

/// Bad use of the library or tool that is the caller's fault (wrong argument, missing file).
class usage_error : public error {
public:
  using error::error;
};

}  // namespace graft
