# Install rules for what a user of an installed zmqsec needs beyond headers and libraries:
#   <libdir>/cmake/zmqsec/   zmqsecConfig.cmake, zmqsecConfigVersion.cmake, zmqsecTargets*.cmake
#   <libdir>/pkgconfig/      zmqsec.pc
#
# Included at the end of the top CMakeLists.txt, when every module has been defined. The
# dependencies a consumer must find are not written by hand: they are read from the link
# interfaces of the targets in the export set, so a module added later (or a static build, whose
# private dependencies become part of the link interface) is covered without editing this file.
# A dependency this file does not know how to find stops the configuration with a message saying
# where to teach it.

include(CMakePackageConfigHelpers)

set(ZMQSEC_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/zmqsec"
  CACHE STRING "Where zmqsecConfig.cmake is installed (relative to the prefix)")
set(ZMQSEC_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig"
  CACHE STRING "Where zmqsec.pc is installed (relative to the prefix)")

# Every library target of this project that carries an EXPORT_NAME: the export set's members.
function(_zmqsec_exported_targets dir out)
  set(found)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    get_target_property(export_name ${target} EXPORT_NAME)
    if(type MATCHES "LIBRARY$" AND export_name)
      list(APPEND found ${target})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    _zmqsec_exported_targets("${subdir}" sub_found)
    list(APPEND found ${sub_found})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

# The link interface of a target as the installed package sees it: build-only entries dropped,
# $<LINK_ONLY:x> and $<INSTALL_INTERFACE:x> unwrapped.
function(_zmqsec_installed_link_interface target out)
  get_target_property(items ${target} INTERFACE_LINK_LIBRARIES)
  if(NOT items)
    set(${out} "" PARENT_SCOPE)
    return()
  endif()
  set(result)
  foreach(item IN LISTS items)
    string(REGEX REPLACE "\\$<BUILD_INTERFACE:[^<>]*>" "" item "${item}")
    string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" item "${item}")
    string(REGEX REPLACE "^\\$<INSTALL_INTERFACE:(.*)>$" "\\1" item "${item}")
    if(item STREQUAL "")
      continue()
    endif()
    if(item MATCHES "\\$<")
      message(FATAL_ERROR "zmqsec_package: ${target} links '${item}', a generator expression "
        "cmake/zmqsec_package.cmake cannot turn into a package dependency")
    endif()
    list(APPEND result "${item}")
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# How a consumer finds an imported target we link: CMake code for zmqsecConfig.cmake and the
# pkg-config module that provides it (empty when it needs none). Extend here for new dependencies.
function(_zmqsec_dependency_recipe target out_cmake out_pc)
  if(target MATCHES "^PkgConfig::(.+)$")
    set(prefix "${CMAKE_MATCH_1}")
    set(module "${prefix}")
    if(DEFINED ${prefix}_MODULE_NAME AND NOT "${${prefix}_MODULE_NAME}" STREQUAL "")
      set(module "${${prefix}_MODULE_NAME}")
    endif()
    set(code [=[
if(NOT TARGET PkgConfig::@prefix@)
  find_dependency(PkgConfig)
  pkg_check_modules(@prefix@ QUIET IMPORTED_TARGET @module@)
  if(NOT @prefix@_FOUND)
    set(zmqsec_FOUND FALSE)
    set(zmqsec_NOT_FOUND_MESSAGE "zmqsec needs @module@, which pkg-config cannot find")
    return()
  endif()
endif()
]=])
    string(CONFIGURE "${code}" code @ONLY)
    set(${out_cmake} "${code}" PARENT_SCOPE)
    set(${out_pc} "${module}" PARENT_SCOPE)
  elseif(target STREQUAL "Threads::Threads")
    set(${out_cmake} "find_dependency(Threads)\n" PARENT_SCOPE)
    set(${out_pc} "" PARENT_SCOPE)
  elseif(target MATCHES "^(cppzmq|cppzmq-static|libzmq|libzmq-static)$")
    # cppzmq's package config creates the libzmq targets too (through pkg-config on Debian).
    set(${out_cmake}
      "find_dependency(cppzmq ${cppzmq_VERSION_MAJOR}.${cppzmq_VERSION_MINOR} CONFIG)\n"
      PARENT_SCOPE)
    set(${out_pc} "libzmq" PARENT_SCOPE)
  elseif(target MATCHES "^prometheus-cpp::(core|pull|push)$")
    set(${out_cmake} "find_dependency(prometheus-cpp CONFIG)\n"
      PARENT_SCOPE)
    set(${out_pc} "prometheus-cpp-${CMAKE_MATCH_1}" PARENT_SCOPE)
  elseif(target MATCHES "^(spdlog|fmt)::")
    set(${out_cmake} "find_dependency(${CMAKE_MATCH_1} CONFIG)\n" PARENT_SCOPE)
    set(${out_pc} "${CMAKE_MATCH_1}" PARENT_SCOPE)
  else()
    message(FATAL_ERROR "zmqsec_package: an exported target links ${target}; teach "
      "_zmqsec_dependency_recipe in cmake/zmqsec_package.cmake how a consumer finds it")
  endif()
endfunction()

_zmqsec_exported_targets("${PROJECT_SOURCE_DIR}" _zmqsec_exported)

set(_zmqsec_config_dependencies "")
set(_zmqsec_pc_modules "")  # pkg-config modules our libraries need
set(_zmqsec_pc_public_modules "")  # ... of which the public interface needs (shared builds)
set(_zmqsec_link_edges "")  # "a>b": library a links library b (for the order in Libs)
set(_zmqsec_pc_extra_libs "")  # plain libraries and flags in the link interfaces
foreach(_target IN LISTS _zmqsec_exported)
  _zmqsec_installed_link_interface(${_target} _items)
  get_target_property(_private_items ${_target} LINK_LIBRARIES)
  foreach(_item IN LISTS _items)
    if(NOT TARGET "${_item}")
      # A system library by name (m, dl) or a linker flag travels as is.
      if(_item MATCHES "^-")
        list(APPEND _zmqsec_pc_extra_libs "${_item}")
      elseif(_item MATCHES "^[A-Za-z0-9_.+-]+$")
        list(APPEND _zmqsec_pc_extra_libs "-l${_item}")
      else()
        message(FATAL_ERROR "zmqsec_package: ${_target} links '${_item}', which is not a "
          "target; link dependencies through imported targets so the package can find them")
      endif()
      continue()
    endif()
    get_target_property(_aliased "${_item}" ALIASED_TARGET)
    if(_aliased)
      set(_item "${_aliased}")
    endif()
    get_target_property(_imported "${_item}" IMPORTED)
    if(NOT _imported)
      list(APPEND _zmqsec_link_edges "${_target}>${_item}")
      continue()
    endif()
    _zmqsec_dependency_recipe("${_item}" _code _pc)
    string(FIND "${_zmqsec_config_dependencies}" "${_code}" _seen)
    if(_seen EQUAL -1)
      string(APPEND _zmqsec_config_dependencies "${_code}")
    endif()
    if(_pc)
      list(APPEND _zmqsec_pc_modules "${_pc}")
      # In a shared build only PUBLIC dependencies reach INTERFACE_LINK_LIBRARIES unwrapped;
      # in a static build every dependency does, and a static library needs them all anyway.
      list(APPEND _zmqsec_pc_public_modules "${_pc}")
    endif()
  endforeach()
  # Private dependencies of shared libraries: not in the CMake package, but in Requires.private.
  if(_private_items)
    foreach(_item IN LISTS _private_items)
      string(REGEX REPLACE "\\$<BUILD_INTERFACE:[^<>]*>" "" _item "${_item}")
      if(_item STREQUAL "" OR NOT TARGET "${_item}")
        continue()
      endif()
      get_target_property(_aliased "${_item}" ALIASED_TARGET)
      if(_aliased)
        set(_item "${_aliased}")
      endif()
      get_target_property(_imported "${_item}" IMPORTED)
      if(_imported)
        _zmqsec_dependency_recipe("${_item}" _code _pc)
        if(_pc)
          list(APPEND _zmqsec_pc_modules "${_pc}")
        endif()
      else()
        list(APPEND _zmqsec_link_edges "${_target}>${_item}")
      endif()
    endforeach()
  endif()
endforeach()
list(REMOVE_DUPLICATES _zmqsec_pc_modules)
list(REMOVE_DUPLICATES _zmqsec_pc_public_modules)
list(REMOVE_DUPLICATES _zmqsec_link_edges)
list(REMOVE_DUPLICATES _zmqsec_pc_extra_libs)

# The CMake package.
install(EXPORT zmqsecTargets
  NAMESPACE zmqsec::
  FILE zmqsecTargets.cmake
  DESTINATION "${ZMQSEC_INSTALL_CMAKEDIR}")

if(BUILD_SHARED_LIBS)
  set(ZMQSEC_PACKAGE_LIBRARY_TYPE SHARED)
else()
  set(ZMQSEC_PACKAGE_LIBRARY_TYPE STATIC)
endif()
set(ZMQSEC_PACKAGE_DEPENDENCIES "${_zmqsec_config_dependencies}")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/zmqsecConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/package/zmqsecConfig.cmake"
  INSTALL_DESTINATION "${ZMQSEC_INSTALL_CMAKEDIR}")
# 0.x releases may change the API with every minor version.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/package/zmqsecConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES
  "${PROJECT_BINARY_DIR}/package/zmqsecConfig.cmake"
  "${PROJECT_BINARY_DIR}/package/zmqsecConfigVersion.cmake"
  DESTINATION "${ZMQSEC_INSTALL_CMAKEDIR}")

# The pkg-config file. Libraries are listed dependents first so a static link resolves.
set(_zmqsec_pc_libs "")
set(_zmqsec_pc_visited "")
function(_zmqsec_pc_visit target)
  if(target IN_LIST _zmqsec_pc_visited)
    return()
  endif()
  list(APPEND _zmqsec_pc_visited ${target})
  set(_zmqsec_pc_visited ${_zmqsec_pc_visited} PARENT_SCOPE)
  foreach(edge IN LISTS _zmqsec_link_edges)
    if(edge MATCHES "^${target}>(.+)$")
      _zmqsec_pc_visit(${CMAKE_MATCH_1})
    endif()
  endforeach()
  get_target_property(type ${target} TYPE)
  get_target_property(output_name ${target} OUTPUT_NAME)
  if(NOT output_name)
    set(output_name ${target})
  endif()
  if(NOT type STREQUAL "INTERFACE_LIBRARY")
    list(PREPEND _zmqsec_pc_libs "-l${output_name}")
  endif()
  set(_zmqsec_pc_visited ${_zmqsec_pc_visited} PARENT_SCOPE)
  set(_zmqsec_pc_libs ${_zmqsec_pc_libs} PARENT_SCOPE)
endfunction()
foreach(_target IN LISTS _zmqsec_exported)
  _zmqsec_pc_visit(${_target})
endforeach()

# A static-only install cannot be linked without its dependencies, so there they are plain
# Requires (and `pkg-config --libs zmqsec` works without --static); a shared install lists what
# its headers expose as Requires and the rest as Requires.private.
set(_zmqsec_pc_private "${_zmqsec_pc_modules}")
list(REMOVE_ITEM _zmqsec_pc_private ${_zmqsec_pc_public_modules})
list(JOIN _zmqsec_pc_public_modules ", " ZMQSEC_PC_REQUIRES)
list(JOIN _zmqsec_pc_private ", " ZMQSEC_PC_REQUIRES_PRIVATE)
list(APPEND _zmqsec_pc_libs ${_zmqsec_pc_extra_libs})
if(BUILD_SHARED_LIBS)
  set(ZMQSEC_PC_LIBS_PRIVATE "${CMAKE_THREAD_LIBS_INIT}")
else()
  list(APPEND _zmqsec_pc_libs ${CMAKE_THREAD_LIBS_INIT})
  set(ZMQSEC_PC_LIBS_PRIVATE "")
endif()
list(JOIN _zmqsec_pc_libs " " ZMQSEC_PC_LIBS)

# Paths relative to the .pc file's own folder (${pcfiledir}), so the installed tree works at
# whatever prefix `cmake --install --prefix` or DESTDIR puts it.
foreach(_dir IN ITEMS ZMQSEC_INSTALL_PKGCONFIGDIR CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
  if(IS_ABSOLUTE "${${_dir}}")
    message(FATAL_ERROR "zmqsec_package: ${_dir} must be relative to the prefix for zmqsec.pc")
  endif()
endforeach()
file(RELATIVE_PATH ZMQSEC_PC_PREFIX_FROM_PCFILEDIR "/prefix/${ZMQSEC_INSTALL_PKGCONFIGDIR}" "/prefix")
string(REGEX REPLACE "/$" "" ZMQSEC_PC_PREFIX_FROM_PCFILEDIR "${ZMQSEC_PC_PREFIX_FROM_PCFILEDIR}")
# Fields left empty are left out.
set(ZMQSEC_PC_OPTIONAL_FIELDS "")
foreach(_field IN ITEMS Requires Requires.private Libs.private)
  string(TOUPPER "ZMQSEC_PC_${_field}" _var)
  string(REPLACE "." "_" _var "${_var}")
  if(NOT "${${_var}}" STREQUAL "")
    string(APPEND ZMQSEC_PC_OPTIONAL_FIELDS "${_field}: ${${_var}}\n")
  endif()
endforeach()
configure_file("${PROJECT_SOURCE_DIR}/cmake/zmqsec.pc.in" "${PROJECT_BINARY_DIR}/package/zmqsec.pc"
  @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/package/zmqsec.pc"
  DESTINATION "${ZMQSEC_INSTALL_PKGCONFIGDIR}")


# What `cmake --install` must produce, for tests/package to check the installed tree against:
# the libraries (with their symlinks for shared builds), the public headers of every exported
# target, and the command line tools.
function(_zmqsec_executables dir out)
  set(found)
  get_property(targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      list(APPEND found ${target})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    _zmqsec_executables("${subdir}" sub_found)
    list(APPEND found ${sub_found})
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()

set(_zmqsec_expected "# Generated by cmake/zmqsec_package.cmake: what an install must contain.\n")
foreach(_var IN ITEMS PROJECT_VERSION CMAKE_INSTALL_BINDIR CMAKE_INSTALL_LIBDIR
    CMAKE_INSTALL_INCLUDEDIR ZMQSEC_INSTALL_CMAKEDIR ZMQSEC_INSTALL_PKGCONFIGDIR
    ZMQSEC_PACKAGE_LIBRARY_TYPE)
  string(APPEND _zmqsec_expected "set(${_var} \"${${_var}}\")\n")
endforeach()
set(_zmqsec_header_dirs "")
foreach(_target IN LISTS _zmqsec_exported)
  get_target_property(_type ${_target} TYPE)
  if(NOT _type STREQUAL "INTERFACE_LIBRARY")
    string(APPEND _zmqsec_expected
      "list(APPEND ZMQSEC_EXPECTED_LIBRARIES \"$<TARGET_FILE_NAME:${_target}>\")\n")
  endif()
  if(_type STREQUAL "SHARED_LIBRARY")
    string(APPEND _zmqsec_expected
      "list(APPEND ZMQSEC_EXPECTED_LIBRARIES \"$<TARGET_SONAME_FILE_NAME:${_target}>\")\n"
      "list(APPEND ZMQSEC_EXPECTED_LIBRARIES \"$<TARGET_LINKER_FILE_NAME:${_target}>\")\n")
  endif()
  get_target_property(_includes ${_target} INTERFACE_INCLUDE_DIRECTORIES)
  foreach(_include IN LISTS _includes)
    if(_include MATCHES "^\\$<BUILD_INTERFACE:(.+)>$")
      list(APPEND _zmqsec_header_dirs "${CMAKE_MATCH_1}")
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES _zmqsec_header_dirs)
string(APPEND _zmqsec_expected "set(ZMQSEC_EXPECTED_HEADER_DIRS \"${_zmqsec_header_dirs}\")\n")
if(ZMQSEC_BUILD_CLI)
  _zmqsec_executables("${PROJECT_SOURCE_DIR}/cli" _zmqsec_programs)
  foreach(_program IN LISTS _zmqsec_programs)
    string(APPEND _zmqsec_expected
      "list(APPEND ZMQSEC_EXPECTED_PROGRAMS \"$<TARGET_FILE_NAME:${_program}>\")\n")
  endforeach()
endif()
file(GENERATE OUTPUT "${PROJECT_BINARY_DIR}/package/expected_install-$<CONFIG>.cmake"
  CONTENT "${_zmqsec_expected}")

unset(_zmqsec_expected)
unset(_zmqsec_header_dirs)
unset(_zmqsec_programs)
unset(_zmqsec_exported)
unset(_zmqsec_config_dependencies)
unset(_zmqsec_link_edges)
