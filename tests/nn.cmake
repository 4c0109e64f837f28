# nn: layers' forward values, finite-difference gradient checks, losses, SGD, determinism
# (test_nn_layers); the convolution, im2col and both kernel choices (test_nn_conv, which reads
# nn internals: src/nn on its include path).
if(TARGET ps_nn)
  ps_add_test(test_nn_layers SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nn_layers.c
              ${CMAKE_CURRENT_LIST_DIR}/test_nn_gradcheck.c LIBS ps_nn ps_common m)
  ps_add_test(test_nn_conv SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nn_conv.c
              ${CMAKE_CURRENT_LIST_DIR}/test_nn_gradcheck.c LIBS ps_nn ps_common m)
  target_include_directories(test_nn_conv PRIVATE ${CMAKE_SOURCE_DIR}/src/nn)
endif()

# The BLAS guard: a program linked with GSL's reference CBLAS before the BLAS is refused (for a
# BLAS with a thread setter of its own to compare with: cmake/blas.cmake, PS_BLAS_GUARD).
find_library(PS_GSLCBLAS_LIB gslcblas)
if(TARGET ps_nn AND PS_GSLCBLAS_LIB AND PS_BLAS_GUARD)
  ps_add_test(test_nn_blas SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nn_blas.c
              LIBS -Wl,--no-as-needed ${PS_GSLCBLAS_LIB} ps_nn ps_common)
endif()
