# Builds a project outside the tree that uses distill, either after `cmake --install` through
# find_package(distill) or through add_subdirectory, and runs it. Its source is the first C++
# block of README.md, so the README's example is compiled and run by the test suite.
cmake_minimum_required(VERSION 3.21)
foreach(var SOURCE_DIR WORK_DIR MODE GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "command failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

file(READ ${SOURCE_DIR}/README.md readme)
string(FIND "${readme}" "```cpp\n" start)
if(start EQUAL -1)
  message(FATAL_ERROR "README.md has no ```cpp block")
endif()
math(EXPR start "${start} + 7")
string(SUBSTRING "${readme}" ${start} -1 rest)
string(FIND "${rest}" "```" stop)
string(SUBSTRING "${rest}" 0 ${stop} example)
file(WRITE ${WORK_DIR}/readme_example.cpp "${example}")

set(common -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release -DCONSUMER_SOURCE=${WORK_DIR}/readme_example.cpp)
if(MODE STREQUAL "find_package" OR MODE STREQUAL "find_package_cuda")
  # The installed files are the same with the CUDA backend on or off (the package looks for CUDA
  # when a consumer asks for the component), so only the CUDA consumer pays for nvcc's detection.
  set(cuda_off -DDISTILL_ENABLE_CUDA=OFF)
  if(MODE STREQUAL "find_package_cuda")
    set(cuda_off)
  endif()
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/distill-build -G ${GENERATOR}
      -DDISTILL_BUILD_TESTS=OFF -DDISTILL_BUILD_EXAMPLES=OFF -DDISTILL_BUILD_BENCHMARKS=OFF
      ${cuda_off} -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/distill-build)
  foreach(f include/distill/distill.hpp share/cmake/distill/distillConfig.cmake
            share/cmake/distill/distillConfigVersion.cmake)
    if(NOT EXISTS ${WORK_DIR}/prefix/${f})
      message(FATAL_ERROR "install did not produce ${f}")
    endif()
  endforeach()
  set(consumer consumer)
  if(MODE STREQUAL "find_package_cuda")
    # The CUDA component: a .cu program that links distill::cuda (it runs on a GPU if there is one).
    set(consumer consumer_cuda)
    list(APPEND common -DCMAKE_CUDA_ARCHITECTURES=90)
  endif()
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/cmake/${consumer} -B ${WORK_DIR}/build ${common}
      -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/cmake/consumer -B ${WORK_DIR}/build ${common}
      -DDISTILL_SOURCE_DIR=${SOURCE_DIR} -DDISTILL_ENABLE_CUDA=OFF)
else()
  message(FATAL_ERROR "unknown MODE ${MODE}")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run(${WORK_DIR}/build/consumer)
