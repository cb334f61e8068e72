# Packaging and code-health tests (label `packaging`; included from tests/tests.cmake):
#   packaging_layering           the executors and the vocabulary reach neither Boost nor graft/dsl/ (g++ -M)
#   packaging_umbrella_headers   graft/core.hpp and graft/graft.hpp include every public header
#   packaging_header_check       builds graft_header_check: each public header compiles on its own,
#                                and the ODR test program (all those TUs plus one more including
#                                <graft/graft.hpp>, linked together)
#   packaging_odr                runs the ODR test program
#   packaging_install            cmake --install into <build>/tests/packaging/install, checks the tree
#   packaging_installed_cli_rules  the installed CLI resolves `use "joints/..."` from share/graft/rules
#   packaging_build_cli_rules    the build-tree CLI resolves it from the source tree's rules/
#   packaging_find_package       a consumer project: find_package(graft) against the install tree
#   packaging_find_package_core  the same consumer with COMPONENTS core and LibTorch hidden (no LibTorch needed)
#   packaging_build_tree_package the same consumer against the build tree (graft_DIR=<graft build>)
#   packaging_add_subdirectory   a consumer project: add_subdirectory(<graft source>)
#   packaging_format             the sources follow .clang-format (scripts/lint; needs clang-format)
#   packaging_without_torch      graft configured with LibTorch hidden, in its own build folder: no
#                                LibTorch target, graft_cli builds and runs, installs, and
#                                find_package(graft COMPONENTS core) works (without_torch/run.cmake)
set(_pkg_src ${CMAKE_CURRENT_LIST_DIR})
set(_pkg_bin ${CMAKE_CURRENT_BINARY_DIR}/packaging)
set(_pkg_install ${_pkg_bin}/install)

add_test(NAME packaging_layering
         COMMAND ${CMAKE_COMMAND} -DCXX=${CMAKE_CXX_COMPILER} -DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include
                 -DBOOST_INCLUDE=${Boost_INCLUDE_DIRS} -P ${_pkg_src}/layering.cmake)
add_test(NAME packaging_umbrella_headers
         COMMAND ${CMAKE_COMMAND} -DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include -P ${_pkg_src}/umbrella_check.cmake)

# Header check + ODR program: not part of the default build (about 40 small TUs and 2 LibTorch TUs);
# the test builds them.
include(${PROJECT_SOURCE_DIR}/cmake/graft_header_check.cmake)
graft_add_header_check(graft_header_check)
# The ODR program: odr/main.cpp and every header-check TU (one per torch-free header, and the TU of the
# LibTorch headers, which includes <graft/graft.hpp> too), linked together. Without LibTorch: the
# torch-free TUs, and odr/main.cpp includes <graft/core.hpp>.
add_executable(graft_odr_test EXCLUDE_FROM_ALL ${_pkg_src}/odr/main.cpp)
if(GRAFT_HAVE_TORCH)
  target_link_libraries(graft_odr_test PRIVATE graft::graft graft_header_check_torch)
  target_compile_definitions(graft_odr_test PRIVATE GRAFT_ODR_WITH_TORCH=1)
else()
  target_link_libraries(graft_odr_test PRIVATE graft::core)
endif()
target_link_libraries(graft_odr_test PRIVATE graft_warnings graft_header_check_core)
add_dependencies(graft_header_check graft_odr_test)
add_test(NAME packaging_header_check
         COMMAND ${CMAKE_COMMAND} --build ${PROJECT_BINARY_DIR} --target graft_header_check)
set_tests_properties(packaging_header_check PROPERTIES FIXTURES_SETUP graft_header_check TIMEOUT 3600)
add_test(NAME packaging_odr COMMAND graft_odr_test)
set_tests_properties(packaging_odr PROPERTIES FIXTURES_REQUIRED graft_header_check)

# A rules file outside any rules tree, so `use "joints/coco.graft"` can only come from the shipped rules.
file(WRITE ${_pkg_bin}/uses_shipped_rules.graft "use \"joints/coco.graft\"\nuse \"joints/crowdpose.graft\"\n")

# Consumer projects are configured with graft's compiler (and compiler launcher).
set(_pkg_build_options -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER} -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
if(CMAKE_CXX_COMPILER_LAUNCHER)
  list(APPEND _pkg_build_options -DCMAKE_CXX_COMPILER_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER})
endif()
# The find_package consumers ask for the default components (core and torch) where graft has LibTorch,
# for COMPONENTS core where it has not.
set(_pkg_components)
if(NOT GRAFT_HAVE_TORCH)
  set(_pkg_components -DGRAFT_COMPONENTS=core -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON)
endif()

if(GRAFT_INSTALL)
  add_test(NAME packaging_install
           COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR} -DPREFIX=${_pkg_install}
                   -DWITH_CLI=$<TARGET_EXISTS:graft_cli> -DWITH_TORCH=${GRAFT_HAVE_TORCH} -DBINDIR=${CMAKE_INSTALL_BINDIR}
                   -DINCLUDEDIR=${CMAKE_INSTALL_INCLUDEDIR} -DDATADIR=${CMAKE_INSTALL_DATADIR} -P ${_pkg_src}/install_tree.cmake)
  set_tests_properties(packaging_install PROPERTIES FIXTURES_SETUP graft_installed)

  if(TARGET graft_cli)
    add_test(NAME packaging_installed_cli_rules
             COMMAND ${CMAKE_COMMAND} -E env --unset=GRAFT_RULES_PATH
                     ${_pkg_install}/${CMAKE_INSTALL_BINDIR}/graft check ${_pkg_bin}/uses_shipped_rules.graft)
    set_tests_properties(packaging_installed_cli_rules PROPERTIES FIXTURES_REQUIRED graft_installed)
  endif()

  add_test(NAME packaging_find_package
           COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${_pkg_src}/find_package ${_pkg_bin}/find_package
                   --build-generator ${CMAKE_GENERATOR} --build-noclean
                   --build-options ${_pkg_build_options} ${_pkg_components} -DCMAKE_PREFIX_PATH=${_pkg_install}
                                   -DGRAFT_EXPECTED_PREFIX=${_pkg_install}
                   --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)
  set_tests_properties(packaging_find_package PROPERTIES FIXTURES_REQUIRED graft_installed)

  if(GRAFT_HAVE_TORCH)
    add_test(NAME packaging_find_package_core
             COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${_pkg_src}/find_package ${_pkg_bin}/find_package_core
                     --build-generator ${CMAKE_GENERATOR} --build-noclean
                     --build-options ${_pkg_build_options} -DCMAKE_PREFIX_PATH=${_pkg_install}
                                     -DGRAFT_EXPECTED_PREFIX=${_pkg_install}
                                     -DGRAFT_COMPONENTS=core -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON
                     --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)
    set_tests_properties(packaging_find_package_core PROPERTIES FIXTURES_REQUIRED graft_installed)
  endif()
endif()

if(GRAFT_INSTALL)
  add_test(NAME packaging_build_tree_package
           COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${_pkg_src}/find_package ${_pkg_bin}/build_tree_package
                   --build-generator ${CMAKE_GENERATOR} --build-noclean
                   --build-options ${_pkg_build_options} ${_pkg_components} -Dgraft_DIR=${PROJECT_BINARY_DIR}
                                   -DGRAFT_EXPECTED_PREFIX=${PROJECT_BINARY_DIR}
                   --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)
endif()

if(TARGET graft_cli)
  add_test(NAME packaging_build_cli_rules
           COMMAND ${CMAKE_COMMAND} -E env --unset=GRAFT_RULES_PATH
                   $<TARGET_FILE:graft_cli> check ${_pkg_bin}/uses_shipped_rules.graft)
endif()

add_test(NAME packaging_add_subdirectory
         COMMAND ${CMAKE_CTEST_COMMAND} --build-and-test ${_pkg_src}/add_subdirectory ${_pkg_bin}/add_subdirectory
                 --build-generator ${CMAKE_GENERATOR} --build-noclean
                 --build-options ${_pkg_build_options} -DGRAFT_SOURCE_DIR=${PROJECT_SOURCE_DIR}
                                 -DGRAFT_WITH_TORCH=${GRAFT_HAVE_TORCH}
                 --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)

if(TARGET graft_cli)
  add_test(NAME packaging_without_torch
           COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DWORK_DIR=${_pkg_bin}/without_torch
                   -DGENERATOR=${CMAKE_GENERATOR} -DCXX=${CMAKE_CXX_COMPILER} -DLAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER}
                   -DBUILD_TYPE=${CMAKE_BUILD_TYPE} -DWERROR=${GRAFT_WERROR} "-DPREFIX_PATH=${CMAKE_PREFIX_PATH}"
                   -DBUILD_EXAMPLES=${GRAFT_BUILD_EXAMPLES} -DBUILD_BENCHMARKS=${GRAFT_BUILD_BENCHMARKS}
                   -P ${_pkg_src}/without_torch/run.cmake)
  set_tests_properties(packaging_without_torch PROPERTIES TIMEOUT 900)
endif()

find_program(GRAFT_CLANG_FORMAT NAMES clang-format clang-format-14)
if(GRAFT_CLANG_FORMAT)
  add_test(NAME packaging_format
           COMMAND ${CMAKE_COMMAND} -E env CLANG_FORMAT=${GRAFT_CLANG_FORMAT}
                   ${PROJECT_SOURCE_DIR}/scripts/lint --format-only)
else()
  message(STATUS "graft: clang-format not found; the packaging_format test is not added (scripts/deps installs it)")
endif()

get_property(_pkg_tests DIRECTORY PROPERTY TESTS)
foreach(t IN LISTS _pkg_tests)
  if(t MATCHES "^packaging_")
    set_property(TEST ${t} APPEND PROPERTY LABELS packaging)
  endif()
endforeach()
