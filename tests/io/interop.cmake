# Interop tests with PyTorch (only where /usr/bin/python3 can import torch):
#   io_interop_fixtures  python writes every fixture kind into the build tree   (FIXTURES_SETUP io_py)
#   io_interop_read      graft reads them bit-exactly and writes .pth/.safetensors (needs io_py; sets up io_graft)
#   io_interop_check     torch.load / a python safetensors parser read graft's files (needs io_graft)
#   io_interop_torch2    the same with tests/data/io/torch2.6 and Debian 13's PyTorch 2.6 (scripts/debian 13);
#                        skipped (with the reason) where that root or root rights are missing
add_executable(io_interop ${CMAKE_CURRENT_LIST_DIR}/interop_main.cpp)
target_link_libraries(io_interop PRIVATE graft::core graft_warnings)
add_dependencies(test_io io_interop)  # building test_io builds the interop driver too

set(GRAFT_IO_PYTHON /usr/bin/python3)
execute_process(COMMAND ${GRAFT_IO_PYTHON} -c "import torch"
                RESULT_VARIABLE _graft_io_torch OUTPUT_QUIET ERROR_QUIET)
if(_graft_io_torch EQUAL 0)
  set(_dir ${CMAKE_CURRENT_BINARY_DIR}/io-interop)
  add_test(NAME io_interop_fixtures
           COMMAND ${CMAKE_COMMAND} -E env OMP_NUM_THREADS=1
                   ${GRAFT_IO_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/../data/io/make_fixtures.py ${_dir})
  add_test(NAME io_interop_read COMMAND io_interop ${_dir})
  add_test(NAME io_interop_check COMMAND ${GRAFT_IO_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/check_interop.py ${_dir})
  set_tests_properties(io_interop_fixtures PROPERTIES FIXTURES_SETUP io_py LABELS io)
  set_tests_properties(io_interop_read PROPERTIES FIXTURES_REQUIRED io_py FIXTURES_SETUP io_graft LABELS io)
  set_tests_properties(io_interop_check PROPERTIES FIXTURES_REQUIRED io_graft LABELS io)
else()
  message(STATUS "graft: /usr/bin/python3 cannot import torch; skipping the io interop tests")
endif()

add_test(NAME io_interop_torch2
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/interop_torch2.sh $<TARGET_FILE:io_interop> ${PROJECT_SOURCE_DIR}
                 ${CMAKE_CURRENT_BINARY_DIR}/io-interop-torch2)
# one scripts/debian 13 at a time: each ends every process inside the root when it ends
set_tests_properties(io_interop_torch2 PROPERTIES LABELS io SKIP_RETURN_CODE 77 TIMEOUT 600 RESOURCE_LOCK debian13)
