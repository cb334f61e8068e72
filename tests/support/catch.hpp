#pragma once
// The one way graft's tests include Catch2: v3 (split headers, a compiled library) where its headers
// are on the include path, else v2 (the single header catch2/catch.hpp). Tests spell the few names
// that differ between the two through namespace test:
//   test::Contains(s)    a string matcher: the text contains s (v2 test::Contains, v3 ContainsSubstring)
//   test::StartsWith(s)  a string matcher: the text starts with s
// GRAFT_TEST_CATCH_VERSION is 2 or 3.

#if __has_include(<catch2/catch_test_macros.hpp>)
#define GRAFT_TEST_CATCH_VERSION 3
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>
#else
#define GRAFT_TEST_CATCH_VERSION 2
#include <catch2/catch.hpp>
#endif

#include <string>

namespace test {
#if GRAFT_TEST_CATCH_VERSION == 3
inline Catch::Matchers::StringContainsMatcher Contains(const std::string& text) {
  return Catch::Matchers::ContainsSubstring(text);
}
using Catch::Matchers::StartsWith;
#else
using Catch::Contains;
using Catch::StartsWith;
#endif
}  // namespace test
