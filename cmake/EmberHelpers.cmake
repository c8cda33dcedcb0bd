# Helper functions that give every Ember module the same shape: one library target per
# module, one test executable per module (all its *_test.cc files), benchmarks apart.

# ember_cc_library(NAME name SRCS a.cc ... DEPS target ...)
function(ember_cc_library)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(${ARG_NAME} STATIC ${ARG_SRCS})
  target_include_directories(${ARG_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${ARG_NAME} PUBLIC ${ARG_DEPS})
  set_target_properties(${ARG_NAME} PROPERTIES POSITION_INDEPENDENT_CODE ON)
endfunction()

# ember_cc_test(NAME name SRCS a_test.cc ... DEPS target ... [SERIAL]): one GoogleTest
# executable, registered with CTest test by test so failures are reported by name. SERIAL:
# its tests run with no other test beside them (they measure latency).
function(ember_cc_test)
  if(NOT EMBER_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "SERIAL" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set(serial FALSE)
  if(ARG_SERIAL)
    set(serial TRUE)
  endif()
  gtest_discover_tests(${ARG_NAME} DISCOVERY_TIMEOUT 60
                       PROPERTIES ENVIRONMENT "EMBER_TEST_DATA=${PROJECT_SOURCE_DIR}/testdata"
                                  RUN_SERIAL ${serial})
endfunction()

# ember_cc_binary(NAME name SRCS main.cc ... DEPS target ...)
function(ember_cc_binary)
  cmake_parse_arguments(ARG "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SRCS})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS})
endfunction()

# ember_link_allocator(target): links tcmalloc into a program when it was found (see the
# top-level CMakeLists.txt); --no-as-needed so that it replaces malloc although nothing
# calls it by name.
function(ember_link_allocator target)
  if(EMBER_TCMALLOC)
    target_link_libraries(${target} PRIVATE "-Wl,--push-state,--no-as-needed" ${EMBER_TCMALLOC} "-Wl,--pop-state")
  endif()
endfunction()
