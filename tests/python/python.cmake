# The Python module's tests (tests/python, pytest): one ctest test per file, run with the interpreter
# the module is built for (GRAFT_PYTHON), the build tree's package on PYTHONPATH. Skipped, saying why,
# where that interpreter lacks torch or pytest (scripts/deps installs python3-torch and python3-pytest).
if(NOT GRAFT_HAVE_PYTHON)
  return()
endif()
set(_graft_py_files test_pose_families test_sides test_dtypes test_errors test_memory test_package test_progress)
set(_graft_py_cli "")
if(TARGET graft_cli)
  set(_graft_py_cli GRAFT_CLI=$<TARGET_FILE:graft_cli>)
endif()
foreach(_f IN LISTS _graft_py_files)
  if(GRAFT_PYTHON_TESTABLE)
    add_test(NAME python_${_f}
             COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${PROJECT_BINARY_DIR}/python ${_graft_py_cli}
                     GRAFT_SOURCE_DIR=${PROJECT_SOURCE_DIR} GRAFT_BUILD_DIR=${PROJECT_BINARY_DIR} OMP_NUM_THREADS=1
                     ${GRAFT_PYTHON} -m pytest -q -p no:cacheprovider -rs ${CMAKE_CURRENT_LIST_DIR}/${_f}.py)
  else()
    add_test(NAME python_${_f} COMMAND ${CMAKE_COMMAND} -E echo "skipped: ${GRAFT_PYTHON} cannot import torch and pytest")
    set_tests_properties(python_${_f} PROPERTIES SKIP_REGULAR_EXPRESSION "skipped:")
  endif()
  set_tests_properties(python_${_f} PROPERTIES LABELS python)
endforeach()
