# packaging_without_torch: graft configures, builds, runs and installs without LibTorch.
#   cmake -DSOURCE_DIR=<graft source> -DWORK_DIR=<folder> -DGENERATOR=<generator> -DCXX=<compiler>
#         [-DLAUNCHER=ccache] [-DBUILD_TYPE=...] [-DWERROR=ON] [-DPREFIX_PATH=...]
#         [-DBUILD_EXAMPLES=ON] [-DBUILD_BENCHMARKS=ON] -P run.cmake
# In WORK_DIR (kept between runs, so a rerun only rebuilds what changed; the compiler launcher caches
# the rest):
#  1. GRAFT_WITH_TORCH=ON with LibTorch hidden (CMAKE_DISABLE_FIND_PACKAGE_Torch): configuring fails and says why;
#  2. the default (AUTO) with LibTorch hidden: configures with tests, examples and benchmarks; none of
#     the LibTorch targets exists (graft_cli_torch, graft_demo, test_torch, ...), the torch-free ones do;
#  3. builds graft_cli and graft_make_checkpoint only; `graft --version`, `graft plan` on a shipped rules
#     file and manifests, `graft apply` on two made checkpoints, and `apply --device cuda` (exit 2:
#     graft-torch is not installed);
#  4. installs (install_tree.cmake with WITH_TORCH=OFF: no graft-torch, no graftTorchTargets.cmake), the
#     installed CLI finds its shipped rules, a consumer builds with find_package(graft COMPONENTS core)
#     while LibTorch is hidden; find_package(graft) and COMPONENTS torch fail naming the reason, an
#     unknown component fails, OPTIONAL_COMPONENTS torch succeeds without graft::graft.
cmake_minimum_required(VERSION 3.16)  # script mode: the policies of IN_LIST and friends
foreach(v SOURCE_DIR WORK_DIR GENERATOR CXX)
  if(NOT ${v})
    message(FATAL_ERROR "without_torch/run.cmake: ${v} not set")
  endif()
endforeach()
set(build ${WORK_DIR}/build)
set(prefix ${WORK_DIR}/install)
set(common -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
           -DCMAKE_DISABLE_FIND_PACKAGE_Torch=ON)
if(LAUNCHER)
  list(APPEND common -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
endif()
if(PREFIX_PATH)
  list(APPEND common "-DCMAKE_PREFIX_PATH=${PREFIX_PATH}")
endif()

# run(NAME EXPECTED_EXIT COMMAND...): runs it, output in `out`; fails unless it exits EXPECTED_EXIT.
macro(run name want)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc STREQUAL "${want}")
    message(FATAL_ERROR "${name}: exit ${rc}, expected ${want}:\n${out}")
  endif()
  message(STATUS "ok: ${name}")
endmacro()
# expect(NAME TEXT): the last run's output contains TEXT
macro(expect name text)
  string(FIND "${out}" "${text}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${name}: the output lacks '${text}':\n${out}")
  endif()
endmacro()

# 1. GRAFT_WITH_TORCH=ON without LibTorch: an error, not a build without it.
file(REMOVE_RECURSE ${WORK_DIR}/torch_on)
run("configure -DGRAFT_WITH_TORCH=ON without LibTorch" 1
    ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/torch_on ${common} -DGRAFT_WITH_TORCH=ON
    -DGRAFT_BUILD_TESTS=OFF -DGRAFT_BUILD_TOOLS=OFF -DGRAFT_BUILD_EXAMPLES=OFF -DGRAFT_BUILD_BENCHMARKS=OFF)
expect("GRAFT_WITH_TORCH=ON" "GRAFT_WITH_TORCH=ON but LibTorch was not found")

# 2. The default, AUTO: everything configures without LibTorch.
set(parts -DGRAFT_BUILD_TESTS=ON -DGRAFT_BUILD_TOOLS=ON -DGRAFT_INSTALL=ON -DGRAFT_BUILD_PYTHON=OFF  # (the module: tests/python)
          -DGRAFT_BUILD_EXAMPLES=${BUILD_EXAMPLES} -DGRAFT_BUILD_BENCHMARKS=${BUILD_BENCHMARKS})
if(BUILD_TYPE)
  list(APPEND parts -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
endif()
if(WERROR)
  list(APPEND parts -DGRAFT_WERROR=${WERROR})
endif()
run("configure without LibTorch" 0 ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${build} ${common} ${parts})
expect("configure without LibTorch" "graft: without LibTorch")
run("list the targets" 0 ${CMAKE_COMMAND} --build ${build} --target help)
string(REGEX MATCHALL "(^|\n)[A-Za-z0-9_]+:" listed "${out}")
string(REGEX REPLACE "(^|\n)([A-Za-z0-9_]+):" "\\2" listed "${listed}")
foreach(t graft_cli graft_make_checkpoint test_plan test_io graft_header_check graft_odr_test)
  if(NOT t IN_LIST listed)
    message(FATAL_ERROR "built without LibTorch, graft has no target ${t}")
  endif()
endforeach()
foreach(t graft_cli_torch graft_demo test_torch bench_apply example_coco_to_crowdpose example_classifier_labels
          graft_header_check_torch)
  if(t IN_LIST listed)
    message(FATAL_ERROR "built without LibTorch, graft still defines the LibTorch target ${t}")
  endif()
endforeach()
message(STATUS "ok: no LibTorch target, the torch-free ones are there")

# 3. The CLI without LibTorch.
run("build graft_cli graft_make_checkpoint" 0
    ${CMAKE_COMMAND} --build ${build} --target graft_cli graft_make_checkpoint)
if(EXISTS ${build}/bin/graft-torch)
  message(FATAL_ERROR "building graft_cli built graft-torch")
endif()
set(graft ${build}/bin/graft)
set(rules ${SOURCE_DIR}/rules)
set(manifests ${SOURCE_DIR}/tests/data/manifests)
set(tmp ${WORK_DIR}/files)
file(REMOVE_RECURSE ${tmp})
file(MAKE_DIRECTORY ${tmp})
run("graft --version" 0 ${graft} --version)
expect("graft --version" "graft ")
run("graft plan" 0 ${graft} plan ${rules}/pose/higherhrnet_coco_to_crowdpose.graft
    --from ${manifests}/higherhrnet_w32_512_coco.tsv --onto ${manifests}/higherhrnet_w32_512_crowdpose.tsv)
expect("graft plan" "plan ok (0 errors, 0 warnings)")
run("make the source" 0 ${build}/bin/graft_make_checkpoint make ${manifests}/dekr_rescore_coco.tsv ${tmp}/coco.pth 1)
run("make the destination" 0
    ${build}/bin/graft_make_checkpoint make ${manifests}/dekr_rescore_crowdpose.tsv ${tmp}/crowd.pth 2)
file(WRITE ${tmp}/rescore.graft "exclude \"l1.weight\"\nkeep \"l1.weight\"\n")
run("graft apply" 0 ${graft} apply ${tmp}/rescore.graft --from ${tmp}/coco.pth --onto ${tmp}/crowd.pth
    --out ${tmp}/out.safetensors)
expect("graft apply" "wrote ${tmp}/out.safetensors: 6 tensors")
run("graft inspect" 0 ${graft} inspect ${tmp}/out.safetensors)
expect("graft inspect" "l1.weight  [256, 59]   float32")  # name, shape and dtype in aligned columns
run("graft apply --device cuda" 2 ${graft} apply ${tmp}/rescore.graft --from ${tmp}/coco.pth
    --onto ${tmp}/crowd.pth --out ${tmp}/cuda.pth --device cuda)
expect("graft apply --device cuda" "graft-torch (the graft CLI built with LibTorch) is not installed")
if(EXISTS ${tmp}/cuda.pth)
  message(FATAL_ERROR "graft apply --device cuda without graft-torch wrote its output")
endif()

# 4. Install, the installed CLI, and the CMake package's components.
run("install" 0 ${CMAKE_COMMAND} -DBUILD_DIR=${build} -DPREFIX=${prefix} -DWITH_CLI=1 -DWITH_TORCH=OFF
    -DBINDIR=bin -DINCLUDEDIR=include -DDATADIR=share -P ${CMAKE_CURRENT_LIST_DIR}/../install_tree.cmake)
file(WRITE ${tmp}/uses_shipped_rules.graft "use \"joints/coco.graft\"\n")
run("installed graft check" 0 ${CMAKE_COMMAND} -E env --unset=GRAFT_RULES_PATH
    ${prefix}/bin/graft check ${tmp}/uses_shipped_rules.graft)
run("find_package(graft COMPONENTS core)" 0
    ${CMAKE_CTEST_COMMAND} --build-and-test ${CMAKE_CURRENT_LIST_DIR}/../find_package ${WORK_DIR}/consumer
    --build-generator ${GENERATOR} --build-noclean
    --build-options ${common} -DCMAKE_PREFIX_PATH=${prefix} -DGRAFT_EXPECTED_PREFIX=${prefix} -DGRAFT_COMPONENTS=core
    --test-command ${CMAKE_CTEST_COMMAND} --output-on-failure)
# find(NAME EXPECTED_EXIT FIND_PACKAGE_ARGUMENTS [CHECK]): configures a project that only calls
# find_package(graft FIND_PACKAGE_ARGUMENTS) and then CHECK (CMake code).
macro(find name want args)
  set(dir ${WORK_DIR}/components/${name})
  file(REMOVE_RECURSE ${dir})
  file(WRITE ${dir}/CMakeLists.txt "cmake_minimum_required(VERSION 3.16)\nproject(components LANGUAGES NONE)\n"
                                   "find_package(graft 0.1 ${args})\n${ARGN}\n")
  run("find_package(graft ${args})" ${want} ${CMAKE_COMMAND} -S ${dir} -B ${dir}/build -G ${GENERATOR}
      -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON)
endmacro()
find(default 1 "REQUIRED")
expect("find_package(graft) wants component torch" "this graft was built without LibTorch")
find(torch 1 "REQUIRED COMPONENTS torch")
expect("find_package(graft COMPONENTS torch)" "this graft was built without LibTorch")
find(unknown 1 "REQUIRED COMPONENTS core tensorflow")
expect("find_package(graft COMPONENTS tensorflow)" "tensorflow: no such component")
find(optional 0 "REQUIRED COMPONENTS core OPTIONAL_COMPONENTS torch"
     "if(NOT TARGET graft::core OR TARGET graft::graft OR graft_torch_FOUND OR NOT graft_core_FOUND)
  message(FATAL_ERROR \"OPTIONAL_COMPONENTS torch: wrong targets\")
endif()")
expect("find_package(graft OPTIONAL_COMPONENTS torch)" "graft: optional component torch: this graft was built")
message(STATUS "graft without LibTorch: ok")
