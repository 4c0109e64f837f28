# What `cmake --install BUILD [--prefix DIR]` puts under the prefix (GNUInstallDirs):
#   bin/pairsweep
#   share/pairsweep/jobs/*.yaml       the shipped studies
#   share/pairsweep/slurm/            the SLURM batch scripts and their README
#   share/pairsweep/mnist/            MNIST's four idx files, with PS_INSTALL_MNIST (default: on
#                                     when PS_MNIST_SOURCE, data/mnist, holds them at configure time)
#   share/man/man1/pairsweep.1        the man page, generated from the help texts
#   share/bash-completion/completions/pairsweep
#   share/doc/pairsweep/              README.md, LICENSE, CITATION.cff, docs/
# An installed pairsweep finds share/pairsweep beside its bin/ (src/data/mnist.c).
set(ps_share ${CMAKE_INSTALL_DATADIR}/pairsweep)
install(TARGETS pairsweep RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
file(GLOB ps_jobs ${CMAKE_SOURCE_DIR}/jobs/*.yaml)
install(FILES ${ps_jobs} DESTINATION ${ps_share}/jobs)
file(GLOB ps_slurm_scripts ${CMAKE_SOURCE_DIR}/slurm/*.sbatch ${CMAKE_SOURCE_DIR}/slurm/*.sh)
install(PROGRAMS ${ps_slurm_scripts} DESTINATION ${ps_share}/slurm)
install(FILES ${CMAKE_SOURCE_DIR}/slurm/README.md DESTINATION ${ps_share}/slurm)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/LICENSE
              ${CMAKE_SOURCE_DIR}/CITATION.cff DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md")
install(FILES ${CMAKE_SOURCE_DIR}/completion/pairsweep.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME pairsweep)

# MNIST: the files themselves (data/mnist may hold symbolic links), as scripts/mnist.sha256 names them.
set(PS_MNIST_SOURCE ${CMAKE_SOURCE_DIR}/data/mnist CACHE PATH "MNIST files that PS_INSTALL_MNIST installs")
set(ps_mnist_files "")
file(STRINGS ${CMAKE_SOURCE_DIR}/scripts/mnist.sha256 ps_sums)
foreach(line ${ps_sums})
  string(REGEX REPLACE "^[0-9a-f]+ +\\*?" "" name "${line}")
  if(EXISTS ${PS_MNIST_SOURCE}/${name})
    list(APPEND ps_mnist_files ${name})
  endif()
endforeach()
list(LENGTH ps_mnist_files ps_n)
set(ps_default OFF)
if(ps_n EQUAL 4)
  set(ps_default ON)
endif()
option(PS_INSTALL_MNIST "Install MNIST (PS_MNIST_SOURCE) into share/pairsweep/mnist" ${ps_default})
if(PS_INSTALL_MNIST)
  if(NOT ps_n EQUAL 4)
    message(FATAL_ERROR "PS_INSTALL_MNIST: ${PS_MNIST_SOURCE} does not hold the four MNIST idx "
            "files of scripts/mnist.sha256 (bash scripts/setup.sh fetches them)")
  endif()
  foreach(name ${ps_mnist_files})
    get_filename_component(real ${PS_MNIST_SOURCE}/${name} REALPATH)
    install(FILES ${real} DESTINATION ${ps_share}/mnist RENAME ${name})
  endforeach()
endif()

# The man page, from `pairsweep --help` and each command's --help at build time.
set(ps_man ${CMAKE_BINARY_DIR}/man/pairsweep.1)
add_custom_command(OUTPUT ${ps_man}
  COMMAND ${CMAKE_COMMAND} -DPS_BIN=$<TARGET_FILE:pairsweep> -DOUT=${ps_man}
          -P ${CMAKE_SOURCE_DIR}/cmake/manpage.cmake
  DEPENDS pairsweep ${CMAKE_SOURCE_DIR}/cmake/manpage.cmake
  COMMENT "man page pairsweep.1 from the help texts" VERBATIM)
add_custom_target(ps_man ALL DEPENDS ${ps_man})
install(FILES ${ps_man} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
