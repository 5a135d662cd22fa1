# `cmake --install` puts headers, libgrove and a package config so find_package(grove) works.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS grove grove_static EXPORT groveTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/grove DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT groveTargets NAMESPACE grove:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/grove)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/groveConfig.cmake.in
  ${CMAKE_BINARY_DIR}/groveConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/grove)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/groveConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/groveConfig.cmake ${CMAKE_BINARY_DIR}/groveConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/grove)
