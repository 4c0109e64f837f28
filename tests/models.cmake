# models: Table I parameter counts, the 002 family against a formula, outputs, FLOPs.
if(TARGET ps_models)
  ps_add_test(test_models SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_models.c LIBS ps_models ps_nn ps_common)
  # gradient buffers shared by liveness: the same bits as one buffer per node, every model
  ps_add_test(test_models_recycle SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_models_recycle.c
              LIBS ps_models ps_nn ps_common)
endif()

# PyTorch twin (python3-torch, python3-h5py; the Python of PS_PYTHON): same logits, same state
# after two SGD steps, same evaluation logits, for every report-000 model and four 002 models.
if(TARGET ps_models)
  # twin_dump is a helper program (run by twin_torch), not a test of its own
  add_executable(twin_dump ${CMAKE_CURRENT_LIST_DIR}/twin/twin_dump.c)
  target_include_directories(twin_dump PRIVATE ${PS_INCLUDE})
  target_link_libraries(twin_dump PRIVATE ps_models ps_nn ps_common ps_hdf5)
  ps_add_script_test(twin_torch sh ${CMAKE_CURRENT_LIST_DIR}/twin/run_twin.sh
                     $<TARGET_FILE:twin_dump> ${CMAKE_CURRENT_BINARY_DIR})
endif()
