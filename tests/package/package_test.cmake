# Installs the build into a fresh temporary prefix, checks the installed tree, then builds and
# runs the consumer against it the way a user would:
#   MODE=find_package  cmake project with find_package(zmqsec CONFIG REQUIRED)
#   MODE=pkg_config    one compiler command with `pkg-config --cflags --libs zmqsec`
# Fails on anything missing or wrong; removes the temporary folder either way.
#
# Set by tests/package/CMakeLists.txt: MODE BUILD_DIR CONFIG EXPECTED CONSUMER_DIR GENERATOR CXX
# EXTRA_FLAGS PKG_CONFIG.
cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS MODE BUILD_DIR EXPECTED CONSUMER_DIR GENERATOR CXX)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "package_test.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT MODE MATCHES "^(find_package|pkg_config)$")
  message(FATAL_ERROR "package_test.cmake: unknown MODE ${MODE}")
endif()
include("${EXPECTED}")

execute_process(COMMAND mktemp -d -t zmqsec-package-XXXXXXXX
  OUTPUT_VARIABLE tmp OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT IS_DIRECTORY "${tmp}")
  message(FATAL_ERROR "cannot create a temporary folder")
endif()
set(prefix "${tmp}/prefix")
message(STATUS "temporary folder: ${tmp}")

macro(fail)
  file(REMOVE_RECURSE "${tmp}")
  message(FATAL_ERROR ${ARGN})
endmacro()

# run(<what> COMMAND ...): runs a command, fails the test with its output if it fails; leaves
# its standard output in run_output.
function(run what)
  cmake_parse_arguments(ARG "" "WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY "${tmp}")
  endif()
  execute_process(COMMAND ${ARG_COMMAND} WORKING_DIRECTORY "${ARG_WORKING_DIRECTORY}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(JOIN ARG_COMMAND " " command)
    fail("${what} failed (${rc}):\n  ${command}\n--- stdout\n${out}\n--- stderr\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

function(expect_file path)
  if(NOT EXISTS "${path}" OR IS_DIRECTORY "${path}")
    fail("the install lacks ${path}")
  endif()
endfunction()

# 1. Install.
set(config_args "")
if(CONFIG)
  set(config_args --config "${CONFIG}")
endif()
run("cmake --install" COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
  ${config_args})

# 2. The installed tree.
set(libdir "${prefix}/${CMAKE_INSTALL_LIBDIR}")
foreach(library IN LISTS ZMQSEC_EXPECTED_LIBRARIES)
  expect_file("${libdir}/${library}")
endforeach()
foreach(program IN LISTS ZMQSEC_EXPECTED_PROGRAMS)
  expect_file("${prefix}/${CMAKE_INSTALL_BINDIR}/${program}")
  # The tools use CLI11, whose --help succeeds; it proves the installed program starts.
  run("${program} --help" COMMAND "${prefix}/${CMAKE_INSTALL_BINDIR}/${program}" --help)
endforeach()
set(header_count 0)
foreach(dir IN LISTS ZMQSEC_EXPECTED_HEADER_DIRS)
  file(GLOB_RECURSE headers RELATIVE "${dir}" "${dir}/*")
  foreach(header IN LISTS headers)
    set(installed "${prefix}/${CMAKE_INSTALL_INCLUDEDIR}/${header}")
    expect_file("${installed}")
    file(SHA256 "${dir}/${header}" source_hash)
    file(SHA256 "${installed}" installed_hash)
    if(NOT source_hash STREQUAL installed_hash)
      fail("${installed} differs from ${dir}/${header}")
    endif()
    math(EXPR header_count "${header_count} + 1")
  endforeach()
endforeach()
if(header_count EQUAL 0)
  fail("no public headers were expected; the expected-install file is wrong")
endif()
foreach(file IN ITEMS zmqsecConfig.cmake zmqsecConfigVersion.cmake zmqsecTargets.cmake)
  expect_file("${prefix}/${ZMQSEC_INSTALL_CMAKEDIR}/${file}")
endforeach()
set(pcdir "${prefix}/${ZMQSEC_INSTALL_PKGCONFIGDIR}")
expect_file("${pcdir}/zmqsec.pc")

# 3. The consumer.
separate_arguments(extra_flags UNIX_COMMAND "${EXTRA_FLAGS}")
file(MAKE_DIRECTORY "${tmp}/run")

if(MODE STREQUAL "find_package")
  set(build "${tmp}/consumer-build")
  set(configure_args
    -S "${CONSUMER_DIR}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX}"
    "-DCMAKE_BUILD_TYPE=${CONFIG}"
    "-DCMAKE_PREFIX_PATH=${prefix}"
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
    -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF
    "-DCMAKE_CXX_FLAGS=${EXTRA_FLAGS}"
    "-DCMAKE_EXE_LINKER_FLAGS=${EXTRA_FLAGS}"
    "-DZMQSEC_EXPECTED_PREFIX=${prefix}"
    "-DZMQSEC_EXPECTED_VERSION=${PROJECT_VERSION}")
  run("configuring the consumer" COMMAND "${CMAKE_COMMAND}" -B "${build}" ${configure_args})
  run("building the consumer" COMMAND "${CMAKE_COMMAND}" --build "${build}" ${config_args})
  foreach(program IN ITEMS consumer_certs consumer_umbrella)
    file(MAKE_DIRECTORY "${tmp}/run/${program}")
    run("running ${program}" COMMAND "${build}/${program}" "${tmp}/run/${program}")
    if(NOT run_output MATCHES "^zmqsec consumer ok ")
      fail("${program} printed: ${run_output}")
    endif()
  endforeach()

  # A component this install does not have must make find_package fail.
  execute_process(
    COMMAND "${CMAKE_COMMAND}" -B "${tmp}/missing-component" ${configure_args}
      -DZMQSEC_EXTRA_COMPONENT=no_such_module
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0)
    fail("find_package(zmqsec COMPONENTS no_such_module) succeeded")
  endif()
else()
  if(NOT PKG_CONFIG)
    fail("pkg-config was not found when the build was configured")
  endif()
  set(ENV{PKG_CONFIG_PATH} "${pcdir}:$ENV{PKG_CONFIG_PATH}")
  run("pkg-config --validate" COMMAND "${PKG_CONFIG}" --validate zmqsec)
  run("pkg-config --variable=pcfiledir" COMMAND "${PKG_CONFIG}" --variable=pcfiledir zmqsec)
  string(STRIP "${run_output}" found_pcdir)
  file(REAL_PATH "${found_pcdir}" found_pcdir)
  file(REAL_PATH "${pcdir}" expected_pcdir)
  if(NOT found_pcdir STREQUAL expected_pcdir)
    fail("pkg-config found zmqsec in ${found_pcdir}, not in ${expected_pcdir}")
  endif()
  run("pkg-config --modversion" COMMAND "${PKG_CONFIG}" --modversion zmqsec)
  string(STRIP "${run_output}" version)
  if(NOT version STREQUAL PROJECT_VERSION)
    fail("pkg-config reports version ${version}, expected ${PROJECT_VERSION}")
  endif()
  foreach(variable IN ITEMS includedir libdir)
    run("pkg-config --variable=${variable}" COMMAND "${PKG_CONFIG}" --variable=${variable} zmqsec)
    string(STRIP "${run_output}" value)
    file(REAL_PATH "${value}" value)
    if(variable STREQUAL "includedir")
      file(REAL_PATH "${prefix}/${CMAKE_INSTALL_INCLUDEDIR}" expected)
    else()
      file(REAL_PATH "${libdir}" expected)
    endif()
    if(NOT value STREQUAL expected)
      fail("pkg-config's ${variable} is ${value}, expected ${expected}")
    endif()
  endforeach()
  run("pkg-config --cflags --libs" COMMAND "${PKG_CONFIG}" --cflags --libs zmqsec)
  separate_arguments(pc_flags UNIX_COMMAND "${run_output}")
  set(rpath "")
  if(ZMQSEC_PACKAGE_LIBRARY_TYPE STREQUAL "SHARED")
    set(rpath "-Wl,-rpath,${libdir}")
  endif()
  run("compiling the consumer with pkg-config's flags"
    COMMAND "${CXX}" -std=c++20 ${extra_flags} "${CONSUMER_DIR}/main.cpp"
      -o "${tmp}/consumer_pkg_config" ${pc_flags} ${rpath})
  run("running the pkg-config consumer" COMMAND "${tmp}/consumer_pkg_config" "${tmp}/run")
  if(NOT run_output MATCHES "^zmqsec consumer ok ")
    fail("consumer_pkg_config printed: ${run_output}")
  endif()
endif()

file(REMOVE_RECURSE "${tmp}")
message(STATUS "package test (${MODE}) passed")
