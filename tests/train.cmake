# train: one task end to end on MNIST (determinism, learning, folds, divergence, stop).
if(TARGET ps_train)
  ps_add_test(test_train SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_train.c LIBS ps_train ps_models ps_nn ps_data ps_common)
endif()
