# train: one task end to end on MNIST (determinism, learning, folds, divergence, stop).
if(TARGET ps_train)
  ps_add_test(test_train SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_train.c LIBS ps_train ps_models ps_nn ps_data ps_common)
endif()

# The CLI side: `pairsweep models` lists the Table I counts; `pairsweep train` runs, saves and
# refuses bad usage with status 2.
if(TARGET pairsweep AND TARGET ps_train)
  ps_add_script_test(cli_train sh ${CMAKE_CURRENT_LIST_DIR}/test_train_cli.sh
                     $<TARGET_FILE:pairsweep> ${CMAKE_CURRENT_BINARY_DIR})
endif()

# Re-running a stored task: `train --from results.h5 --task ID --save` of a selection and a final
# task of jobs/tiny.yaml gives the stored curves and weights bit for bit (h5py).
if(TARGET pairsweep AND TARGET ps_sweep)
  ps_add_script_test(train_rerun ${PS_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/test_train_rerun.py
                     $<TARGET_FILE:pairsweep> ${CMAKE_SOURCE_DIR}/jobs/tiny.yaml)
  set_tests_properties(train_rerun PROPERTIES TIMEOUT 300)
endif()
