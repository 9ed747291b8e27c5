# Compiler settings shared by every zmqsec target.
add_library(zmqsec_warnings INTERFACE)
target_compile_options(zmqsec_warnings INTERFACE -Wall -Wextra -Wpedantic)
if(ZMQSEC_WERROR)
  target_compile_options(zmqsec_warnings INTERFACE -Werror)
endif()

if(ZMQSEC_BUILD_FUZZ)
  # Coverage instrumentation for everything; the fuzz targets add the libFuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(ZMQSEC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  # GCC 12 reports libstdc++'s own std::regex internals as maybe-uninitialized once ASan's
  # instrumentation meets -O2 (a false positive the GCC manual warns sanitizers can cause); the
  # plain build keeps the warning, as an error.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=address,undefined)
endif()

# zmqsec_module(NAME SOURCES... [DEPS targets...]): one library per module, exported as zmqsec::NAME,
# with its public headers under NAME/include/zmqsec/.
function(zmqsec_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(zmqsec_${name} ${ARG_SOURCES})
  add_library(zmqsec::${name} ALIAS zmqsec_${name})
  set_target_properties(zmqsec_${name} PROPERTIES
    EXPORT_NAME ${name}
    OUTPUT_NAME zmqsec_${name}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
  target_include_directories(zmqsec_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(zmqsec_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS}
    $<BUILD_INTERFACE:zmqsec_warnings>)
  target_compile_features(zmqsec_${name} PUBLIC cxx_std_20)
  install(TARGETS zmqsec_${name} EXPORT zmqsecTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()
