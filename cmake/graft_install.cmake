# Install rules (included from the top-level CMakeLists.txt when GRAFT_INSTALL is ON):
#   include/graft/...                  the headers
#   bin/graft                          the CLI (installed by tools/CMakeLists.txt)
#   share/graft/rules/...              the shipped rules library (found by the CLI's `use` search)
#   share/cmake/graft/graftConfig.cmake, graftConfigVersion.cmake,
#     graftTargets.cmake               component core: graft::core (no LibTorch)
#     graftTorchTargets.cmake          component torch: graft::graft (only when built with LibTorch)
#                                      find_package(graft [COMPONENTS core torch]) → graft::core, graft::graft
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/graft
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT graft_development
        FILES_MATCHING PATTERN "*.hpp")

install(DIRECTORY ${PROJECT_SOURCE_DIR}/rules/
        DESTINATION ${GRAFT_INSTALL_RULESDIR}
        COMPONENT graft_rules)

# Two export sets, so that graft::core loads without LibTorch: graftTargets (graft::core) and, with
# LibTorch, graftTorchTargets (graft::graft, which links `torch`: graftConfig.cmake finds Torch first).
install(TARGETS graft_core EXPORT graftTargets)
install(EXPORT graftTargets
        NAMESPACE graft::
        DESTINATION ${GRAFT_INSTALL_CMAKEDIR}
        COMPONENT graft_development)
if(GRAFT_HAVE_TORCH)
  install(TARGETS graft EXPORT graftTorchTargets)
  install(EXPORT graftTorchTargets
          NAMESPACE graft::
          DESTINATION ${GRAFT_INSTALL_CMAKEDIR}
          COMPONENT graft_development)
endif()
set(GRAFT_CONFIG_WITH_TORCH ${GRAFT_HAVE_TORCH})  # graftConfig.cmake: is there a component torch

set(GRAFT_CONFIG_RULESDIR ${GRAFT_INSTALL_RULESDIR})
set(GRAFT_CONFIG_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/graftConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/cmake/graftConfig.cmake
                              INSTALL_DESTINATION ${GRAFT_INSTALL_CMAKEDIR}
                              PATH_VARS GRAFT_CONFIG_RULESDIR GRAFT_CONFIG_INCLUDEDIR)
# 0.x: a minor version may break the API, so only the same major.minor is compatible. Header-only
# library: the package does not care about the consumer's pointer size.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/graftConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion
                                 ARCH_INDEPENDENT)
install(FILES ${PROJECT_BINARY_DIR}/cmake/graftConfig.cmake ${PROJECT_BINARY_DIR}/cmake/graftConfigVersion.cmake
        DESTINATION ${GRAFT_INSTALL_CMAKEDIR}
        COMPONENT graft_development)

# The build tree is a package too: `cmake -Dgraft_DIR=<graft build>` (headers and rules from the
# source tree, nothing to install): the same config template, with the build tree as its prefix.
export(EXPORT graftTargets NAMESPACE graft:: FILE ${PROJECT_BINARY_DIR}/graftTargets.cmake)
if(GRAFT_HAVE_TORCH)
  export(EXPORT graftTorchTargets NAMESPACE graft:: FILE ${PROJECT_BINARY_DIR}/graftTorchTargets.cmake)
endif()
set(GRAFT_CONFIG_RULESDIR ${PROJECT_SOURCE_DIR}/rules)
set(GRAFT_CONFIG_INCLUDEDIR ${PROJECT_SOURCE_DIR}/include)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/graftConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/graftConfig.cmake
                              INSTALL_DESTINATION ${PROJECT_BINARY_DIR}
                              INSTALL_PREFIX ${PROJECT_BINARY_DIR}
                              PATH_VARS GRAFT_CONFIG_RULESDIR GRAFT_CONFIG_INCLUDEDIR)
configure_file(${PROJECT_BINARY_DIR}/cmake/graftConfigVersion.cmake ${PROJECT_BINARY_DIR}/graftConfigVersion.cmake COPYONLY)
