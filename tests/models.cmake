# models: Table I parameter counts, the 002 family against a formula, outputs, FLOPs.
if(TARGET ps_models)
  ps_add_test(test_models SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_models.c LIBS ps_models ps_nn ps_common)
endif()

# PyTorch twin (python3-torch, python3-h5py at /usr/bin/python3): same logits, same state
# after two SGD steps, same evaluation logits, for every report-000 model and four 002 models.
if(TARGET ps_models)
  ps_add_test(twin_dump SOURCES ${CMAKE_CURRENT_LIST_DIR}/twin/twin_dump.c LIBS ps_models ps_nn ps_common ps_hdf5)
  set_tests_properties(twin_dump PROPERTIES DISABLED TRUE) # a helper, run by twin_torch
  ps_add_script_test(twin_torch sh ${CMAKE_CURRENT_LIST_DIR}/twin/run_twin.sh
                     $<TARGET_FILE:twin_dump> ${CMAKE_CURRENT_BINARY_DIR})
endif()
