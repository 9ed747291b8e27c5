# CPack: a Debian package of zmqsec (`cpack -G DEB` in a build folder).
#
#   cmake -S . -B build/deb -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
#     -DCMAKE_INSTALL_PREFIX=/usr -DZMQSEC_BUILD_TESTS=OFF -DZMQSEC_BUILD_BENCH=OFF \
#     -DZMQSEC_BUILD_EXAMPLES=OFF
#   cmake --build build/deb -j 2
#   (cd build/deb && cpack -G DEB)       # build/deb/zmqsec_<version>-1_<arch>.deb
#
# One package, `zmqsec`, holds what `cmake --install` installs: the shared libraries of every
# module, the command line tools, the headers, the CMake package and zmqsec.pc. (A split into
# libzmqsec0 / libzmqsec-dev / zmqsec-tools needs a COMPONENT on every install rule, in
# cmake/zmqsec_helpers.cmake and cli/; until then one package it is.)
#
# Its Depends are derived, not written by hand:
#   - the runtime libraries (libzmq5, libsodium23, libssh2-1, libspdlog1.10, libstdc++6, ...)
#     by dpkg-shlibdeps from the ELF files in the package (CPACK_DEBIAN_PACKAGE_SHLIBDEPS);
#   - the -dev packages a consumer needs for find_package(zmqsec) and `pkg-config zmqsec`
#     (libzmq3-dev, cppzmq-dev, libspdlog-dev, libsodium-dev, ...) from the generated
#     zmqsecConfig.cmake and zmqsec.pc: each dependency found there is traced to the file that
#     provides it on this machine and `dpkg-query -S` names the Debian package owning that file.
#
# Included at the end of the top CMakeLists.txt, after cmake/zmqsec_package.cmake (which writes
# those two files). Only for a top-level build: a project that adds zmqsec as a subdirectory
# keeps its own CPack configuration.

if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()

set(ZMQSEC_PACKAGE_MAINTAINER "zmqsec maintainers <maintainers@users.noreply.h-seed-c269bc41.example>"
  CACHE STRING "Maintainer field of the Debian package (Name <email>)")

# The Debian package owning an installed file, or "" when there is none (or no dpkg).
function(_zmqsec_deb_owner path out)
  set(${out} "" PARENT_SCOPE)
  if(NOT ZMQSEC_DPKG_QUERY OR NOT EXISTS "${path}")
    return()
  endif()
  # dpkg records the path a package shipped; with a merged /usr the file may have been found
  # through /lib or a symlink, so try the path as given, then its real path, then under /usr.
  file(REAL_PATH "${path}" real)
  set(candidates "${path}" "${real}")
  foreach(candidate IN ITEMS "${path}" "${real}")
    if(candidate MATCHES "^/(lib|lib64|bin|sbin)/")
      list(APPEND candidates "/usr${candidate}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES candidates)
  foreach(candidate IN LISTS candidates)
    execute_process(COMMAND "${ZMQSEC_DPKG_QUERY}" -S "${candidate}"
      RESULT_VARIABLE rc OUTPUT_VARIABLE owners ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    # "libsodium-dev:amd64: /usr/lib/x86_64-linux-gnu/pkgconfig/libsodium.pc"
    if(rc EQUAL 0 AND owners MATCHES "^([a-z0-9][a-z0-9.+-]*)(:[a-z0-9-]+)?(, [^:]+)*: ")
      set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
      return()
    endif()
  endforeach()
endfunction()

# The -dev packages an installed zmqsec's consumers need, from the generated package files.
function(_zmqsec_deb_dev_depends out)
  set(packages "")
  set(unknown "")

  # pkg-config modules: zmqsec.pc's Requires and Requires.private (Debian's pkgconf resolves
  # both for --cflags), and the pkg_check_modules calls in zmqsecConfig.cmake.
  set(modules "")
  file(STRINGS "${PROJECT_BINARY_DIR}/package/zmqsec.pc" pc_lines REGEX "^Requires(\\.private)?:")
  foreach(line IN LISTS pc_lines)
    string(REGEX REPLACE "^Requires(\\.private)?:" "" line "${line}")
    string(REGEX REPLACE "[<>=!]+ *[^ ,]+" "" line "${line}")  # version constraints
    string(REPLACE "," ";" line "${line}")
    foreach(module IN LISTS line)
      string(STRIP "${module}" module)
      if(module)
        list(APPEND modules "${module}")
      endif()
    endforeach()
  endforeach()
  file(READ "${PROJECT_BINARY_DIR}/package/zmqsecConfig.cmake" config)
  string(REGEX MATCHALL "pkg_check_modules\\([A-Za-z0-9_]+ QUIET IMPORTED_TARGET [^ )]+" checks
    "${config}")
  foreach(check IN LISTS checks)
    string(REGEX REPLACE "^.* " "" module "${check}")
    list(APPEND modules "${module}")
  endforeach()
  list(REMOVE_DUPLICATES modules)
  if(modules)
    # pkg-config itself: zmq.pc and the config's pkg_check_modules calls need it.
    _zmqsec_deb_owner("${PKG_CONFIG_EXECUTABLE}" owner)
    list(APPEND packages ${owner})
  endif()
  foreach(module IN LISTS modules)
    execute_process(COMMAND "${PKG_CONFIG_EXECUTABLE}" --variable=pcfiledir "${module}"
      OUTPUT_VARIABLE pcfiledir ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
    set(owner "")
    if(pcfiledir)
      _zmqsec_deb_owner("${pcfiledir}/${module}.pc" owner)
    endif()
    if(owner)
      list(APPEND packages "${owner}")
    else()
      list(APPEND unknown "pkg-config module ${module}")
    endif()
  endforeach()

  # CMake packages: the find_dependency calls in zmqsecConfig.cmake, traced to the config file
  # this configuration found (<Name>_DIR).
  string(REGEX MATCHALL "find_dependency\\([A-Za-z0-9_]+" finds "${config}")
  foreach(find IN LISTS finds)
    string(REGEX REPLACE "^find_dependency\\(" "" name "${find}")
    if(name MATCHES "^(Threads|PkgConfig)$")
      continue()  # the C library; pkg-config is covered above
    endif()
    string(TOLOWER "${name}" lower)
    set(owner "")
    foreach(candidate IN ITEMS "${${name}_DIR}/${name}Config.cmake"
        "${${name}_DIR}/${lower}-config.cmake")
      if(NOT owner AND DEFINED ${name}_DIR)
        _zmqsec_deb_owner("${candidate}" owner)
      endif()
    endforeach()
    if(owner)
      list(APPEND packages "${owner}")
    else()
      list(APPEND unknown "CMake package ${name}")
    endif()
  endforeach()

  if(unknown AND ZMQSEC_DPKG_QUERY)
    list(JOIN unknown ", " unknown)
    message(WARNING "zmqsec_cpack: no Debian package provides ${unknown} on this machine; the "
      "Debian package will not depend on it")
  endif()
  list(REMOVE_DUPLICATES packages)
  list(SORT packages)
  set(${out} "${packages}" PARENT_SCOPE)
endfunction()

find_program(ZMQSEC_DPKG_QUERY dpkg-query)
mark_as_advanced(ZMQSEC_DPKG_QUERY)
if(ZMQSEC_DPKG_QUERY)
  _zmqsec_deb_dev_depends(_zmqsec_dev_depends)
else()
  set(_zmqsec_dev_depends "")
endif()

# Common to every generator.
set(CPACK_PACKAGE_NAME "zmqsec")
set(CPACK_PACKAGE_VENDOR "zmqsec")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${ZMQSEC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION} (C++20)")
set(CPACK_PACKAGE_DESCRIPTION [=[
zmqsec gives C++20 programs that use ZeroMQ what pyzmq and CZMQ give theirs: CURVE
certificates, a ZAP authenticator (a thread or an event loop), log records streamed over
ZeroMQ, socket monitors, SSH tunnels and an epoll reactor for sockets.
This package holds the libraries of every module, the headers, the CMake package
(find_package(zmqsec)) and the pkg-config file (zmqsec.pc).]=])
if(ZMQSEC_BUILD_CLI)
  _zmqsec_executables("${PROJECT_SOURCE_DIR}/cli" _zmqsec_tools)  # cmake/zmqsec_package.cmake
  list(SORT _zmqsec_tools)
  list(JOIN _zmqsec_tools ", " _zmqsec_tools)
  string(APPEND CPACK_PACKAGE_DESCRIPTION "\nCommand line tools: ${_zmqsec_tools}.")
  unset(_zmqsec_tools)
endif()
if(NOT DEFINED CPACK_STRIP_FILES)
  set(CPACK_STRIP_FILES ON)
endif()
if(ZMQSEC_DPKG_QUERY)
  set(CPACK_GENERATOR "DEB")
else()
  set(CPACK_GENERATOR "TGZ")
endif()
set(CPACK_SOURCE_GENERATOR "TGZ")
set(CPACK_SOURCE_IGNORE_FILES "/\\\\.git/" "/build/" "/\\\\.cache/")

# DEB.
set(CPACK_DEBIAN_PACKAGE_NAME "zmqsec")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # zmqsec_<version>-<release>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${ZMQSEC_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps (dpkg-dev) writes the runtime Depends
# DEBIAN/shlibs for the zmqsec libraries, so packages built against them depend on this one;
# the DEB generator also adds the ldconfig calls for libraries under /usr/lib.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
list(JOIN _zmqsec_dev_depends ", " CPACK_DEBIAN_PACKAGE_DEPENDS)  # shlibdeps' list is added
unset(_zmqsec_dev_depends)

include(CPack)
