#pragma once
/// \file
/// A minimal streaming JSON writer (internal): the plan schema and the CLI's JSON outputs use it.

#include <graft/detail/text.hpp>

#include <string>
#include <vector>

namespace graft::detail {

/// A minimal streaming JSON writer (objects, arrays, strings, numbers, booleans, null).
class json_writer {
public:
  std::string str() const { return out_; }

  json_writer& begin_object() { return open('{'); }
  json_writer& end_object() { return close('}'); }
  json_writer& begin_array() { return open('['); }
  json_writer& end_array() { return close(']'); }
  json_writer& key(const std::string& k) {
    comma();
    string_literal(k);
    out_ += ':';
    after_key_ = true;
    return *this;
  }
  json_writer& value(const std::string& s) {
    comma();
    string_literal(s);
    return *this;
  }
  json_writer& value(const char* s) { return value(std::string(s)); }
  json_writer& value(long long n) {
    comma();
    out_ += std::to_string(n);
    return *this;
  }
  json_writer& value(unsigned long long n) {
    comma();
    out_ += std::to_string(n);
    return *this;
  }
  json_writer& value(long n) { return value(static_cast<long long>(n)); }
  json_writer& value(unsigned long n) { return value(static_cast<unsigned long long>(n)); }
  json_writer& value(int n) { return value(static_cast<long long>(n)); }
  json_writer& value(bool b) {
    comma();
    out_ += b ? "true" : "false";
    return *this;
  }
  json_writer& null() {
    comma();
    out_ += "null";
    return *this;
  }
  template <typename T>
  json_writer& array(const std::vector<T>& values) {
    begin_array();
    for (const auto& v : values) value(v);
    return end_array();
  }

private:
  json_writer& open(char c) {
    comma();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  json_writer& close(char c) {
    out_ += c;
    first_.pop_back();
    return *this;
  }
  void comma() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  void string_literal(const std::string& s) { json_quote(out_, s); }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace graft::detail
