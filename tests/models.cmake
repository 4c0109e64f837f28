# models: Table I parameter counts, the 002 family against a formula, outputs, FLOPs.
if(TARGET ps_models)
  ps_add_test(test_models SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_models.c LIBS ps_models ps_nn ps_common)
endif()
