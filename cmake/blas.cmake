# BLAS for src/nn/gemm.c: any CBLAS that CMake's FindBLAS knows, OpenBLAS unless the vendor is
# chosen with -DBLA_VENDOR=... (FLAME = BLIS, Intel10_64lp or Intel10_64_dyn = MKL, FlexiBLAS,
# Generic = the reference BLAS, ...; see CMake's FindBLAS). Defines the target ps_blas (link
# it PRIVATE) and writes ps_blas_config.h, which names the CBLAS header and, when the vendor
# has one, the function that sets its number of threads:
#   PS_CBLAS_HEADER       cblas.h (mkl_cblas.h for MKL); PS_CBLAS_INCLUDE_DIR where it is
#   PS_BLAS_THREADS_FN    openblas_set_num_threads, bli_thread_set_num_threads,
#                         flexiblas_set_num_threads or mkl_set_num_threads (else none)
include(CheckSymbolExists)

if(NOT DEFINED BLA_VENDOR AND NOT DEFINED ENV{BLA_VENDOR})
  set(BLA_VENDOR OpenBLAS CACHE STRING
      "BLAS vendor (CMake FindBLAS): OpenBLAS, FLAME (BLIS), Intel10_64lp (MKL), FlexiBLAS, ...")
endif()
find_package(BLAS REQUIRED)
set(ps_vendor "${BLA_VENDOR}")
if(NOT ps_vendor)
  set(ps_vendor "$ENV{BLA_VENDOR}")
endif()

# The CBLAS header: the vendor's own first. A distribution that installs several BLAS side by
# side (Debian: /usr/include/<arch>/openblas-pthread/, .../blis-pthread/) names the header's
# folder like the library's real folder; a prefix or a module has include/ beside lib/.
set(ps_header cblas.h)
set(ps_suffixes "")
if(ps_vendor MATCHES "^Intel")
  set(ps_header mkl_cblas.h)
endif()
set(ps_hints "")
foreach(lib ${BLAS_LIBRARIES})
  if(IS_ABSOLUTE "${lib}")
    get_filename_component(real "${lib}" REALPATH)
    get_filename_component(dir "${real}" DIRECTORY)
    get_filename_component(name "${dir}" NAME)
    list(APPEND ps_suffixes ${name})
    list(APPEND ps_hints ${dir}/../include ${dir}/../../include)
  endif()
endforeach()
string(TOLOWER "${ps_vendor}" lower)
list(APPEND ps_suffixes ${lower} ${lower}-pthread ${lower}-openmp mkl flexiblas blis)
set(PS_CBLAS_HEADER ${ps_header} CACHE STRING "The CBLAS header of the BLAS (cblas.h, mkl_cblas.h)")
find_path(PS_CBLAS_INCLUDE_DIR ${PS_CBLAS_HEADER} HINTS ${ps_hints} ENV MKLROOT
          PATH_SUFFIXES ${ps_suffixes} include)
if(NOT PS_CBLAS_INCLUDE_DIR)
  message(FATAL_ERROR "BLAS (${ps_vendor}): ${BLAS_LIBRARIES}, but no ${PS_CBLAS_HEADER} found: "
          "install the BLAS's development files or pass -DPS_CBLAS_INCLUDE_DIR=DIR")
endif()

# The library must have CBLAS (Fortran-only BLAS builds exist), and may have a thread setter.
set(CMAKE_REQUIRED_INCLUDES ${PS_CBLAS_INCLUDE_DIR})
set(CMAKE_REQUIRED_LIBRARIES ${BLAS_LIBRARIES} ${BLAS_LINKER_FLAGS} m) # m: blis.h's inlines
check_symbol_exists(cblas_sgemm ${PS_CBLAS_HEADER} PS_HAVE_CBLAS_SGEMM)
if(NOT PS_HAVE_CBLAS_SGEMM)
  message(FATAL_ERROR "BLAS (${ps_vendor}): ${BLAS_LIBRARIES} with ${PS_CBLAS_INCLUDE_DIR}/"
          "${PS_CBLAS_HEADER} does not link cblas_sgemm: pairsweep needs a BLAS with CBLAS")
endif()
set(PS_BLAS_THREADS_FN "")
set(PS_BLAS_THREADS_INCLUDE "")
foreach(pair "openblas_set_num_threads:${PS_CBLAS_HEADER}" "bli_thread_set_num_threads:blis.h"
             "flexiblas_set_num_threads:flexiblas_api.h" "mkl_set_num_threads:mkl.h")
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 fn)
  list(GET pair 1 header)
  check_symbol_exists(${fn} ${header} PS_HAVE_${fn})
  if(PS_HAVE_${fn})
    set(PS_BLAS_THREADS_FN ${fn})
    set(PS_BLAS_THREADS_INCLUDE "#include <${header}>")
    break()
  endif()
endforeach()
unset(CMAKE_REQUIRED_INCLUDES)
unset(CMAKE_REQUIRED_LIBRARIES)
# MKL's thread setter lives in another of its libraries than cblas_sgemm: no link-order guard.
set(PS_BLAS_GUARD OFF)
if(PS_BLAS_THREADS_FN AND NOT PS_BLAS_THREADS_FN STREQUAL "mkl_set_num_threads")
  set(PS_BLAS_GUARD ON)
endif()
message(STATUS "BLAS: ${ps_vendor}: ${BLAS_LIBRARIES}, ${PS_CBLAS_INCLUDE_DIR}/${PS_CBLAS_HEADER}, "
        "threads: ${PS_BLAS_THREADS_FN}")

set(PS_BLAS_VENDOR "${ps_vendor}")
configure_file(${CMAKE_CURRENT_LIST_DIR}/ps_blas_config.h.in
               ${CMAKE_BINARY_DIR}/generated/blas/ps_blas_config.h @ONLY)
add_library(ps_blas INTERFACE)
target_include_directories(ps_blas SYSTEM INTERFACE ${PS_CBLAS_INCLUDE_DIR})
target_include_directories(ps_blas INTERFACE ${CMAKE_BINARY_DIR}/generated/blas)
target_link_libraries(ps_blas INTERFACE ${BLAS_LIBRARIES} ${BLAS_LINKER_FLAGS})
