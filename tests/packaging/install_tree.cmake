# cmake -DBUILD_DIR=<graft build> -DPREFIX=<fresh install prefix> -DBINDIR=bin -DINCLUDEDIR=include -DDATADIR=share
#       [-DWITH_CLI=1] [-DWITH_TORCH=ON|OFF] -P install_tree.cmake   (the *DIR values: graft's CMAKE_INSTALL_<dir>)
# Installs graft's build tree into PREFIX (emptied first) and checks what the install tree holds
# (WITH_TORCH: graft was built with LibTorch, so graft-torch and graftTorchTargets.cmake are there;
# OFF: they must not be).
foreach(v BUILD_DIR PREFIX BINDIR INCLUDEDIR DATADIR)
  if(NOT ${v})
    message(FATAL_ERROR "install_tree.cmake: ${v} not set")
  endif()
endforeach()
file(REMOVE_RECURSE ${PREFIX})
execute_process(COMMAND ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}):\n${out}")
endif()

set(expected
  ${INCLUDEDIR}/graft/graft.hpp
  ${INCLUDEDIR}/graft/core.hpp
  ${INCLUDEDIR}/graft/rules/load.hpp
  ${INCLUDEDIR}/graft/torch/apply.hpp
  ${DATADIR}/cmake/graft/graftConfig.cmake
  ${DATADIR}/cmake/graft/graftConfigVersion.cmake
  ${DATADIR}/cmake/graft/graftTargets.cmake
  ${DATADIR}/graft/rules/joints/coco.graft
  ${DATADIR}/graft/rules/pose/higherhrnet_coco_to_crowdpose.graft)
set(absent)
if(WITH_CLI)
  list(APPEND expected ${BINDIR}/graft)
endif()
if(WITH_TORCH)
  list(APPEND expected ${DATADIR}/cmake/graft/graftTorchTargets.cmake)
  if(WITH_CLI)
    list(APPEND expected ${BINDIR}/graft-torch)
  endif()
else()
  list(APPEND absent ${DATADIR}/cmake/graft/graftTorchTargets.cmake ${BINDIR}/graft-torch)
endif()
set(missing)
foreach(f IN LISTS expected)
  if(NOT EXISTS ${PREFIX}/${f})
    list(APPEND missing ${f})
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "missing from the install tree ${PREFIX}: ${missing}")
endif()
foreach(f IN LISTS absent)
  if(EXISTS ${PREFIX}/${f})
    message(FATAL_ERROR "graft built without LibTorch installed ${PREFIX}/${f}")
  endif()
endforeach()
# Only headers under include/, and none of the build machinery (e.g. the warnings target) exported.
file(GLOB_RECURSE stray RELATIVE ${PREFIX}/${INCLUDEDIR} ${PREFIX}/${INCLUDEDIR}/*)
list(FILTER stray EXCLUDE REGEX "^graft/.*\\.hpp$")
if(stray)
  message(FATAL_ERROR "unexpected files under include/: ${stray}")
endif()
file(READ ${PREFIX}/${DATADIR}/cmake/graft/graftTargets.cmake targets)
if(targets MATCHES "graft_warnings|-Wall")
  message(FATAL_ERROR "graftTargets.cmake leaks the private warning flags")
endif()
if(targets MATCHES "INTERFACE_LINK_LIBRARIES[^\n]*torch")
  message(FATAL_ERROR "graftTargets.cmake (component core) mentions LibTorch")
endif()
if(WITH_TORCH)
  file(READ ${PREFIX}/${DATADIR}/cmake/graft/graftTorchTargets.cmake targets)
  if(targets MATCHES "graft_warnings|-Wall")
    message(FATAL_ERROR "graftTorchTargets.cmake leaks the private warning flags")
  endif()
endif()
message(STATUS "install tree ok: ${PREFIX}")
