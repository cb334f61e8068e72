// main() of the test executables. Catch2 v2 defines it here (CATCH_CONFIG_MAIN); with Catch2 v3 the
// CMake build links Catch2::Catch2WithMain instead of this file, and a build without CMake
// (scripts/gpu-check) gets the same main() from Catch::Session below.
#define CATCH_CONFIG_MAIN
#include "support/catch.hpp"

#if GRAFT_TEST_CATCH_VERSION == 3
#include <catch2/catch_session.hpp>

int main(int argc, char* argv[]) { return Catch::Session().run(argc, argv); }
#endif
