# nn: layers' forward values, finite-difference gradient checks, losses, SGD, determinism.
if(TARGET ps_nn)
  ps_add_test(test_nn SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nn.c LIBS ps_nn ps_common m)
endif()
