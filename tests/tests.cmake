# Test executables, one per folder: test_FOLDER builds FOLDER/*.cpp (LibTorch-linked TUs live in torch/).
# (Kept apart from tests/CMakeLists.txt so areas can be added independently.)
graft_add_test(test_apply SOURCES apply/records.cpp apply/dtypes.cpp apply/fill_rules.cpp LABELS apply)
graft_add_test(test_io SOURCES io/zip.cpp io/crc32.cpp io/pickle.cpp io/pth.cpp io/safetensors.cpp io/hostile.cpp io/sharded.cpp io/manifest_writer.cpp io/torch2.cpp io/sharded_writer.cpp io/kernel_copy.cpp io/file_sink.cpp LABELS io)
include(${CMAKE_CURRENT_SOURCE_DIR}/io/interop.cmake)  # io: PyTorch interop tests (need /usr/bin/python3 with torch)
graft_add_test(test_rules SOURCES rules/pattern.cpp rules/layout.cpp rules/load.cpp rules/label_files.cpp LABELS rules)
graft_add_test(test_dsl SOURCES dsl/parse.cpp dsl/error_messages.cpp LABELS dsl)
graft_add_test(test_plan SOURCES plan/diagnostics.cpp plan/expect_names.cpp plan/label_expectations.cpp plan/label_strictness.cpp plan/pose_rules.cpp plan/detector_classifier_rules.cpp plan/root_causes.cpp plan/semantics.cpp plan/vocabulary.cpp plan/wrapped_sources.cpp LABELS plan)
# The CLI tests make their small checkpoints with `graft_demo make` (LibTorch); without LibTorch, with
# the torch-free graft_make_checkpoint (packaging/without_torch/make_checkpoint.cpp, the same command).
if(TARGET graft_cli AND TARGET graft_demo)
  set(_graft_make_checkpoint $<TARGET_FILE:graft_demo>)
elseif(TARGET graft_cli)
  add_executable(graft_make_checkpoint packaging/without_torch/make_checkpoint.cpp)
  target_link_libraries(graft_make_checkpoint PRIVATE graft::core graft_warnings)
  set_target_properties(graft_make_checkpoint PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bin)
  set(_graft_make_checkpoint $<TARGET_FILE:graft_make_checkpoint>)
endif()
if(TARGET graft_cli)
  add_test(NAME cli_graft_commands COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_test.sh $<TARGET_FILE:graft_cli> ${PROJECT_SOURCE_DIR} ${_graft_make_checkpoint})
  set_tests_properties(cli_graft_commands PROPERTIES LABELS cli)
  # sharded output, --shard K/N, --only-shard, and torchrun --no_python spreading it over two ranks
  add_test(NAME cli_sharded_apply COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/sharded_apply.sh $<TARGET_FILE:graft_cli>
                                          ${PROJECT_SOURCE_DIR} ${_graft_make_checkpoint})
  set_tests_properties(cli_sharded_apply PROPERTIES LABELS cli)
  # peak RSS of graft apply at ~1 GiB within 32 MiB of its RSS at ~130 MiB (~4 GiB of disk for a while)
  add_test(NAME cli_bounded_rss COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/bounded_rss.sh $<TARGET_FILE:graft_cli>
                                        ${PROJECT_SOURCE_DIR} ${_graft_make_checkpoint} ${CMAKE_CURRENT_BINARY_DIR}/bounded_rss)
  set_tests_properties(cli_bounded_rss PROPERTIES LABELS cli RUN_SERIAL TRUE)
  # a source record failing its CRC-32: carried into a .pth by the kernel copy, refused by --verify and into .safetensors
  add_test(NAME cli_corrupt_source COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/corrupt_source.sh $<TARGET_FILE:graft_cli>
                                           ${PROJECT_SOURCE_DIR} ${_graft_make_checkpoint} ${CMAKE_CURRENT_BINARY_DIR}/corrupt_source)
  set_tests_properties(cli_corrupt_source PROPERTIES LABELS "cli;security")
endif()
if(TARGET graft_cli)
  # golden: the CLI's exact outputs (plan reports and JSON, explain, inspect); tests/golden/README.md
  add_test(NAME golden_outputs COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/golden/run.sh $<TARGET_FILE:graft_cli> ${PROJECT_SOURCE_DIR})
  set_tests_properties(golden_outputs PROPERTIES LABELS golden)
endif()
if(GRAFT_HAVE_TORCH)
  graft_add_test(test_torch SOURCES torch/apply.cpp torch/io.cpp TORCH LABELS torch)
endif()
# torch: graft/torch/tensor.hpp built against Debian 13's LibTorch 2.x (the dtypes LibTorch 1.13 lacks);
# skipped, saying why, where that root or root rights are missing
add_test(NAME torch_libtorch2 COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/torch/libtorch2.sh ${PROJECT_SOURCE_DIR}
                                      ${CMAKE_CURRENT_BINARY_DIR}/libtorch2)
set_tests_properties(torch_libtorch2 PROPERTIES LABELS torch SKIP_RETURN_CODE 77 TIMEOUT 900 RESOURCE_LOCK debian13)
include(${CMAKE_CURRENT_SOURCE_DIR}/packaging/packaging.cmake)  # packaging: install tree, find_package/add_subdirectory consumers, header check, ODR (label packaging)
# security: hostile checkpoints and rules files, fuzz-corpus replay, CLI promises (exit 2, no output,
# inputs untouched, no temp files; SIGKILL while writing). See docs/security.md.
graft_add_test(test_security LABELS security SOURCES  # one file per feature, one per line
  security/hostile_checkpoints.cpp
  security/hostile_rules.cpp
  security/hostile_sharded.cpp
  security/changing_inputs.cpp
  security/output_files.cpp
  security/use_chains.cpp
  security/memory_budgets.cpp
  security/expanded_tensors.cpp
  security/rules_bounds.cpp
  security/linear_time.cpp
  security/format_budgets.cpp
  security/no_laundering.cpp
  security/safe_output.cpp
)
graft_add_test(test_fuzz SOURCES fuzz/replay.cpp LABELS fuzz)
if(TARGET graft_cli)
  add_test(NAME cli_hostile COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/security/cli_hostile.sh $<TARGET_FILE:graft_cli> ${PROJECT_SOURCE_DIR} ${_graft_make_checkpoint})
  set_tests_properties(cli_hostile PROPERTIES LABELS "cli;security" TIMEOUT 1200)
  # output safe to print: control bytes escaped, --json UTF-8 JSON, `use` reads *.graft files only
  add_test(NAME cli_output COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/security/cli_output.sh $<TARGET_FILE:graft_cli> ${PROJECT_SOURCE_DIR})
  set_tests_properties(cli_output PROPERTIES LABELS "cli;security")
endif()
include(${CMAKE_CURRENT_SOURCE_DIR}/python/python.cmake)  # python: the Python module (pytest)
