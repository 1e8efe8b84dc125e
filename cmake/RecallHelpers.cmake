# One short declaration per target, as abseil's absl_cc_library does.
#
#   recall_cc_library(NAME consent SRCS a.cc b.cc DEPS recall_common ...)
#     builds the static library recall_<NAME>.
#   recall_cc_test(NAME consent_test SRCS consent_test.cc DEPS recall_consent)
#     builds a GoogleTest binary and registers its tests with CTest.
#   recall_cc_fuzz(NAME csv_fuzz SRCS csv_fuzz.cc DEPS recall_patients CORPUS dir)
#     builds a libFuzzer target when RECALL_FUZZ is on (clang only).

function(recall_cc_library)
  cmake_parse_arguments(R "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(recall_${R_NAME} STATIC ${R_SRCS})
  target_link_libraries(recall_${R_NAME} PUBLIC ${R_DEPS})
  target_include_directories(recall_${R_NAME} PUBLIC ${CMAKE_SOURCE_DIR}/src)
endfunction()

function(recall_cc_test)
  cmake_parse_arguments(R "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${R_NAME} ${R_SRCS} ${CMAKE_SOURCE_DIR}/cmake/testing_env.cc)
  target_link_libraries(${R_NAME} PRIVATE ${R_DEPS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${R_NAME} PRIVATE
    RECALL_SOURCE_DIR_DEFAULT="${CMAKE_SOURCE_DIR}"
    RECALL_BINARY_DEFAULT="${CMAKE_BINARY_DIR}/recall")
  # End-to-end tests run the binary: build it first.
  add_dependencies(${R_NAME} recall)
  gtest_discover_tests(${R_NAME} DISCOVERY_TIMEOUT 60)
endfunction()

function(recall_cc_fuzz)
  cmake_parse_arguments(R "" "NAME;CORPUS" "SRCS;DEPS" ${ARGN})
  if(RECALL_FUZZ)
    add_executable(${R_NAME} ${R_SRCS})
    target_compile_options(${R_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(${R_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_libraries(${R_NAME} PRIVATE ${R_DEPS})
  endif()
endfunction()

#   recall_cc_benchmark(NAME scanner_benchmark SRCS scanner_benchmark.cc DEPS recall_scanner)
#     builds a Google Benchmark binary; `make bench` runs every one of them
#     (they are listed in the bench_binaries target). Never registered with CTest.
function(recall_cc_benchmark)
  cmake_parse_arguments(R "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${R_NAME} ${R_SRCS})
  target_link_libraries(${R_NAME} PRIVATE ${R_DEPS} benchmark::benchmark_main)
  set_property(GLOBAL APPEND PROPERTY RECALL_BENCHMARKS ${R_NAME})
endfunction()
