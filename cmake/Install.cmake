# `cmake --install` puts headers, libgrove and a package config so find_package(grove) works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
# Also the hooks (grove::hooks, linking libgrove_hooks.a whole), the LD_PRELOAD shim
# (grove::preload) and grove-run (grove::grove-run), which finds the shim relative to itself.
install(TARGETS grove grove_static grove_hooks grove_preload grove-run EXPORT groveTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS grove_hooks_archive ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/grove DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT groveTargets NAMESPACE grove:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/grove)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/groveConfig.cmake.in
  ${CMAKE_BINARY_DIR}/groveConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/grove)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/groveConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/groveConfig.cmake ${CMAKE_BINARY_DIR}/groveConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/grove)
